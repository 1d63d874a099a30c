"""Holding updates of minor incidents follow the recipient's preferences like every other
notice of them: quiet hours delay them (judged at the update's minute, not when it was
planned), never drop them; a digest gathers them; an operator update still supersedes them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time
from typing import Any

import pytest

from candor_dev.mailcatcher import MailCatcher
from candor_shared.contract import CloudEvent, QuietHours, SubscriberUpserted, new_event
from tests.conftest import HeldClock, RunningWorker, eventually
from tests.notifier.helpers import SOURCE, bodies, deliveries, handled_events, opened, publish
from tests.notifier.helpers import snapshot as major_snapshot
from tests.notifier.test_holding_updates import (
    DUE_AT,
    OPENED_AT,
    UPDATE_DUE_AT,
    public_update,
    stamped,
    update_due,
)

QUIET_END = datetime(2025, 11, 24, 11, 0, tzinfo=UTC)  # 12:00 in Paris


@pytest.fixture
def clock() -> HeldClock:
    return HeldClock(OPENED_AT)


def person(
    address: str, *, quiet_hours: QuietHours | None = None, digest_every: str | None = None
) -> CloudEvent[Any]:
    data = SubscriberUpserted.model_validate(
        {
            "id": str(uuid.uuid4()),
            "email": address,
            "services": ["email"],
            "timezone": "Europe/Paris",
            "quiet_hours": quiet_hours,
            "digest_every": digest_every,
        }
    )
    return new_event(data, source=SOURCE, key=data.id)


# 11:15 to 12:00 in Paris: the opening (10:58 Paris) goes at once, the holding update due
# at 11:30 Paris waits for 12:00 (11:00 UTC).
LATE_MORNING = QuietHours(start=time(11, 15), end=time(12, 0))


async def _minor_incident_told(notifier: RunningWorker, *people: CloudEvent[Any]) -> Any:
    await publish(notifier.settings, *people)
    await eventually(lambda: _handled(notifier.sessions, len(people)))
    incident = major_snapshot(started_at=OPENED_AT.isoformat()).model_copy(
        update={"impact": "minor"}
    )
    await publish(notifier.settings, stamped(opened(incident), OPENED_AT))
    return incident


async def test_a_minor_holding_update_waits_for_the_end_of_quiet_hours(
    held_notifier: RunningWorker, clock: HeldClock, mail: MailCatcher
) -> None:
    notifier = held_notifier
    incident = await _minor_incident_told(
        notifier,
        person("ana@example.org", quiet_hours=LATE_MORNING),
        person("bob@example.org"),
    )
    await eventually(lambda: _sent(notifier.sessions, 2))
    clock.now = UPDATE_DUE_AT  # 11:29:20 in Paris: not yet Ana's quiet hours

    await publish(notifier.settings, update_due(incident))

    await eventually(lambda: _planned(notifier.sessions, 4))
    clock.now = DUE_AT
    await eventually(lambda: len(mail.mails) == 3)
    held = [row for row in await deliveries(notifier.sessions) if row.state == "pending"]
    assert [(row.kind, row.next_attempt_at) for row in held] == [("holding", QUIET_END)]
    assert mail.mails[2].recipients == ("bob@example.org",)

    clock.now = datetime(2025, 11, 24, 10, 59, 59, tzinfo=UTC)
    assert len(mail.mails) == 3
    clock.now = QUIET_END
    await eventually(lambda: _sent(notifier.sessions, 4))
    assert len(mail.mails) == 4
    late = mail.mails[3]
    assert late.recipients == ("ana@example.org",)
    assert "No change" in late.message["Subject"]


async def test_an_operator_update_still_drops_a_held_minor_holding_update(
    held_notifier: RunningWorker, clock: HeldClock, mail: MailCatcher
) -> None:
    notifier = held_notifier
    incident = await _minor_incident_told(
        notifier, person("ana@example.org", quiet_hours=LATE_MORNING)
    )
    await eventually(lambda: _sent(notifier.sessions, 1))
    clock.now = UPDATE_DUE_AT
    await publish(notifier.settings, update_due(incident))
    await eventually(lambda: _planned(notifier.sessions, 2))

    clock.now = datetime(2025, 11, 24, 10, 45, tzinfo=UTC)
    await publish(notifier.settings, public_update(incident, "Mail flows again.", clock.now))

    rows = await eventually(lambda: _kinds(notifier.sessions, ["opened", "updated"]))
    clock.now = QUIET_END
    await eventually(lambda: _sent(notifier.sessions, 2))
    assert [row.kind for row in rows] == ["opened", "updated"]
    assert len(mail.mails) == 2


async def test_a_digest_gathers_a_minor_holding_update(
    held_notifier: RunningWorker, clock: HeldClock, mail: MailCatcher
) -> None:
    notifier = held_notifier
    incident = await _minor_incident_told(notifier, person("ana@example.org", digest_every="PT1H"))
    await eventually(lambda: _planned(notifier.sessions, 1))
    clock.now = datetime(2025, 11, 24, 10, 0, tzinfo=UTC)
    await eventually(lambda: _sent(notifier.sessions, 1))  # the 09:00-10:00 digest
    clock.now = UPDATE_DUE_AT

    await publish(notifier.settings, update_due(incident))

    # Gathered into the digest of the hour the update is due in (10:00-11:00 UTC).
    await eventually(lambda: _planned(notifier.sessions, 2))
    (waiting,) = [row for row in await deliveries(notifier.sessions) if row.state == "pending"]
    assert (waiting.kind, waiting.next_attempt_at) == ("digest", QUIET_END)
    clock.now = QUIET_END
    await eventually(lambda: _sent(notifier.sessions, 2))
    assert len(mail.mails) == 2
    text, _ = bodies(mail.mails[1].message)
    assert "No change" in text


async def _handled(sessions: Any, count: int) -> bool:
    return await handled_events(sessions) == count


async def _planned(sessions: Any, count: int) -> bool:
    return len(await deliveries(sessions)) == count


async def _sent(sessions: Any, count: int) -> Any:
    rows = await deliveries(sessions)
    return rows if len(rows) == count and all(row.state == "sent" for row in rows) else None


async def _kinds(sessions: Any, kinds: list[str]) -> Any:
    rows = await deliveries(sessions)
    return rows if [row.kind for row in rows] == kinds else None
