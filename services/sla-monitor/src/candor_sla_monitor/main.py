"""sla-monitor's command line: `run` and `migrate`."""

from __future__ import annotations

from candor_shared.cli import worker_cli
from candor_sla_monitor.settings import SlaSettings
from candor_sla_monitor.worker import MIGRATIONS, SERVICE, VERSION_TABLE, create_worker

app = worker_cli(
    service=SERVICE,
    settings=SlaSettings,
    create_worker=create_worker,
    migrations=MIGRATIONS,
    version_table=VERSION_TABLE,
    does="Consume incident events into the ledger and serve it",
)

if __name__ == "__main__":
    app()
