"""The ledger sends each notice once per recipient, retries what the relay deferred, and records
what it refused; stale or repeated events tell nobody anything."""

from __future__ import annotations

import socket
from typing import Any

from candor_dev.mailcatcher import MailCatcher
from candor_dev.ports import free_port
from tests.conftest import RunningNotifier, eventually
from tests.notifier.helpers import (
    bodies,
    deliveries,
    duplicates_skipped,
    handled_events,
    opened,
    publish,
    resolved,
    snapshot,
    subscriber,
)


async def _settled(sessions: Any, *, count: int, state: str = "sent") -> Any:
    rows = await deliveries(sessions)
    if len(rows) == count and all(row.state == state for row in rows):
        return rows
    return None


async def test_same_record_twice_sends_one_email(
    notifier: RunningNotifier, mail: MailCatcher
) -> None:
    event = opened(snapshot())
    await publish(notifier.settings, subscriber("ana@example.org", ["email"]))

    await publish(notifier.settings, event, event)

    await eventually(lambda: duplicates_skipped(notifier.settings) >= 1)
    await eventually(lambda: _settled(notifier.sessions, count=1))
    await notifier.stop()
    assert len(mail.mails) == 1


async def test_stale_and_repeated_incident_events_tell_nobody_anything(
    notifier: RunningNotifier, mail: MailCatcher
) -> None:
    first = snapshot(version=1)
    later = snapshot(
        incident_id=first.id, version=2, status="resolved", resolved_at="2025-11-24T10:20:00+00:00"
    )
    await publish(notifier.settings, subscriber("ana@example.org", ["email"]))
    # Topics are not ordered with respect to each other: let the subscriber arrive first.
    await eventually(lambda: _count_is(handled_events(notifier.sessions), 1))

    await publish(
        notifier.settings,
        opened(first),
        opened(first),  # the same change published again under a new event id
        resolved(later),
        opened(first),  # an old change arriving after a newer one
    )

    await eventually(lambda: _count_is(handled_events(notifier.sessions), 5))
    await eventually(lambda: _settled(notifier.sessions, count=2))
    await notifier.stop()
    subjects = sorted(m.message["Subject"] for m in mail.mails)
    assert subjects == [
        "[Investigating] Email — Outgoing mail is not being delivered",
        "[Resolved] Email — Outgoing mail is not being delivered",
    ]


async def test_subscriber_seen_after_the_incident_is_still_told(
    notifier: RunningNotifier, mail: MailCatcher
) -> None:
    await publish(notifier.settings, opened(snapshot()))
    await eventually(lambda: _count_is(handled_events(notifier.sessions), 1))

    await publish(notifier.settings, subscriber("ana@example.org", ["email"]))

    await eventually(lambda: _settled(notifier.sessions, count=1))
    await notifier.stop()
    assert [m.recipients for m in mail.mails] == [("ana@example.org",)]


async def test_deferred_by_the_relay_then_accepted_is_delivered_once(
    notifier: RunningNotifier, mail: MailCatcher
) -> None:
    mail.answer_next("421 4.3.2 Service not available, try again later")
    await publish(notifier.settings, subscriber("ana@example.org", ["email"]))

    await publish(notifier.settings, opened(snapshot()))

    rows = await eventually(lambda: _settled(notifier.sessions, count=1))
    await notifier.stop()
    assert len(mail.mails) == 1
    assert rows[0].attempts == 2
    assert rows[0].last_error.startswith("421 ")
    assert rows[0].sent_at is not None


async def test_refused_by_the_relay_is_recorded_failed(
    notifier: RunningNotifier, mail: MailCatcher
) -> None:
    mail.answer_next("550 5.1.1 <ana@example.org>: mailbox unavailable")
    await publish(notifier.settings, subscriber("ana@example.org", ["email"]))

    await publish(notifier.settings, opened(snapshot()))

    rows = await eventually(lambda: _settled(notifier.sessions, count=1, state="failed"))
    await notifier.stop()
    assert mail.mails == []
    assert rows[0].attempts == 1
    assert rows[0].last_error == "550 5.1.1 <recipient>: mailbox unavailable"
    assert rows[0].sent_at is None


async def test_deferred_every_time_fails_after_the_last_attempt(
    notifier_settings: Any, mail: MailCatcher
) -> None:
    notifier = RunningNotifier(notifier_settings.model_copy(update={"delivery_max_attempts": 3}))
    await notifier.start()
    try:
        mail.answer_next(*["451 4.3.0 Temporary local problem"] * 3)
        await publish(notifier.settings, subscriber("ana@example.org", ["email"]))

        await publish(notifier.settings, opened(snapshot()))

        rows = await eventually(lambda: _settled(notifier.sessions, count=1, state="failed"))
    finally:
        await notifier.stop()
    assert mail.mails == []
    assert rows[0].attempts == 3
    assert rows[0].last_error.startswith("451 ")


async def test_an_unreachable_relay_is_waited_for(notifier_settings: Any) -> None:
    port = free_port()
    notifier = RunningNotifier(
        notifier_settings.model_copy(update={"smtp_url": f"smtp://127.0.0.1:{port}"})
    )
    relay = MailCatcher(port=port)
    await notifier.start()
    try:
        await publish(notifier.settings, subscriber("ana@example.org", ["email"]))
        await publish(notifier.settings, opened(snapshot()))
        await eventually(lambda: _attempted(notifier.sessions, at_least=2))

        relay.start()

        await eventually(lambda: _settled(notifier.sessions, count=1))
        await notifier.stop()
        assert len(relay.mails) == 1
    finally:
        await notifier.stop()
        if relay.mails or _listening(port):
            relay.stop()


async def test_a_title_cannot_add_headers(notifier: RunningNotifier, mail: MailCatcher) -> None:
    title = "Disk full\r\nBcc: mallory@example.org\r\nX-Injected: yes\n\n<script>alert(1)</script>"
    await publish(notifier.settings, subscriber("ana@example.org", ["email"]))

    await publish(notifier.settings, opened(snapshot(title=title)))

    await eventually(lambda: _settled(notifier.sessions, count=1))
    await notifier.stop()
    (caught,) = mail.mails
    message = caught.message
    assert caught.recipients == ("ana@example.org",)
    assert message["Bcc"] is None
    assert message["X-Injected"] is None
    assert message["Subject"] == (
        "[Investigating] Email — Disk full Bcc: mallory@example.org X-Injected: yes "
        "<script>alert(1)</script>"
    )
    text, html = bodies(message)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "What we see: Disk full Bcc: mallory@example.org X-Injected: yes" in text


async def _count_is(count: Any, expected: int) -> bool:
    return bool(await count == expected)


async def _attempted(sessions: Any, *, at_least: int) -> bool:
    rows = await deliveries(sessions)
    return bool(rows) and rows[0].attempts >= at_least


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0
