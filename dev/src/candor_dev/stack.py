"""The parts ``candor-dev run`` starts — broker, mail catcher and page, the three services —
kept together so that they are stopped in order: services first, then catcher, then broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import time
from collections.abc import Awaitable
from typing import TypeVar

import httpx
import structlog

from candor_dev.broker import EmbeddedBroker
from candor_dev.mailcatcher import MailCatcher
from candor_dev.mailpage import create_mail_app
from candor_dev.ports import free_port
from candor_dev.supervisor import Console, ServiceProcess, wait_all_ready
from candor_dev.system import LauncherSettings, service_specs
from candor_shared.observability import EmbeddedServer, embedded_server

T = TypeVar("T")

log = structlog.get_logger("candor-dev")

# Signals closer together than this are one Ctrl-C delivered by several processes.
REPEAT_SIGNAL_SECONDS = 2.0


class LaunchError(Exception):
    """The system could not be brought up; the message says what to change."""


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
        self._stop_requested_at: float | None = None

    def request_stop(self, sig: signal.Signals) -> None:
        """Begin stopping (from a signal handler); another Ctrl-C later kills the services.

        A signal repeated within a moment is the same Ctrl-C delivered twice (``uv run`` and
        ``make`` pass on what the terminal already sent to the whole group): it is ignored.
        """
        now = time.monotonic()
        if self._stop_requested_at is None:
            self._stop_requested_at = now
            log.info("stop.requested", signal=sig.name)
            self.stopping.set()
        elif now - self._stop_requested_at > REPEAT_SIGNAL_SECONDS:
            log.warning("stop.forced", signal=sig.name)
            for service in self.services:
                service.kill()

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
        try:
            self.broker.start(own_session=True)
        except (OSError, TimeoutError) as error:
            raise LaunchError(f"the embedded broker could not start: {error}") from None
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
