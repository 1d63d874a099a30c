"""Planned maintenance: the followers of its services are told of the announcement, of
changes, once before it starts (a reminder that is a row with a due time, so a restart in
between changes nothing), of its start and its end or its cancellation — each worded as
planned work, not an outage, in their language and timezone."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from candor_dev.mailcatcher import MailCatcher
from candor_notifier.maintenance.models import MaintenanceWindow
from candor_notifier.maintenance.service import reminder_due, send_due_reminders
from candor_notifier.worker import create_worker
from candor_shared.contract import (
    CloudEvent,
    EventData,
    MaintenanceCancelled,
    MaintenanceCompleted,
    MaintenanceScheduled,
    MaintenanceSnapshot,
    MaintenanceStarted,
    MaintenanceUpdated,
    SubscriberUpserted,
    new_event,
)
from candor_shared.db import transaction
from tests.conftest import HeldClock, RunningWorker, eventually
from tests.notifier.helpers import (
    EMAIL_SERVICE,
    SOURCE,
    bodies,
    deliveries,
    handled_events,
    publish,
)

ANNOUNCED_AT = datetime(2025, 11, 24, 9, 0, tzinfo=UTC)
STARTS_AT = datetime(2025, 11, 25, 21, 0, tzinfo=UTC)
ENDS_AT = datetime(2025, 11, 25, 23, 0, tzinfo=UTC)
TITLE = "Mail server upgrade"


@pytest.fixture
def clock() -> HeldClock:
    return HeldClock(ANNOUNCED_AT)


@pytest.fixture
def maintenance_settings(notifier_settings: Any) -> Any:
    """Reminders an hour ahead, looked for often (the clock, not the poll, decides)."""
    return notifier_settings.model_copy(
        update={"maintenance_reminder_lead_minutes": 60, "maintenance_reminder_poll_seconds": 0.05}
    )


class Notifiers:
    """Starts the notifier on the test's clock, and again after a stop (a restart)."""

    def __init__(self, settings: Any, clock: HeldClock) -> None:
        self.settings = settings
        self.clock = clock
        self.running: RunningWorker | None = None

    async def start(self) -> RunningWorker:
        self.running = RunningWorker(
            create_worker(self.settings, serve_http=False, clock=self.clock)
        )
        await self.running.start()
        return self.running

    async def stop(self) -> None:
        if self.running is not None:
            await self.running.stop()


@pytest.fixture
async def notifiers(maintenance_settings: Any, clock: HeldClock) -> AsyncIterator[Notifiers]:
    made = Notifiers(maintenance_settings, clock)
    try:
        yield made
    finally:
        await made.stop()


PEOPLE = [
    ("ana@example.org", "Europe/Paris", "fr"),
    ("bob@example.org", "America/New_York", "en"),
    ("dora@example.org", "Europe/Berlin", "de"),
]


def person(address: str, timezone: str, language: str, services: list[str]) -> CloudEvent[Any]:
    data = SubscriberUpserted(
        id=str(uuid.uuid4()),
        email=address,
        services=services,
        timezone=timezone,
        language=language,
    )
    return new_event(data, source=SOURCE, key=data.id)


def window(version: int = 1, **changes: Any) -> MaintenanceSnapshot:
    values: dict[str, Any] = {
        "id": "0197a1b2-0000-7000-8000-000000000001",
        "version": version,
        "title": TITLE,
        "description": "The mail server moves to new hardware.",
        "status": "scheduled",
        "impact": "major",
        "services": [EMAIL_SERVICE],
        "starts_at": STARTS_AT,
        "ends_at": ENDS_AT,
        "announced_at": ANNOUNCED_AT,
    }
    values.update(changes)
    return MaintenanceSnapshot.model_validate(values)


def event(kind: type[EventData], snapshot: MaintenanceSnapshot) -> CloudEvent[Any]:
    data = kind(maintenance=snapshot)  # type: ignore[call-arg]
    return new_event(data, source="/tests/incident-api", key=snapshot.id)


async def _sent(sessions: Any, count: int) -> Any:
    rows = await deliveries(sessions)
    if len(rows) == count and all(row.state == "sent" for row in rows):
        return rows
    return None


async def _handled(sessions: Any, count: int) -> bool:
    return await handled_events(sessions) == count


def _by_address(mail: MailCatcher, start: int) -> dict[str, Any]:
    return {item.recipients[0]: item.message for item in mail.mails[start:]}


async def _followers(notifier: RunningWorker) -> None:
    await publish(
        notifier.settings,
        *(person(*who, ["email"]) for who in PEOPLE),
        person("carl@example.org", "UTC", "en", ["printing"]),
    )
    await eventually(lambda: _handled(notifier.sessions, 4))


def _flat(text: str) -> str:
    return " ".join(text.split())


async def test_announcement_reminder_once_across_a_restart_start_and_end(
    notifiers: Notifiers, clock: HeldClock, mail: MailCatcher
) -> None:
    notifier = await notifiers.start()
    await _followers(notifier)

    await publish(notifier.settings, event(MaintenanceScheduled, window()))

    await eventually(lambda: _sent(notifier.sessions, 3))
    announced = _by_address(mail, 0)
    assert sorted(announced) == sorted(address for address, _, _ in PEOPLE)  # not carl
    expected = {
        "ana@example.org": (
            f"Maintenance planifiée : Email — {TITLE}",
            "Il s\N{RIGHT SINGLE QUOTATION MARK}agit de travaux planifiés, "
            "pas d\N{RIGHT SINGLE QUOTATION MARK}une panne. Ils auront lieu du "
            "mardi 25 novembre 2025 à 22:00 CET au mercredi 26 novembre 2025 à 00:00 CET.",
        ),
        "bob@example.org": (
            f"Planned maintenance: Email — {TITLE}",
            "This is planned work, not an outage. We will carry it out from "
            "Tuesday 25 November 2025 at 16:00 EST to Tuesday 25 November 2025 at 18:00 EST.",
        ),
        "dora@example.org": (
            f"Geplante Wartung: Email — {TITLE}",
            "Dies sind geplante Arbeiten, keine Störung. Sie finden von "
            "Dienstag, 25. November 2025 um 22:00 CET bis Mittwoch, 26. November 2025 um "
            "00:00 CET statt.",
        ),
    }
    for address, (subject, sentence) in expected.items():
        message = announced[address]
        assert message["Subject"] == subject
        text, html = bodies(message)
        for body in (text, html):
            assert sentence in _flat(body), (address, body)
            assert "The mail server moves to new hardware." in body
    bob_text, _ = bodies(announced["bob@example.org"])
    assert "What you may notice: You may not be able to use it while the work lasts." in bob_text
    assert "Length: 2 hours" in bob_text

    # The reminder is a row due an hour before the start; a poll a minute early finds nothing.
    window_row = await eventually(lambda: _window(notifier.sessions))
    assert window_row.reminder_due_at == STARTS_AT - timedelta(hours=1)
    clock.now = STARTS_AT - timedelta(hours=1, minutes=1)
    assert await _poll(notifier.sessions, clock.now) == 0
    assert len(mail.mails) == 3
    # The notifier restarts; the reminder's minute comes while it is down.
    await notifiers.stop()
    clock.now = STARTS_AT - timedelta(hours=1)
    notifier = await notifiers.start()

    rows = await eventually(lambda: _sent(notifier.sessions, 6))
    reminded = _by_address(mail, 3)
    assert reminded["bob@example.org"]["Subject"] == f"Planned maintenance soon: Email — {TITLE}"
    assert reminded["bob@example.org"]["In-Reply-To"] == announced["bob@example.org"]["Message-ID"]
    text, _ = bodies(reminded["bob@example.org"])
    assert "starts at Tuesday 25 November 2025 at 16:00 EST" in _flat(text)
    assert {row.kind for row in rows[3:]} == {"mnt_reminder"}
    # Sent once: a later poll finds nothing more to remind.
    assert (await _window(notifier.sessions)).reminder_sent_at == STARTS_AT - timedelta(hours=1)
    clock.now = STARTS_AT - timedelta(minutes=30)
    assert await _poll(notifier.sessions, clock.now) == 0
    assert len(await deliveries(notifier.sessions)) == 6

    clock.now = STARTS_AT
    await publish(
        notifier.settings,
        event(MaintenanceStarted, window(2, status="in_progress", started_at=STARTS_AT)),
    )
    await eventually(lambda: _sent(notifier.sessions, 9))
    started = _by_address(mail, 6)
    assert started["dora@example.org"]["Subject"] == f"Geplante Wartung läuft: Email — {TITLE}"
    assert "sollten bis Mittwoch, 26. November 2025 um 00:00 CET beendet sein" in _flat(
        bodies(started["dora@example.org"])[0]
    )

    clock.now = ENDS_AT
    done = window(3, status="completed", started_at=STARTS_AT, completed_at=ENDS_AT)
    await publish(notifier.settings, event(MaintenanceCompleted, done))
    await eventually(lambda: _sent(notifier.sessions, 12))
    finished = _by_address(mail, 9)
    assert (
        finished["bob@example.org"]["Subject"] == f"Planned maintenance finished: Email — {TITLE}"
    )
    text, html = bodies(finished["bob@example.org"])
    assert "everything works normally again" in text
    assert "What you may notice" not in text
    assert len(mail.mails) == 12


async def _window(sessions: Any) -> MaintenanceWindow | None:
    async with sessions() as session:
        return await session.scalar(select(MaintenanceWindow))


async def _poll(sessions: Any, now: datetime) -> int:
    """One poll of the reminder task, at ``now``: how many windows it reminded."""
    async with transaction(sessions) as session:
        return await send_due_reminders(session=session, message_domain="example.org", now=now)


async def test_a_change_moves_the_reminder_and_a_cancellation_drops_it(
    notifiers: Notifiers, clock: HeldClock, mail: MailCatcher
) -> None:
    notifier = await notifiers.start()
    await _followers(notifier)
    await publish(notifier.settings, event(MaintenanceScheduled, window()))
    await eventually(lambda: _sent(notifier.sessions, 3))

    later = STARTS_AT + timedelta(days=1)
    moved = window(2, starts_at=later, ends_at=later + timedelta(hours=3))
    await publish(notifier.settings, event(MaintenanceUpdated, moved))

    await eventually(lambda: _sent(notifier.sessions, 6))
    changed = _by_address(mail, 3)["bob@example.org"]
    assert changed["Subject"] == f"Planned maintenance changed: Email — {TITLE}"
    text, _ = bodies(changed)
    assert (
        "It now runs from Wednesday 26 November 2025 at 16:00 EST to Wednesday 26 November "
        "2025 at 19:00 EST; it is planned work, not an outage." in _flat(text)
    )
    assert (await _window(notifier.sessions)).reminder_due_at == later - timedelta(hours=1)
    # The old reminder time passes: nothing is due any more.
    assert await _poll(notifier.sessions, STARTS_AT - timedelta(hours=1)) == 0

    cancelled = moved.model_copy(
        update={"version": 3, "status": "cancelled", "cancelled_at": ANNOUNCED_AT}
    )
    await publish(notifier.settings, event(MaintenanceCancelled, cancelled))
    await eventually(lambda: _sent(notifier.sessions, 9))
    called_off = _by_address(mail, 6)
    assert called_off["ana@example.org"]["Subject"] == (
        f"Maintenance planifiée annulée : Email — {TITLE}"
    )
    text, _ = bodies(called_off["bob@example.org"])
    assert "will not take place: nothing changes for you." in _flat(text)
    assert (await _window(notifier.sessions)).reminder_due_at is None
    assert await _poll(notifier.sessions, later - timedelta(hours=1)) == 0
    # A redelivered, older event about the window tells nobody anything.
    await publish(notifier.settings, event(MaintenanceUpdated, moved))
    await eventually(lambda: _handled(notifier.sessions, 8))
    assert len(await deliveries(notifier.sessions)) == 9
    assert len(mail.mails) == 9


def test_no_reminder_for_a_window_announced_within_the_lead_or_without_a_lead() -> None:
    lead = timedelta(hours=1)
    assert reminder_due(window(), lead) == STARTS_AT - lead
    late = window(announced_at=STARTS_AT - timedelta(minutes=30))
    assert reminder_due(late, lead) is None
    assert reminder_due(window(), None) is None
    assert reminder_due(window(status="in_progress"), lead) is None
