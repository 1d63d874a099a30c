"""Burst folding: five public updates in two minutes reach each follower as one message at
once and one folded message an interval after it ("4 updates since 10:05"), with the latest
state; a resolution is never held back and drops the update still waiting."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from candor_dev.mailcatcher import MailCatcher
from candor_notifier.worker import create_worker
from candor_shared.contract import CloudEvent, IncidentResolved, IncidentSnapshot, new_event
from tests.conftest import HeldClock, RunningWorker, eventually
from tests.notifier.helpers import SOURCE, bodies, deliveries, handled_events, opened, publish
from tests.notifier.helpers import snapshot as incident_snapshot
from tests.notifier.test_holding_updates import PEOPLE, person, public_update, stamped

OPENED_AT = datetime(2025, 11, 24, 9, 0, tzinfo=UTC)
FIRST_UPDATE_AT = datetime(2025, 11, 24, 10, 5, tzinfo=UTC)
TITLE = "Outgoing mail is not being delivered"


@pytest.fixture
def clock() -> HeldClock:
    return HeldClock(OPENED_AT)


@pytest.fixture
async def folding_notifier(
    notifier_settings: Any, clock: HeldClock
) -> AsyncIterator[RunningWorker]:
    """The notifier on the test's clock, one update per recipient every 5 minutes."""
    settings = notifier_settings.model_copy(update={"notify_min_interval_seconds": 300})
    running = RunningWorker(create_worker(settings, serve_http=False, clock=clock))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def _sent(sessions: Any, count: int) -> Any:
    rows = await deliveries(sessions)
    if len(rows) == count and all(row.state == "sent" for row in rows):
        return rows
    return None


async def _handled(sessions: Any, count: int) -> bool:
    return await handled_events(sessions) == count


async def _opened(notifier: RunningWorker, mail: MailCatcher) -> IncidentSnapshot:
    await publish(notifier.settings, *(person(*who) for who in PEOPLE))
    await eventually(lambda: _handled(notifier.sessions, 3))
    incident = incident_snapshot(started_at=OPENED_AT.isoformat())
    await publish(notifier.settings, stamped(opened(incident), OPENED_AT))
    await eventually(lambda: _sent(notifier.sessions, 3))
    return incident


async def _burst(notifier: RunningWorker, clock: HeldClock, incident: IncidentSnapshot) -> Any:
    """Five public updates, 30 seconds apart, each read at its own minute."""
    current = incident
    for number in range(5):
        clock.now = FIRST_UPDATE_AT + timedelta(seconds=30 * number)
        update = public_update(current, f"Update number {number + 1}.", clock.now)
        current = update.data.incident
        await publish(notifier.settings, update)
        await eventually(lambda n=number: _handled(notifier.sessions, 3 + 1 + n + 1))
        if number == 0:
            # The first goes at once, at 10:05 by the held clock.
            await eventually(lambda: _sent(notifier.sessions, 6))
    return current


async def test_five_updates_in_two_minutes_make_one_message_at_once_and_one_folded(
    folding_notifier: RunningWorker, clock: HeldClock, mail: MailCatcher
) -> None:
    notifier = folding_notifier
    incident = await _opened(notifier, mail)

    await _burst(notifier, clock, incident)

    # The first update went at once; the four others wait for 10:10, as one message each.
    rows = await deliveries(notifier.sessions)
    assert [row.state for row in rows].count("sent") == 6
    assert [row.state for row in rows].count("pending") == 3
    waiting = [row for row in rows if row.state == "pending"]
    assert {row.next_attempt_at for row in waiting} == {FIRST_UPDATE_AT + timedelta(minutes=5)}
    assert {row.folded for row in waiting} == {4}
    assert len(mail.mails) == 6

    clock.now = FIRST_UPDATE_AT + timedelta(minutes=5)
    await eventually(lambda: _sent(notifier.sessions, 9))
    assert len(mail.mails) == 9
    folded = {item.recipients[0]: item.message for item in mail.mails[6:]}
    text, html = bodies(folded["bob@example.org"])
    # Bob is in New York: he last heard at 05:05 EST.
    for body in (text, html):
        assert "4 updates since 05:05 EST" in body
        assert "Update number 5." in body
        assert "Update number 4." not in body
    fr_text, _ = bodies(folded["ana@example.org"])
    assert "4 mises à jour depuis 11:05 CET" in fr_text
    de_text, _ = bodies(folded["dora@example.org"])
    assert "4 Aktualisierungen seit 11:05 CET" in de_text
    first = {item.recipients[0]: item.message for item in mail.mails[3:6]}
    first_text, _ = bodies(first["bob@example.org"])
    assert "Update number 1." in first_text
    assert "updates since" not in first_text


async def test_a_resolution_is_never_held_back_and_drops_the_waiting_update(
    folding_notifier: RunningWorker, clock: HeldClock, mail: MailCatcher
) -> None:
    notifier = folding_notifier
    incident = await _opened(notifier, mail)
    latest = await _burst(notifier, clock, incident)

    clock.now = FIRST_UPDATE_AT + timedelta(minutes=3)
    ended = latest.model_copy(
        update={
            "version": latest.version + 1,
            "status": "resolved",
            "resolved_at": clock.now,
            "public_message": "Mail flows again.",
        }
    )
    resolution: CloudEvent[Any] = new_event(
        IncidentResolved(incident=ended), source=SOURCE, key=ended.id
    )
    await publish(notifier.settings, resolution)

    # 3 openings + 3 first updates + 3 resolutions, at once; the folded update is gone.
    rows = await eventually(lambda: _sent(notifier.sessions, 9))
    assert {row.kind for row in rows[6:]} == {"resolved"}
    assert len(mail.mails) == 9
    resolved = {item.recipients[0]: item.message for item in mail.mails[6:]}
    text, _ = bodies(resolved["bob@example.org"])
    assert "Mail flows again." in text
    # Later, nothing more comes.
    clock.now = FIRST_UPDATE_AT + timedelta(minutes=10)
    await eventually(lambda: _handled(notifier.sessions, 3 + 1 + 5 + 1))
    assert len(await deliveries(notifier.sessions)) == 9
