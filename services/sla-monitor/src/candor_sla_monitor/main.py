"""sla-monitor's command line: `run` and `migrate`."""

from __future__ import annotations

import asyncio

import typer

from candor_shared.logging import configure_logging
from candor_shared.runtime import migrate as run_migrations
from candor_shared.runtime import on_stop_signals
from candor_sla_monitor.settings import SlaSettings
from candor_sla_monitor.worker import MIGRATIONS, SERVICE, VERSION_TABLE, create_worker

app = typer.Typer(help="Candor sla-monitor.", no_args_is_help=True)


@app.command()
def run() -> None:
    """Consume incident events into the ledger and serve it until SIGINT or SIGTERM."""
    settings = SlaSettings()
    configure_logging(service=SERVICE, fmt=settings.log_format, level=settings.log_level)
    worker = create_worker(settings)

    async def main() -> None:
        on_stop_signals(worker.stop)
        await worker.run()

    asyncio.run(main())


@app.command()
def migrate() -> None:
    """Bring sla-monitor's tables to the newest revision, then exit."""
    settings = SlaSettings()
    configure_logging(service=SERVICE, fmt=settings.log_format, level=settings.log_level)
    asyncio.run(run_migrations(settings, script_location=MIGRATIONS, version_table=VERSION_TABLE))
    typer.echo("sla-monitor: migrations applied")


if __name__ == "__main__":
    app()
