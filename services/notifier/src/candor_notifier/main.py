"""The notifier's command line: `run` and `migrate`."""

from __future__ import annotations

from candor_notifier.settings import NotifierSettings
from candor_notifier.worker import MIGRATIONS, VERSION_TABLE, create_worker
from candor_shared.cli import worker_cli

app = worker_cli(
    service="notifier",
    settings=NotifierSettings,
    create_worker=create_worker,
    migrations=MIGRATIONS,
    version_table=VERSION_TABLE,
    does="Consume catalog and incident events and send notices",
)

if __name__ == "__main__":
    app()
