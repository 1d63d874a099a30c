"""Quarantine of chat, webhook and Apprise endpoints that keep failing.

An endpoint (one channel type and URL) that failed ``quarantine_after_failures`` deliveries
in a row, over at least ``quarantine_after_minutes``, is quarantined: its pending deliveries
fail with the reason ``quarantined``, none is tried while it lasts, and
:class:`~candor_shared.contract.sla.EndpointQuarantined` tells the operators (through the
outbox, in the transaction that decided it). An operator may release it (``POST
/v1/quarantined-endpoints/{key}/release`` on incident-api, which publishes
:class:`~candor_shared.contract.sla.EndpointReleased`). After ``quarantine_cool_off_minutes`` one
delivery is tried again: one that goes through ends the quarantine, one that fails starts it
again (and tells again). A new URL is a new endpoint, so a subscriber who fixes their channel
is reached at once.

Email is never quarantined: every address goes through the one relay, whose failures are
the relay's, not the recipient's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.catalog.models import SubscriberChannel
from candor_notifier.channels.notice import ChannelTarget
from candor_notifier.deliveries.models import Delivery, Endpoint
from candor_notifier.models import OutboxRecord
from candor_shared.contract import new_event
from candor_shared.contract.sla import EndpointQuarantined
from candor_shared.kafka import add_event

log = structlog.get_logger(__name__)

SOURCE = "/candor/notifier"
QUARANTINED = "quarantined"
"""The ``last_error`` of a delivery that was not tried because its endpoint is quarantined."""


@dataclass(frozen=True)
class QuarantineRules:
    """When an endpoint is quarantined, and for how long (from the settings)."""

    after_failures: int
    after: timedelta
    cool_off: timedelta | None
    """None: until a new URL."""


def endpoint_key(target: ChannelTarget) -> str:
    """The endpoint's name in the ledger: SHA-256 of its type and URL, in hex."""
    return hashlib.sha256(f"{target.type}\n{target.url}".encode()).hexdigest()


def _in_force(now: datetime) -> object:
    return and_(
        Endpoint.quarantined_at.is_not(None),
        or_(Endpoint.quarantined_until.is_(None), Endpoint.quarantined_until > now),
    )


async def quarantined(session: AsyncSession, keys: Collection[str], *, now: datetime) -> set[str]:
    """The keys among ``keys`` whose endpoint is quarantined at ``now``."""
    if not keys:
        return set()
    rows = await session.scalars(
        select(Endpoint.key).where(Endpoint.key.in_(keys), _in_force(now))  # type: ignore[arg-type]
    )
    return set(rows)


async def fail_quarantined(
    session: AsyncSession, *, delivery_ids: Collection[object], now: datetime
) -> None:
    """Mark claimed deliveries failed, untried, because their endpoint is quarantined."""
    if delivery_ids:
        await session.execute(
            update(Delivery)
            .where(Delivery.id.in_(delivery_ids), Delivery.state == "sending")
            .values(
                state="failed",
                last_error=QUARANTINED,
                lease_until=None,
                attempts=Delivery.attempts - 1,
                updated_at=now,
            )
        )


async def note_success(session: AsyncSession, *, target: ChannelTarget) -> None:
    """The endpoint took a delivery: forget its failures (and end its quarantine)."""
    await session.execute(delete(Endpoint).where(Endpoint.key == endpoint_key(target)))


async def release(session: AsyncSession, *, key: str) -> bool:
    """An operator released the endpoint: forget its failures (and its quarantine). Returns
    whether it was quarantined."""
    result = await session.execute(
        delete(Endpoint).where(Endpoint.key == key).returning(Endpoint.quarantined_at)
    )
    return any(at is not None for at in result.scalars())


async def note_failure(
    session: AsyncSession,
    *,
    target: ChannelTarget,
    incident_id: str,
    error: str,
    rules: QuarantineRules,
    now: datetime,
) -> set[tuple[str, str]]:
    """Count a failed delivery against the endpoint; quarantine it when the rules say so.

    Returns the (notice, recipient) of each delivery the quarantine failed (empty when it did
    not start), so that their fallback channels can be tried.
    """
    key = endpoint_key(target)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(
        insert(Endpoint)
        .values(
            key=key,
            channel=target.type,
            failures_in_a_row=0,
            failing_since=now,
            last_error=error,
            quarantined_at=None,
            quarantined_until=None,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["key"])
    )
    # One statement, so that senders failing on one endpoint at once all count.
    await session.execute(
        update(Endpoint)
        .where(Endpoint.key == key)
        .values(failures_in_a_row=Endpoint.failures_in_a_row + 1, last_error=error, updated_at=now)
    )
    # Won by one transaction only, however many fail together: the others find it in force.
    started = await session.execute(
        update(Endpoint)
        .where(
            Endpoint.key == key,
            Endpoint.failures_in_a_row >= rules.after_failures,
            Endpoint.failing_since <= now - rules.after,
            or_(
                Endpoint.quarantined_at.is_(None),
                and_(Endpoint.quarantined_until.is_not(None), Endpoint.quarantined_until <= now),
            ),
        )
        .values(
            quarantined_at=now,
            quarantined_until=now + rules.cool_off if rules.cool_off is not None else None,
        )
        .returning(Endpoint.failures_in_a_row, Endpoint.failing_since)
    )
    won = started.one_or_none()
    if won is None:
        return set()
    failures, failing_since = won
    subscriber_ids = sorted(
        await session.scalars(
            select(SubscriberChannel.subscriber_id).where(
                SubscriberChannel.type == target.type, SubscriberChannel.url == target.url
            )
        )
    )
    failed = await session.execute(
        update(Delivery)
        .where(
            Delivery.recipient_id.in_(subscriber_ids),
            Delivery.channel == target.type,
            Delivery.state == "pending",
        )
        .values(state="failed", last_error=QUARANTINED, lease_until=None, updated_at=now)
        .returning(Delivery.event_id, Delivery.recipient_id)
    )
    stopped = [(str(event_id), str(recipient_id)) for event_id, recipient_id in failed]
    fact = EndpointQuarantined(
        endpoint_key=key,
        channel=target.type,
        incident_id=incident_id,
        subscriber_ids=subscriber_ids,
        failures_in_a_row=failures,
        failing_since=failing_since,
        quarantined_at=now,
        quarantined_until=now + rules.cool_off if rules.cool_off is not None else None,
        last_error=error,
        deliveries_failed=len(stopped),
    )
    add_event(session, OutboxRecord, new_event(fact, source=SOURCE, key=incident_id))
    log.warning(
        "endpoint.quarantined",
        channel=target.type,
        endpoint_key=key,
        failures_in_a_row=failures,
        deliveries_failed=len(stopped),
    )
    return set(stopped)
