"""``candor-dev run`` (what ``make run`` runs) and ``candor-dev seed``.

``run`` brings the whole system up on this machine: the embedded broker, a mail catcher with
its page, the three services (SQLite files under ``var/``), loads the example catalog and
prints what a person needs to try it. Ctrl-C or SIGTERM stops the services first, then the
catcher and the broker. Each child runs in a process group of its own and, on Linux, dies
with the launcher, however the launcher ends.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import secrets
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import structlog
import typer
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from candor_dev.seed import SeedError, SeedResult, fixed_keys, load_catalog, operator_client, seed
from candor_dev.stack import LaunchError, System
from candor_dev.supervisor import PREFIX_WIDTH, Console, ServiceFailed
from candor_dev.system import (
    DEMO_INTEGRATION,
    LauncherSettings,
    api_url,
    banner,
    curl_command,
    example_alert,
)

app = typer.Typer(
    help="Candor's development kit: run the whole system locally, load example data.",
    no_args_is_help=True,
    add_completion=False,
)

log = structlog.get_logger("candor-dev")

DEFAULT_CATALOG = Path("examples/catalog.yaml")


def configure_output(console: Console) -> None:
    """Log the launcher's own events as ``candor-dev | time [level] event key=value``."""

    def prefixed(_logger: Any, _method: str, rendered: Any) -> str:
        return f"{console.prefix('candor-dev')} {rendered}"

    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.dev.ConsoleRenderer(colors=False, pad_event_to=0),
            prefixed,
        ],
        logger_factory=structlog.PrintLoggerFactory(sys.stdout),
        cache_logger_on_first_use=False,
    )


def _database_text(settings: LauncherSettings) -> str:
    if settings.database_url:
        return make_url(settings.database_url).render_as_string(hide_password=True)
    return f"SQLite, one file per service in {settings.data_dir.resolve()}"


async def _seed_demo(
    settings: LauncherSettings, *, token: str, catalog_path: Path
) -> tuple[SeedResult, str]:
    catalog = load_catalog(catalog_path)
    keys = fixed_keys(catalog)
    if settings.demo_integration_key:
        keys.setdefault(DEMO_INTEGRATION, settings.demo_integration_key)
    async with operator_client(api_url(settings), token) as client:
        result = await seed(client=client, catalog=catalog, keys=keys)
    if DEMO_INTEGRATION not in result.keys:
        raise SeedError(f"{catalog_path} defines no integration named {DEMO_INTEGRATION!r}")
    return result, result.keys[DEMO_INTEGRATION]


async def run_system(settings: LauncherSettings, *, catalog_path: Path, console: Console) -> int:
    """Bring everything up, print how to use it, and run until asked to stop; the exit code."""
    system = System(settings, console)
    atexit.register(system.kill_everything)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(sig, system.request_stop, sig)
    token = settings.admin_token or secrets.token_urlsafe(24)
    if os.environ.get("CANDOR_DATABASE_SCHEMA"):
        log.warning(
            "setting.ignored",
            setting="CANDOR_DATABASE_SCHEMA",
            reason="each service keeps its tables in its own schema",
        )
    try:
        load_catalog(catalog_path)  # a broken file fails here, before anything starts
        system.check_ports()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        bootstrap = system.start_broker()
        smtp_url, mail_page = await system.start_mail()
        if not await system.start_services(
            kafka_bootstrap=bootstrap, smtp_url=smtp_url, token=token
        ):
            return 0
        seeded = await system.unless_stopped(
            _seed_demo(settings, token=token, catalog_path=catalog_path)
        )
        if seeded is None:
            return 0
        result, key = seeded
        log.info(
            "catalog.loaded",
            file=str(catalog_path),
            services=result.services,
            subscribers=result.subscribers,
            revoked_integrations=result.revoked,
        )
        api = api_url(settings)
        console.block(
            banner(
                api=api,
                mail_page=mail_page,
                smtp_url=smtp_url,
                token=token,
                key=key,
                kafka_bootstrap=bootstrap,
                database=_database_text(settings),
                curl=curl_command(api, key, example_alert(datetime.now(UTC))),
            )
        )
        exited = await system.until_stop_or_exit()
        if exited is not None:
            raise ServiceFailed(exited, f"exited with code {exited.returncode}")
        return 0
    except ServiceFailed as error:
        log.error("service.failed", reason=str(error))
        if error.service.tail:
            console.block(f"\nLast lines of {error.service.name}:")
            for line in error.service.tail:
                console.line(error.service.name, line)
        console.block(f"\ncandor-dev: {error}; stopping everything it started.")
        return 1
    except (LaunchError, SeedError) as error:
        console.block(f"\ncandor-dev: {error}")
        return 1
    finally:
        await system.stop()
        atexit.unregister(system.kill_everything)


@app.command()
def run(
    catalog: Annotated[
        Path, typer.Option("--catalog", "-f", help="Example data to load once the API is up.")
    ] = DEFAULT_CATALOG,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir", help="Folder of the SQLite files (overrides CANDOR_DATA_DIR; var/)."
        ),
    ] = None,
) -> None:
    """Start broker, database, mail catcher and the three services, with example data."""
    console = Console()
    configure_output(console)
    try:
        settings = LauncherSettings()
    except ValidationError as error:
        console.block(f"candor-dev: invalid setting: {error}")
        raise typer.Exit(2) from None
    if data_dir is not None:
        settings.data_dir = data_dir
    raise typer.Exit(asyncio.run(run_system(settings, catalog_path=catalog, console=console)))


@app.command("seed")
def seed_command(
    api: Annotated[str, typer.Option(help="incident-api's base URL.")] = "http://127.0.0.1:8000",
    token: Annotated[
        str, typer.Option(envvar="CANDOR_ADMIN_TOKEN", help="The operator token.")
    ] = "",
    catalog: Annotated[
        Path, typer.Option("--file", "-f", help="The catalog file to load.")
    ] = DEFAULT_CATALOG,
) -> None:
    """Load a catalog file into a running incident-api; safe to run again.

    Prints the key of each integration; an integration whose key is not given by its
    ``key_env`` variable gets a fresh key and its earlier copies are revoked.
    """
    if not token:
        typer.echo("candor-dev seed: give the operator token (--token or CANDOR_ADMIN_TOKEN)")
        raise typer.Exit(2)

    async def load() -> SeedResult:
        parsed = load_catalog(catalog)
        async with operator_client(api, token) as client:
            return await seed(client=client, catalog=parsed, keys=fixed_keys(parsed))

    try:
        result = asyncio.run(load())
    except (SeedError, httpx.HTTPError) as error:
        typer.echo(f"candor-dev seed: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(
        f"services: {result.services['created']} created, {result.services['existing']} "
        f"existing; subscribers: {result.subscribers['created']} created, "
        f"{result.subscribers['existing']} existing; integrations revoked: {result.revoked}"
    )
    for name, key in result.keys.items():
        typer.echo(f"{'integration key':<{PREFIX_WIDTH}} {name}: {key}")


if __name__ == "__main__":
    app()
