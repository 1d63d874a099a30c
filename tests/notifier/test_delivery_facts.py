"""Delivery facts: each notice's first delivery is published once on the delivery topic, with
the moment the ledger recorded it, whatever is redelivered, raced or killed on the way."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from candor_dev.mailcatcher import MailCatcher
from candor_notifier.deliveries import service as deliveries_service
from candor_notifier.incidents import service as incidents
from candor_notifier.models import OutboxRecord
from candor_shared.clock import utcnow
from candor_shared.contract import CloudEvent, NoticeDelivered, from_kafka
from candor_shared.db import transaction
from tests.conftest import Databases, RunningNotifier, eventually
from tests.notifier.helpers import (
    deliveries,
    delivery_topic,
    handled_events,
    notifier_process,
    opened,
    publish,
    resolved,
    snapshot,
    subscriber,
)
from tests.notifier.test_crash_recovery import (
    _subscriber_known,
    ledger,  # noqa: F401  (a fixture)
)
from tests.processes import KILLED, SLOW


async def delivery_facts(settings: Any) -> list[CloudEvent[NoticeDelivered]]:
    """Every NoticeDelivered on the test's delivery topic so far, read up to its end."""
    return [
        event
        for event in await delivery_topic(settings)
        if isinstance(event.data, NoticeDelivered)  # not the delivery counts (NoticeSettled)
    ]


async def facts_of(settings: Any, *notice_ids: str) -> list[CloudEvent[NoticeDelivered]] | None:
    """The facts, once every one of ``notice_ids`` has one (None before)."""
    facts = await delivery_facts(settings)
    seen = {fact.data.notice_id for fact in facts}
    return facts if set(notice_ids) <= seen else None


async def _all_sent(sessions: Any, count: int) -> Any:
    rows = await deliveries(sessions)
    if len(rows) == count and all(row.state == "sent" for row in rows):
        return rows
    return None


async def test_first_delivery_of_each_notice_is_published_once_even_when_redelivered(
    notifier: RunningNotifier, mail: MailCatcher, databases: Databases
) -> None:
    settings = notifier.settings
    people = [subscriber(f"p{n}@example.org", ["email"]) for n in range(3)]
    await publish(settings, *people)
    await eventually(lambda: _count_is(handled_events(notifier.sessions), 3))
    incident = snapshot()
    opening = opened(incident)
    ending = resolved(
        snapshot(
            incident_id=incident.id,
            version=2,
            status="resolved",
            resolved_at="2025-11-24T10:20:00+00:00",
        )
    )

    await publish(settings, opening)
    await eventually(lambda: facts_of(settings, opening.id))
    await publish(settings, opening)  # the broker hands the same record over again
    await publish(settings, ending)  # a later notice of the same key: a barrier
    rows = await eventually(lambda: _all_sent(notifier.sessions, 6))
    facts = await eventually(lambda: facts_of(settings, opening.id, ending.id))

    assert sorted(fact.data.notice_id for fact in facts) == sorted([opening.id, ending.id])
    by_notice = {fact.data.notice_id: fact for fact in facts}
    for notice_id, kind in [(opening.id, "opened"), (ending.id, "resolved")]:
        fact = by_notice[notice_id]
        sent = [row.sent_at for row in rows if row.event_id == notice_id]
        assert fact.data.kind == kind
        assert fact.data.incident_id == incident.id
        assert fact.data.service_slug == "email"
        # The delivery recorded first (concurrent senders may record milliseconds apart
        # in another order than they sent, on SQLite too: each reads the clock before its
        # transaction takes the write lock).
        assert fact.data.first_delivered_at in sent
        assert fact.data.recipients == 1
        assert fact.partitionkey == incident.id
    assert len(mail.mails) == 6


async def test_senders_racing_on_one_notice_publish_one_fact(
    notifier_settings: Any,
    ledger: Any,  # noqa: F811
) -> None:
    # Record every delivery of one notice at once, one transaction each: on PostgreSQL these
    # writers really are concurrent.
    settings = notifier_settings
    await _subscriber_known(settings, ledger)
    recipients = [str(uuid.uuid4()) for _ in range(8)]
    incident = snapshot()
    event_id = str(uuid.uuid4())
    now = utcnow()
    async with transaction(ledger) as session:
        notice = await incidents.record_change(
            session=session, event_id=event_id, kind="opened", incident=incident, now=now
        )
        assert notice is not None
        for recipient_id in recipients:
            await _known_recipient(session, recipient_id)
        await deliveries_service.plan(
            session=session,
            notice=notice,
            recipient_ids=recipients,
            message_domain="candor.test",
            now=now,
        )
    rows = await deliveries(ledger)
    assert len(rows) == len(recipients)

    async def record(delivery_id: uuid.UUID) -> None:
        async with transaction(ledger) as session:
            await deliveries_service.record_sent(
                session=session, delivery_id=delivery_id, now=utcnow()
            )

    await asyncio.gather(*(record(row.id) for row in rows))

    async with ledger() as session:
        outbox = list(await session.scalars(select(OutboxRecord)))
    assert [row.event_type for row in outbox] == [NoticeDelivered.event_type]
    assert outbox[0].key == incident.id
    fact = from_kafka(
        outbox[0].key.encode(),
        outbox[0].value,
        [(name, value.encode()) for name, value in outbox[0].headers],
    )
    assert isinstance(fact.data, NoticeDelivered)
    assert fact.data.notice_id == event_id
    sent = [row.sent_at for row in await deliveries(ledger)]
    assert fact.data.first_delivered_at in sent


async def test_killed_between_smtp_and_ledger_still_publishes_one_fact(
    notifier_settings: Any,
    ledger: Any,  # noqa: F811
    mail: MailCatcher,
    tmp_path: Path,
) -> None:
    settings = notifier_settings
    fast_lease = {
        "delivery_lease_seconds": 2,
        "smtp_timeout_seconds": 1,
        "channel_timeout_seconds": 1,
    }
    await _subscriber_known(settings, ledger)
    event = opened(snapshot())
    await publish(settings, event)
    doomed = notifier_process(
        settings,
        tmp_path / "notifier.log",
        failpoints="notifier.after_smtp_before_ledger",
        **fast_lease,
    )
    survivor = notifier_process(settings, tmp_path / "notifier.log", **fast_lease)
    try:
        await doomed.start()
        assert await doomed.exited() == KILLED
        assert await _outbox_rows(ledger) == 0
        await survivor.start()
        facts = await eventually(lambda: facts_of(settings, event.id), timeout=SLOW)
        await eventually(lambda: _count_is(_outbox_rows(ledger), 0), timeout=SLOW)
        assert await survivor.terminate() == 0
    finally:
        await doomed.kill()
        await survivor.kill()
    assert len(mail.mails) == 2  # the one known window for a duplicate email
    facts = await delivery_facts(settings)
    (row,) = await deliveries(ledger)
    assert [fact.data.notice_id for fact in facts] == [event.id]
    assert facts[0].data.first_delivered_at == row.sent_at


async def _known_recipient(session: Any, recipient_id: str) -> None:
    from candor_notifier.catalog import service as catalog

    await catalog.upsert_subscriber(
        session=session,
        subscriber_id=recipient_id,
        email=f"{recipient_id[:8]}@example.org",
        timezone="UTC",
        language="en",
        service_slugs=["email"],
        now=utcnow(),
    )


async def _outbox_rows(sessions: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxRecord)) or 0)


async def _count_is(count: Any, expected: int) -> bool:
    return bool(await count == expected)
