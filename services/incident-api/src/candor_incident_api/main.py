"""incident-api's command line: `serve` and `migrate`."""

from __future__ import annotations

import asyncio

import typer
import uvicorn

from candor_incident_api.app import MIGRATIONS, VERSION_TABLE, create_app
from candor_incident_api.settings import ApiSettings
from candor_shared.logging import configure_logging
from candor_shared.runtime import migrate as run_migrations
from candor_shared.runtime import tune_gc

app = typer.Typer(help="Candor incident-api.", no_args_is_help=True)


@app.command()
def serve() -> None:
    """Serve the API on CANDOR_API_HOST:CANDOR_API_PORT until SIGINT or SIGTERM."""
    settings = ApiSettings()
    configure_logging(service="incident-api", fmt=settings.log_format, level=settings.log_level)
    app = create_app(settings)
    tune_gc()
    uvicorn.run(
        app,
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )


@app.command()
def migrate() -> None:
    """Bring incident-api's tables to the newest revision, then exit."""
    settings = ApiSettings()
    configure_logging(service="incident-api", fmt=settings.log_format, level=settings.log_level)
    asyncio.run(run_migrations(settings, script_location=MIGRATIONS, version_table=VERSION_TABLE))
    typer.echo("incident-api: migrations applied")


if __name__ == "__main__":
    app()
