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
import contextlib
import os
import secrets
import signal
import socket
import sys
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import httpx
import structlog
import typer
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from candor_dev.broker import EmbeddedBroker
from candor_dev.mailcatcher import MailCatcher
from candor_dev.mailpage import create_mail_app
from candor_dev.ports import free_port
from candor_dev.seed import SeedError, SeedResult, fixed_keys, load_catalog, operator_client, seed
from candor_dev.supervisor import (
    PREFIX_WIDTH,
    Console,
    ServiceFailed,
    ServiceProcess,
    wait_all_ready,
)
from candor_dev.system import (
    DEMO_INTEGRATION,
    LauncherSettings,
    api_url,
    banner,
    curl_command,
    example_alert,
    service_specs,
)
from candor_shared.observability import EmbeddedServer, embedded_server

T = TypeVar("T")

app = typer.Typer(
    help="Candor's development kit: run the whole system locally, load example data.",
    no_args_is_help=True,
    add_completion=False,
)

log = structlog.get_logger("candor-dev")

DEFAULT_CATALOG = Path("examples/catalog.yaml")


class LaunchError(Exception):
    """The system could not be brought up; the message says what to change."""


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


def _check_port_free(host: str, port: int, setting: str) -> None:
    with socket.socket() as probe:
        # As the servers themselves bind: connections of a previous run in TIME_WAIT are fine.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise LaunchError(
                f"port {port} on {host} is taken: stop what uses it or set {setting}"
            ) from None


def _listening_socket(port: int, setting: str) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise LaunchError(
            f"port {port} on 127.0.0.1 is taken: stop what uses it or set {setting} "
            "(0 picks a free port)"
        ) from None
    return sock


def _database_text(settings: LauncherSettings) -> str:
    if settings.database_url:
        return make_url(settings.database_url).render_as_string(hide_password=True)
    return f"SQLite, one file per service in {settings.data_dir.resolve()}"


class System:
    """Everything ``run`` started, so that it can all be stopped in order."""

    def __init__(self, settings: LauncherSettings, console: Console) -> None:
        self.settings = settings
        self.console = console
        self.stopping = asyncio.Event()
        self.broker: EmbeddedBroker | None = None
        self.catcher: MailCatcher | None = None
        self.mail_server: EmbeddedServer | None = None
        self.mail_task: asyncio.Task[None] | None = None
        self.services: list[ServiceProcess] = []

    def request_stop(self, sig: signal.Signals) -> None:
        """Begin stopping (from a signal handler); a second signal kills the services at once."""
        if self.stopping.is_set():
            log.warning("stop.forced", signal=sig.name)
            for service in self.services:
                service.kill()
            return
        log.info("stop.requested", signal=sig.name)
        self.stopping.set()

    async def unless_stopped(self, awaitable: Awaitable[T]) -> T | None:
        """``awaitable``'s result, or None (and it cancelled) when a stop is asked first."""
        work = asyncio.ensure_future(awaitable)
        stop = asyncio.create_task(self.stopping.wait())
        await asyncio.wait({work, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if work.done():
            return work.result()
        work.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await work
        return None

    def check_ports(self) -> None:
        """Fail before starting anything when a fixed port is taken."""
        settings = self.settings
        _check_port_free(settings.api_host, settings.api_port, "CANDOR_API_PORT")
        _check_port_free(
            settings.sla_monitor_host, settings.sla_monitor_port, "CANDOR_SLA_MONITOR_PORT"
        )
        _check_port_free(settings.notifier_host, settings.notifier_port, "CANDOR_NOTIFIER_PORT")
        if not settings.kafka_bootstrap and settings.broker_port:
            _check_port_free("127.0.0.1", settings.broker_port, "CANDOR_BROKER_PORT")
        if not settings.smtp_url and settings.mail_smtp_port:
            _check_port_free("127.0.0.1", settings.mail_smtp_port, "CANDOR_MAIL_SMTP_PORT")

    def start_broker(self) -> str:
        """The bootstrap address: the one configured, or the embedded broker's."""
        if self.settings.kafka_bootstrap:
            log.info("kafka.external", bootstrap=self.settings.kafka_bootstrap)
            return self.settings.kafka_bootstrap
        # Started from this (the event loop's) thread: the child dies with this thread.
        self.broker = EmbeddedBroker(self.settings.broker_port or None)
        self.broker.start(own_session=True)
        log.info("broker.started", bootstrap=self.broker.bootstrap)
        return self.broker.bootstrap

    async def start_mail(self) -> tuple[str, str | None]:
        """The SMTP URL services send to, and the mail page's URL when the catcher runs."""
        if self.settings.smtp_url:
            log.info("smtp.external", url=self.settings.smtp_url)
            return self.settings.smtp_url, None
        web = _listening_socket(self.settings.mail_web_port or 0, "CANDOR_MAIL_WEB_PORT")
        catcher = MailCatcher(self.settings.mail_smtp_port or free_port())
        try:
            await asyncio.to_thread(catcher.start)
        except Exception as error:
            web.close()
            raise LaunchError(f"the mail catcher could not start: {error}") from None
        self.catcher = catcher
        web_port = int(web.getsockname()[1])
        server = embedded_server(create_mail_app(catcher), host="127.0.0.1", port=web_port)
        self.mail_server = server
        self.mail_task = asyncio.create_task(server.serve(sockets=[web]), name="mail-page")
        page = f"http://127.0.0.1:{web_port}/"
        log.info("mailcatcher.started", smtp=catcher.url, page=page)
        return catcher.url, page

    async def start_services(self, *, kafka_bootstrap: str, smtp_url: str, token: str) -> bool:
        """Start the three services and wait until each is ready; False if stopped meanwhile."""
        specs = service_specs(
            self.settings,
            kafka_bootstrap=kafka_bootstrap,
            smtp_url=smtp_url,
            admin_token=token,
            environ=os.environ,
        )
        for spec in specs:
            service = ServiceProcess(spec, self.console)
            await service.start()
            assert service.process is not None
            log.info("service.started", service=spec.name, pid=service.process.pid)
            self.services.append(service)
        async with httpx.AsyncClient() as client:
            waiting = wait_all_ready(
                self.services, client, within=self.settings.ready_timeout_seconds
            )
            if not await self.unless_stopped(waiting):
                return False
        log.info("services.ready", services=[service.name for service in self.services])
        return True

    async def until_stop_or_exit(self) -> ServiceProcess | None:
        """Wait for a stop request (None) or for a service to exit on its own (that service)."""
        exits = {asyncio.create_task(service.wait_exit()): service for service in self.services}
        stop = asyncio.create_task(self.stopping.wait())
        done, _ = await asyncio.wait({stop, *exits}, return_when=asyncio.FIRST_COMPLETED)
        for task in (stop, *exits):
            task.cancel()
        for task, service in exits.items():
            if task in done:
                return service
        return None

    async def stop(self) -> None:
        """Stop the services (together), then the mail page and catcher, then the broker."""
        started_anything = bool(self.services or self.catcher or self.broker)
        running = [service for service in self.services if service.running]
        if running:
            log.info("stopping", services=[service.name for service in running])
        await asyncio.gather(*(service.stop() for service in self.services))
        if self.mail_server is not None and self.mail_task is not None:
            self.mail_server.should_exit = True
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.mail_task, timeout=5)
        if self.catcher is not None:
            await asyncio.to_thread(self.catcher.stop)
            self.catcher = None
        if self.broker is not None:
            self.broker.stop()
            self.broker = None
        if started_anything:
            log.info("stopped")

    def kill_everything(self) -> None:
        """Last resort at interpreter exit: SIGKILL whatever is still running."""
        for service in self.services:
            service.kill()
        if self.broker is not None and self.broker.running:
            self.broker.stop()


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
