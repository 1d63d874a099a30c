"""Holding updates: when sla-monitor says news is due and operators said nothing since the
deadline's clock started, each follower gets one email saying so, in their language and
timezone, with when they last heard and when they will hear next — once per deadline."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from candor_dev.mailcatcher import MailCatcher
from candor_notifier.mail.compose import Recipient, compose
from candor_notifier.sla.models import HoldingUpdate
from candor_notifier.sla.service import next_update_by
from candor_notifier.worker import consumer_group
from candor_shared.contract import (
    CloudEvent,
    Deadline,
    IncidentSnapshot,
    IncidentUpdated,
    SlaBreached,
    SlaUpdateDue,
    SubscriberUpserted,
    new_event,
)
from tests.conftest import HeldClock, RunningWorker, eventually
from tests.notifier.helpers import (
    EMAIL_SERVICE,
    SOURCE,
    bodies,
    deliveries,
    duplicates_skipped,
    handled_events,
    opened,
    publish,
    resolved,
    snapshot,
)
from tests.notifier.test_delivery_facts import facts_of
from tests.notifier.test_languages import _source_messages

TITLE = "Outgoing mail is not being delivered"
OPENED_AT = datetime(2025, 11, 24, 9, 58, tzinfo=UTC)
HEARD_AT = datetime(2025, 11, 24, 10, 0, tzinfo=UTC)  # the opening notice reached users
UPDATE_DUE_AT = datetime(2025, 11, 24, 10, 29, 20, tzinfo=UTC)  # 30 min, less a lead
DUE_AT = datetime(2025, 11, 24, 10, 30, tzinfo=UTC)  # users must hear by then


@pytest.fixture
def clock() -> HeldClock:
    return HeldClock(OPENED_AT)


PEOPLE = [
    ("ana@example.org", "Europe/Paris", "fr"),
    ("bob@example.org", "America/New_York", "en"),
    ("dora@example.org", "Europe/Berlin", "de"),
]


def person(address: str, timezone: str, language: str) -> CloudEvent[Any]:
    data = SubscriberUpserted(
        id=str(uuid.uuid4()),
        email=address,
        services=["email"],
        timezone=timezone,
        language=language,
    )
    return new_event(data, source=SOURCE, key=data.id)


def update_due(
    incident: IncidentSnapshot,
    *,
    deadline_id: str | None = None,
    started_at: datetime = HEARD_AT,
    last_communication_at: datetime | None = HEARD_AT,
) -> CloudEvent[Any]:
    deadline = Deadline(
        deadline_id=deadline_id or f"{incident.id}:update:1",
        incident_id=incident.id,
        service=EMAIL_SERVICE,
        impact="major",
        term="update",
        started_at=started_at,
        due_at=started_at + timedelta(minutes=30),
        allowed=timedelta(minutes=30),
    )
    data = SlaUpdateDue(
        deadline=deadline, lead=timedelta(seconds=40), last_communication_at=last_communication_at
    )
    return new_event(data, source="/tests/sla-monitor", key=incident.id)


def stamped(event: CloudEvent[Any], when: datetime) -> CloudEvent[Any]:
    """``event`` as made at ``when`` (the time of the change, by the clock of its maker)."""
    return event.model_copy(update={"time": when})


def public_update(incident: IncidentSnapshot, message: str, when: datetime) -> CloudEvent[Any]:
    changed = incident.model_copy(
        update={"version": incident.version + 1, "status": "identified", "public_message": message}
    )
    data = IncidentUpdated(
        incident=changed, kind="update", actor="operator", public_message=message
    )
    return stamped(new_event(data, source=SOURCE, key=incident.id), when)


async def _sent(sessions: Any, count: int) -> Any:
    rows = await deliveries(sessions)
    if len(rows) == count and all(row.state == "sent" for row in rows):
        return rows
    return None


async def _planned(sessions: Any, count: int) -> bool:
    return len(await deliveries(sessions)) == count


async def _handled(sessions: Any, count: int) -> bool:
    return await handled_events(sessions) == count


async def _decisions(sessions: Any) -> dict[str, str]:
    async with sessions() as session:
        rows = await session.scalars(select(HoldingUpdate))
        return {row.deadline_id: row.outcome for row in rows}


async def _incident_told(
    notifier: RunningWorker, clock: HeldClock, mail: MailCatcher
) -> IncidentSnapshot:
    """Three followers (fr in Paris, en in New York, de in Berlin) told of a new incident."""
    await publish(notifier.settings, *(person(*who) for who in PEOPLE))
    await eventually(lambda: _handled(notifier.sessions, 3))
    incident = snapshot(started_at=OPENED_AT.isoformat())
    await publish(notifier.settings, stamped(opened(incident), OPENED_AT))
    await eventually(lambda: _sent(notifier.sessions, 3))
    assert len(mail.mails) == 3
    return incident


def _by_address(mail: MailCatcher, start: int) -> dict[str, EmailMessage]:
    return {item.recipients[0]: item.message for item in mail.mails[start:]}


async def test_update_due_sends_each_follower_one_holding_update_in_their_words(
    held_notifier: RunningWorker, clock: HeldClock, mail: MailCatcher
) -> None:
    notifier = held_notifier
    incident = await _incident_told(notifier, clock, mail)
    openings = _by_address(mail, 0)
    clock.now = UPDATE_DUE_AT
    due = update_due(incident)

    await publish(notifier.settings, due)

    # Planned when the event comes, sent at the deadline's minute: not before.
    await eventually(lambda: _planned(notifier.sessions, 6))
    assert len(mail.mails) == 3
    clock.now = DUE_AT
    rows = await eventually(lambda: _sent(notifier.sessions, 6))
    holding = _by_address(mail, 3)
    assert sorted(holding) == sorted(address for address, _, _ in PEOPLE)
    # Heard at 10:00 UTC; sent at 10:30 + the 30-minute interval: 11:00 UTC.
    expected = {
        "ana@example.org": (
            f"[Analyse en cours] Pas de changement : Email — {TITLE}",
            "Pas de changement depuis 11:00 CET : nos équipes travaillent toujours sur "
            f"« {TITLE} » ; prochain point d\N{RIGHT SINGLE QUOTATION MARK}ici 12:00 CET.",
            "au plus tard le lundi 24 novembre 2025 à 12:00 CET",
        ),
        "bob@example.org": (
            f"[Investigating] No change: Email — {TITLE}",
            f"No change since 05:00 EST: engineers are still working on “{TITLE}”; "
            "next update by 06:00 EST.",
            "by Monday 24 November 2025 at 06:00 EST",
        ),
        "dora@example.org": (
            f"[Wird untersucht] Unverändert: Email — {TITLE}",
            f"Keine Änderung seit 11:00 CET: Unsere Techniker arbeiten weiter an „{TITLE}“; "
            "den nächsten Stand erhalten Sie spätestens 12:00 CET.",
            "spätestens am Montag, 24. November 2025 um 12:00 CET",
        ),
    }
    for address, (subject, sentence, promise) in expected.items():
        message = holding[address]
        assert message["Subject"] == subject
        assert message["In-Reply-To"] == openings[address]["Message-ID"]
        text, html = bodies(message)
        for body in (text, html):
            assert " ".join(sentence.split()) in " ".join(body.split()), (address, body)
            assert promise in body
    assert holding["ana@example.org"]["Content-Language"] == "fr"
    assert holding["dora@example.org"]["Content-Language"] == "de"
    assert {row.kind for row in rows[3:]} == {"holding"}
    assert await _decisions(notifier.sessions) == {due.data.deadline.deadline_id: "planned"}
    # The holding update is a communication like any other: its first delivery is a fact.
    facts = await eventually(lambda: facts_of(notifier.settings, due.id))
    (fact,) = [f for f in facts if f.data.notice_id == due.id]
    assert fact.data.kind == "holding"
    assert fact.data.first_delivered_at == DUE_AT


async def test_a_redelivered_update_due_sends_nothing_more(
    held_notifier: RunningWorker, clock: HeldClock, mail: MailCatcher
) -> None:
    notifier = held_notifier
    incident = await _incident_told(notifier, clock, mail)
    clock.now = UPDATE_DUE_AT
    due = update_due(incident)
    await publish(notifier.settings, due)
    await eventually(lambda: _planned(notifier.sessions, 6))
    clock.now = DUE_AT
    await eventually(lambda: _sent(notifier.sessions, 6))
    handled = await handled_events(notifier.sessions)

    # The same record again, and the same deadline under another event id.
    again = update_due(incident, deadline_id=due.data.deadline.deadline_id)
    await publish(notifier.settings, due, again)

    await eventually(lambda: duplicates_skipped(notifier.settings) >= 1)
    await eventually(lambda: _handled(notifier.sessions, handled + 1))
    assert len(await deliveries(notifier.sessions)) == 6
    await notifier.stop()
    assert len(mail.mails) == 6


async def test_an_operator_update_after_the_clock_started_suppresses_the_holding_update(
    held_notifier: RunningWorker, clock: HeldClock, mail: MailCatcher
) -> None:
    notifier = held_notifier
    dead_lettered = _dead_lettered(notifier.settings)
    incident = await _incident_told(notifier, clock, mail)
    clock.now = datetime(2025, 11, 24, 10, 20, tzinfo=UTC)  # minute 20 of the interval
    update = public_update(incident, "A full disk stops outgoing mail.", clock.now)
    await publish(notifier.settings, update)
    await eventually(lambda: _sent(notifier.sessions, 6))
    clock.now = UPDATE_DUE_AT
    stale = update_due(incident)  # its clock started at 10:00, before the operator spoke
    other = new_event(
        SlaBreached(deadline=stale.data.deadline, by=timedelta(minutes=1)),
        source="/tests/sla-monitor",
        key=incident.id,
    )

    await publish(notifier.settings, other, stale)

    decisions = await eventually(lambda: _decisions(notifier.sessions))
    assert decisions == {stale.data.deadline.deadline_id: "superseded"}
    assert len(await deliveries(notifier.sessions)) == 6
    # The deadline whose clock that very update started is owed its holding update.
    clock.now = datetime(2025, 11, 24, 10, 49, 20, tzinfo=UTC)
    fresh = update_due(
        incident,
        deadline_id=f"{incident.id}:update:2",
        started_at=update.time,
        last_communication_at=update.time,
    )
    await publish(notifier.settings, fresh)
    await eventually(lambda: _planned(notifier.sessions, 9))
    clock.now = datetime(2025, 11, 24, 10, 50, tzinfo=UTC)  # its due minute
    await eventually(lambda: _sent(notifier.sessions, 9))
    text, _ = bodies(_by_address(mail, 6)["bob@example.org"])
    assert "No change since 05:20 EST" in text
    assert "next update by 06:20 EST." in text
    assert _dead_lettered(notifier.settings) == dead_lettered
    await notifier.stop()
    assert len(mail.mails) == 9


async def test_a_notice_made_before_the_due_minute_drops_the_planned_holding_update(
    held_notifier: RunningWorker, clock: HeldClock, mail: MailCatcher
) -> None:
    notifier = held_notifier
    incident = await _incident_told(notifier, clock, mail)
    clock.now = UPDATE_DUE_AT
    await publish(notifier.settings, update_due(incident))
    await eventually(lambda: _planned(notifier.sessions, 6))
    # An operator speaks at 10:29:40, after update_due but before the holding update's minute.
    clock.now = datetime(2025, 11, 24, 10, 29, 40, tzinfo=UTC)
    update = public_update(incident, "A full disk stops outgoing mail.", clock.now)
    await publish(notifier.settings, update)
    rows = await eventually(lambda: _sent(notifier.sessions, 6))
    assert {row.kind for row in rows} == {"opened", "updated"}
    clock.now = DUE_AT
    await notifier.stop()
    assert len(mail.mails) == 6
    subjects = [str(m.message["Subject"]) for m in mail.mails[3:]]
    holding_words = ("No change", "Pas de changement", "Unverändert")
    assert not any(word in subject for subject in subjects for word in holding_words), subjects


async def test_no_holding_update_once_the_incident_is_resolved_or_unknown(
    held_notifier: RunningWorker, clock: HeldClock, mail: MailCatcher
) -> None:
    notifier = held_notifier
    incident = await _incident_told(notifier, clock, mail)
    ended = incident.model_copy(
        update={"version": 2, "status": "resolved", "resolved_at": HEARD_AT}
    )
    await publish(notifier.settings, resolved(ended))
    await eventually(lambda: _sent(notifier.sessions, 6))
    clock.now = UPDATE_DUE_AT
    stranger = snapshot()

    await publish(notifier.settings, update_due(incident), update_due(stranger))

    decisions = await eventually(
        lambda: _when(_decisions(notifier.sessions), lambda found: len(found) == 2)
    )
    assert sorted(decisions.values()) == ["resolved", "unknown"]
    assert len(await deliveries(notifier.sessions)) == 6


@pytest.mark.parametrize(
    ("now", "promised"),
    [
        (datetime(2025, 11, 24, 10, 29, 20, tzinfo=UTC), datetime(2025, 11, 24, 11, 0, tzinfo=UTC)),
        (datetime(2025, 11, 24, 10, 30, tzinfo=UTC), datetime(2025, 11, 24, 11, 0, tzinfo=UTC)),
        (
            datetime(2025, 11, 24, 10, 30, 0, 1, tzinfo=UTC),
            datetime(2025, 11, 24, 11, 1, tzinfo=UTC),
        ),
    ],
)
def test_the_next_update_is_promised_one_interval_on_rounded_up_to_the_minute(
    now: datetime, promised: datetime
) -> None:
    assert next_update_by(now, timedelta(minutes=30)) == promised


@pytest.mark.parametrize("language", ["fr", "de"])
def test_a_holding_update_is_wholly_translated(language: str) -> None:
    incident = snapshot(started_at=OPENED_AT.isoformat()).model_copy(
        update={"next_update_at": datetime(2025, 11, 25, 8, 0, tzinfo=UTC)}
    )

    message = compose(
        kind="holding",
        incident=incident,
        recipient=Recipient(email="ana@example.org", timezone="Europe/Paris", language=language),
        sender="Candor <candor@localhost>",
        message_id="<1@candor.localhost>",
        in_reply_to=None,
        public_url="http://status.example.org/",
        now=UPDATE_DUE_AT,
        since=HEARD_AT,
    )

    text, html = bodies(message)
    leftovers = [
        english
        for english in _source_messages()
        if "%" not in english and len(english) > 6 and (english in text or english in html)
    ]
    assert leftovers == []
    # A promise on another day than today names the day.
    tomorrow = {"fr": "mardi 25 novembre 2025 à 09:00 CET", "de": "Dienstag, 25. November 2025"}
    assert tomorrow[language] in text


async def _when(found: Any, accept: Any) -> Any:
    value = await found
    return value if accept(value) else None


def _dead_lettered(settings: Any) -> float:
    value = REGISTRY.get_sample_value(
        "candor_events_dead_lettered_total", {"consumer": consumer_group(settings)}
    )
    return value or 0.0
