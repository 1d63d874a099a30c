"""The notifier's command line: `run` and `migrate`."""

from __future__ import annotations

import asyncio

import typer

from candor_notifier.settings import NotifierSettings
from candor_notifier.worker import MIGRATIONS, VERSION_TABLE, create_worker
from candor_shared.logging import configure_logging
from candor_shared.runtime import migrate as run_migrations
from candor_shared.runtime import on_stop_signals

app = typer.Typer(help="Candor notifier.", no_args_is_help=True)


@app.command()
def run() -> None:
    """Consume catalog and incident events and send notices until SIGINT or SIGTERM."""
    settings = NotifierSettings()
    configure_logging(service="notifier", fmt=settings.log_format, level=settings.log_level)
    worker = create_worker(settings)

    async def main() -> None:
        on_stop_signals(worker.stop)
        await worker.run()

    asyncio.run(main())


@app.command()
def migrate() -> None:
    """Bring the notifier's tables to the newest revision, then exit."""
    settings = NotifierSettings()
    configure_logging(service="notifier", fmt=settings.log_format, level=settings.log_level)
    asyncio.run(run_migrations(settings, script_location=MIGRATIONS, version_table=VERSION_TABLE))
    typer.echo("notifier: migrations applied")


if __name__ == "__main__":
    app()
