"""Queries on the delivery ledger."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, distinct, func, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.deliveries.models import Delivery

FAIR_INCIDENTS = 20
"""Incidents whose due deliveries share one claimed batch."""


async def insert_new(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert deliveries; a row whose (event, recipient, channel) exists is left as it is."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Delivery).on_conflict_do_nothing(
        index_elements=["event_id", "recipient_id", "channel"]
    )
    await session.execute(statement, list(rows))


async def drop_unsent(session: AsyncSession, *, incident_id: str, kind: str) -> int:
    """Delete the incident's deliveries of ``kind`` never attempted yet (a holding update
    planned for its due minute that a newer notice made pointless); returns how many."""
    result = await session.execute(
        delete(Delivery).where(
            Delivery.incident_id == incident_id,
            Delivery.kind == kind,
            Delivery.state == "pending",
            Delivery.attempts == 0,
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def message_ids(
    session: AsyncSession,
    *,
    incident_id: str,
    kind: str,
    channel: str,
    recipient_ids: Collection[str],
) -> dict[str, str]:
    """The Message-ID of each recipient's earlier ``kind`` delivery about the incident."""
    if not recipient_ids:
        return {}
    rows = await session.execute(
        select(Delivery.recipient_id, Delivery.message_id)
        .where(
            Delivery.incident_id == incident_id,
            Delivery.kind == kind,
            Delivery.channel == channel,
            Delivery.recipient_id.in_(recipient_ids),
        )
        .order_by(Delivery.created_at)
    )
    return {recipient_id: message_id for recipient_id, message_id in rows}


async def claim_due(
    session: AsyncSession, *, now: datetime, lease_until: datetime, limit: int
) -> list[Delivery]:
    """Take up to ``limit`` due deliveries for this sender until ``lease_until``.

    Due: pending with ``next_attempt_at`` passed, or sending with an expired lease (its
    sender died). Claiming counts an attempt. On PostgreSQL rows another sender is claiming
    are skipped; on SQLite the write lock taken at BEGIN serializes claims.

    Fair between incidents: the batch is first shared among the incidents with due
    deliveries (up to ``FAIR_INCIDENTS`` of them, the longest waiting first), then topped up
    in due order. A notice to 10,000 recipients so takes turns with another incident's
    notice instead of holding it up until the last of its 10,000 is claimed.
    """
    due = or_(
        and_(Delivery.state == "pending", Delivery.next_attempt_at <= now),
        and_(Delivery.state == "sending", Delivery.lease_until <= now),
    )
    waiting = list(
        await session.scalars(
            select(Delivery.incident_id)
            .where(due)
            .group_by(Delivery.incident_id)
            .order_by(func.min(Delivery.next_attempt_at))
            .limit(FAIR_INCIDENTS)
        )
    )
    rows: list[Delivery] = []
    if len(waiting) > 1:
        share = max(limit // len(waiting), 1)
        for incident_id in waiting:
            if len(rows) >= limit:
                break
            rows.extend(
                await session.scalars(
                    select(Delivery)
                    .where(due, Delivery.incident_id == incident_id)
                    .order_by(Delivery.next_attempt_at, Delivery.id)
                    .limit(min(share, limit - len(rows)))
                    .with_for_update(skip_locked=True)
                )
            )
    if len(rows) < limit:
        taken = [row.id for row in rows]
        rows.extend(
            await session.scalars(
                select(Delivery)
                .where(due, Delivery.id.not_in(taken) if taken else true())
                .order_by(Delivery.next_attempt_at, Delivery.id)
                .limit(limit - len(rows))
                .with_for_update(skip_locked=True)
            )
        )
    for row in rows:
        row.state = "sending"
        row.lease_until = lease_until
        row.attempts += 1
        row.updated_at = now
    return rows


async def mark_sent(session: AsyncSession, *, delivery_id: uuid.UUID, now: datetime) -> str | None:
    """Record that the relay accepted the delivery; return its notice's event id (None when
    the delivery is gone, its recipient erased meanwhile)."""
    event_id = await session.scalar(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(state="sent", sent_at=now, lease_until=None, updated_at=now)
        .returning(Delivery.event_id)
    )
    return str(event_id) if event_id is not None else None


async def recipients_reached(session: AsyncSession, event_id: str) -> int:
    """How many recipients of the notice have at least one delivery sent."""
    count = await session.scalar(
        select(func.count(distinct(Delivery.recipient_id))).where(
            Delivery.event_id == event_id, Delivery.state == "sent"
        )
    )
    return int(count or 0)


async def reschedule(
    session: AsyncSession,
    *,
    delivery_id: uuid.UUID,
    at: datetime,
    error: str | None,
    count_attempt: bool,
    now: datetime,
) -> None:
    """Put a claimed delivery back to pending until ``at``."""
    values: dict[str, Any] = {
        "state": "pending",
        "next_attempt_at": at,
        "lease_until": None,
        "updated_at": now,
    }
    if error is not None:
        values["last_error"] = error
    if not count_attempt:
        values["attempts"] = Delivery.attempts - 1
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.state == "sending")
        .values(**values)
    )


async def mark_failed(
    session: AsyncSession, *, delivery_id: uuid.UUID, error: str, now: datetime
) -> None:
    """Record that the delivery will not be tried again, and why."""
    await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.state == "sending")
        .values(state="failed", last_error=error, lease_until=None, updated_at=now)
    )


async def delete_for_recipient(session: AsyncSession, recipient_id: str) -> int:
    """Delete every delivery to the recipient, whatever its state. Returns how many."""
    result = await session.execute(delete(Delivery).where(Delivery.recipient_id == recipient_id))
    return int(getattr(result, "rowcount", 0) or 0)


async def of_notice_to(
    session: AsyncSession, *, event_id: str, recipient_id: str
) -> list[Delivery]:
    """The notice's deliveries to the recipient, on every channel, oldest first."""
    rows = await session.scalars(
        select(Delivery)
        .where(Delivery.event_id == event_id, Delivery.recipient_id == recipient_id)
        .order_by(Delivery.created_at, Delivery.id)
    )
    return list(rows)


async def failed_recipients(
    session: AsyncSession, delivery_ids: Collection[object]
) -> set[tuple[str, str]]:
    """(notice, recipient) of each of the deliveries that failed for good."""
    if not delivery_ids:
        return set()
    rows = await session.execute(
        select(Delivery.event_id, Delivery.recipient_id).where(
            Delivery.id.in_(delivery_ids), Delivery.state == "failed"
        )
    )
    return {(str(event_id), str(recipient_id)) for event_id, recipient_id in rows}
