"""Fan-out benchmark: one notice to many recipients, next to the catchers' own ceilings.

- email: one notice to N email recipients (10,000 in ``make bench``), sent by the
  notifier's sender to the local SMTP catcher; the ceiling is a bare aiosmtplib client
  sending as many messages of the same size over as many connections, with no Candor in
  between.
- webhooks: another notice to M subscribers (1,000), each with a signed webhook endpoint of
  its own on a local HTTP catcher; the ceiling is a bare httpx client posting as many bodies
  of the same size with as many connections.

The sender is the notifier's own (:class:`DeliverySender`), on the notifier's database with
its migrations; the notice is planned by the notifier's incident handler. What is timed is
from the sender's start until the ledger says every delivery went, and for the ceiling from
the first send to the last answer. Rounds alternate between Candor and the ceiling; medians
of the rounds are reported, with the ratio. Machines are shared and noisy: read the ratio.

Run on its own: ``python -m candor_dev.bench_fanout --emails 1000 --webhooks 100``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import httpx
import typer
from sqlalchemy import func, select

from candor_dev.mailcatcher import MailCatcher

SECRET = "whsec_" + base64.b64encode(b"bench-secret-of-thirty-two-bytes").decode()

app = typer.Typer(add_completion=False)


class HttpCatcher:
    """A minimal HTTP/1.1 keep-alive server on loopback that answers 200 to every request
    and counts them."""

    def __init__(self) -> None:
        self.requests = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            # Let each connection's handler see its end and return, rather than leave it to
            # be cancelled when the loop closes (asyncio then prints a CancelledError).
            if self._handlers:
                await asyncio.wait(self._handlers, timeout=5)
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                if length:
                    await reader.readexactly(length)
                self.requests += 1
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            self._writers.discard(writer)
            if task is not None:
                self._handlers.discard(task)
            writer.close()


async def _candor_round(
    *, database_url: str, smtp_url: str, hooks_port: int, emails: int, webhooks: int
) -> dict[str, float]:
    """Plan one notice to ``emails`` + ``webhooks`` recipients and time the sender until the
    ledger says all went; returns seconds for each channel's last delivery."""
    from candor_notifier.catalog import service as catalog
    from candor_notifier.deliveries.models import Delivery
    from candor_notifier.deliveries.sender import DeliverySender
    from candor_notifier.incidents.events import handlers as incident_handlers
    from candor_notifier.settings import NotifierSettings
    from candor_notifier.worker import MIGRATIONS, VERSION_TABLE
    from candor_shared.contract import (
        CloudEvent,
        EventData,
        IncidentOpened,
        IncidentSnapshot,
        ServiceRef,
        SubscriberChannel,
        new_event,
    )
    from candor_shared.db import create_engine, session_factory, transaction
    from candor_shared.runtime import migrate

    settings = NotifierSettings(
        database_url=database_url,
        database_schema="bench_fanout" if database_url.startswith("postgresql") else "",
        smtp_url=smtp_url,
        outbound_allowlist="127.0.0.1",
        log_level="WARNING",
    )
    await migrate(settings, script_location=MIGRATIONS, version_table=VERSION_TABLE)
    engine = create_engine(settings.database_url, schema=settings.database_schema)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    service = ServiceRef(id=str(uuid.uuid4()), slug=f"s{uuid.uuid4().hex[:8]}", name="Email")
    try:
        async with transaction(sessions) as session:
            for n in range(emails):
                await catalog.upsert_subscriber(
                    session=session,
                    subscriber_id=str(uuid.uuid4()),
                    email=f"user{n}@example.org",
                    timezone="UTC",
                    language="en",
                    service_slugs=[service.slug],
                    now=now,
                )
            for n in range(webhooks):
                await catalog.upsert_subscriber(
                    session=session,
                    subscriber_id=str(uuid.uuid4()),
                    email=None,
                    timezone="UTC",
                    language="en",
                    service_slugs=[service.slug],
                    now=now,
                    channels=[
                        SubscriberChannel(
                            type="webhook",
                            url=f"http://127.0.0.1:{hooks_port}/endpoint/{n}",
                            secret=SECRET,
                        )
                    ],
                )
        incident = IncidentSnapshot.model_validate(
            {
                "id": str(uuid.uuid4()),
                "version": 1,
                "service": service,
                "status": "investigating",
                "impact": "major",
                "title": "Outgoing mail is delayed",
                "started_at": now,
                "opened_at": now,
                "firing_alerts": 1,
            }
        )
        event: CloudEvent[EventData] = new_event(
            IncidentOpened(incident=incident), source="/bench", key=incident.id
        )
        async with transaction(sessions) as session:
            await incident_handlers(message_domain="bench.invalid")[event.type](
                session=session, event=event
            )
        sender = DeliverySender(settings=settings, sessions=sessions)
        started_at = datetime.now(UTC)
        started = time.perf_counter()
        task = asyncio.create_task(sender.run())
        try:
            while True:
                async with sessions() as session:
                    left = await session.scalar(
                        select(func.count())
                        .select_from(Delivery)
                        .where(Delivery.incident_id == incident.id, Delivery.state != "sent")
                    )
                if not left:
                    break
                if task.done():
                    task.result()
                await asyncio.sleep(0.05)
        finally:
            sender.stop()
            await task
        async with sessions() as session:
            rows = await session.execute(
                select(Delivery.channel, func.max(Delivery.sent_at))
                .where(Delivery.incident_id == incident.id)
                .group_by(Delivery.channel)
            )
            last: dict[str, datetime] = {channel: at for channel, at in rows if at is not None}
        total = time.perf_counter() - started
        return {
            "seconds": total,
            "email_seconds": (
                (last["email"] - started_at).total_seconds() if "email" in last else 0.0
            ),
            "webhook_seconds": (
                (last["webhook"] - started_at).total_seconds() if "webhook" in last else 0.0
            ),
        }
    finally:
        await engine.dispose()


def _sample_email(size: int) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Candor <candor@localhost>"
    message["To"] = "user@example.org"
    message["Subject"] = "[Investigating] Email — Outgoing mail is delayed"
    message.set_content("x" * size)
    message.add_alternative("<p>" + "x" * size + "</p>", subtype="html")
    return message


async def _smtp_ceiling(*, port: int, count: int, connections: int) -> float:
    """Seconds for a bare aiosmtplib client to send ``count`` messages over ``connections``."""
    message = _sample_email(1500)
    queue = iter(range(count))

    async def worker() -> None:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False)
        await client.connect()
        try:
            for n in queue:
                await client.send_message(
                    message, sender="candor@localhost", recipients=[f"user{n}@example.org"]
                )
        finally:
            with contextlib.suppress(Exception):
                await client.quit()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(connections, count))))
    return time.perf_counter() - started


async def _http_ceiling(*, port: int, count: int, connections: int) -> float:
    """Seconds for a bare httpx client to post ``count`` bodies with ``connections``."""
    body = json.dumps({"type": "incident.opened", "data": {"text": "x" * 1500}}).encode()
    queue = iter(range(count))
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker() -> None:
            for n in queue:
                response = await client.post(
                    f"http://127.0.0.1:{port}/endpoint/{n}",
                    content=body,
                    headers={"Content-Type": "application/json"},
                )
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(min(connections, count))))
        return time.perf_counter() - started


async def fan_out(*, emails: int, webhooks: int, rounds: int, database_url: str) -> dict[str, Any]:
    """Run the fan-out rounds; return medians, the ceilings and the ratios."""
    from candor_notifier.settings import NotifierSettings

    defaults = NotifierSettings()
    mail = MailCatcher()
    mail.start()
    hooks = HttpCatcher()
    await hooks.start()
    candor: list[dict[str, float]] = []
    smtp: list[float] = []
    http: list[float] = []
    try:
        for _ in range(rounds):
            mail.clear()
            # One channel per notice, so that each rate is its own.
            by_email = await _candor_round(
                database_url=database_url,
                smtp_url=mail.url,
                hooks_port=hooks.port,
                emails=emails,
                webhooks=0,
            )
            by_webhook = await _candor_round(
                database_url=database_url,
                smtp_url=mail.url,
                hooks_port=hooks.port,
                emails=0,
                webhooks=webhooks,
            )
            candor.append(
                {
                    "seconds": by_email["seconds"] + by_webhook["seconds"],
                    "email_seconds": by_email["email_seconds"],
                    "webhook_seconds": by_webhook["webhook_seconds"],
                }
            )
            mail.clear()
            smtp.append(
                await _smtp_ceiling(
                    port=mail.port, count=emails, connections=defaults.smtp_max_connections
                )
            )
            http.append(
                await _http_ceiling(
                    port=hooks.port, count=webhooks, connections=defaults.channel_max_connections
                )
            )
    finally:
        mail.stop()
        await hooks.stop()

    def rate(count: int, seconds: float) -> float:
        return round(count / seconds, 1) if seconds > 0 else 0.0

    email_rate = statistics.median(rate(emails, run["email_seconds"]) for run in candor)
    webhook_rate = statistics.median(rate(webhooks, run["webhook_seconds"]) for run in candor)
    smtp_rate = statistics.median(rate(emails, seconds) for seconds in smtp)
    http_rate = statistics.median(rate(webhooks, seconds) for seconds in http)
    return {
        "emails": emails,
        "webhooks": webhooks,
        "rounds": rounds,
        "smtp_connections": defaults.smtp_max_connections,
        "http_connections": defaults.channel_max_connections,
        "email_per_s": email_rate,
        "email_ceiling_per_s": smtp_rate,
        "email_ratio": round(email_rate / smtp_rate, 3) if smtp_rate else None,
        "webhook_per_s": webhook_rate,
        "webhook_ceiling_per_s": http_rate,
        "webhook_ratio": round(webhook_rate / http_rate, 3) if http_rate else None,
        "median_total_seconds": round(statistics.median(run["seconds"] for run in candor), 2),
        "runs": {"candor": candor, "smtp_ceiling_seconds": smtp, "http_ceiling_seconds": http},
    }


def markdown(result: dict[str, Any]) -> str:
    """The fan-out figures as a Markdown table."""
    return "\n".join(
        [
            f"Fan-out: one notice to {result['emails']:,} email recipients and "
            f"{result['webhooks']:,} webhook endpoints; medians of {result['rounds']} rounds "
            f"({result['smtp_connections']} SMTP connections, {result['http_connections']} "
            "HTTP connections).",
            "",
            "| measure | Candor | ceiling (same run) | ratio |",
            "| --- | --- | --- | --- |",
            f"| email messages/s | {result['email_per_s']} | {result['email_ceiling_per_s']} "
            f"(bare aiosmtplib to the SMTP catcher) | {result['email_ratio']} |",
            f"| webhook posts/s | {result['webhook_per_s']} | {result['webhook_ceiling_per_s']} "
            f"(bare httpx to the HTTP catcher) | {result['webhook_ratio']} |",
            "",
        ]
    )


@app.command()
def main(
    emails: int = typer.Option(10_000, help="Email recipients of the notice."),
    webhooks: int = typer.Option(1_000, help="Webhook endpoints (one subscriber each)."),
    rounds: int = typer.Option(3, help="Alternating rounds of Candor and the ceilings."),
    database_url: str = typer.Option(
        "", help="The notifier's database (default: a SQLite file in a temporary directory)."
    ),
) -> None:
    """Run the fan-out benchmark alone and print its figures."""

    async def run() -> dict[str, Any]:
        if database_url:
            return await fan_out(
                emails=emails, webhooks=webhooks, rounds=rounds, database_url=database_url
            )
        with tempfile.TemporaryDirectory() as directory:
            url = f"sqlite+aiosqlite:///{Path(directory) / 'notifier.db'}"
            return await fan_out(emails=emails, webhooks=webhooks, rounds=rounds, database_url=url)

    result = asyncio.run(run())
    print(markdown(result))
    print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=2))


if __name__ == "__main__":
    app()
