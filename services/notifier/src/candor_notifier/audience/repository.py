"""Queries for recipient preferences on the delivery ledger."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.audience.models import DigestEntry
from candor_notifier.deliveries.models import Delivery
from candor_notifier.incidents.models import Notice


async def hold_until(
    session: AsyncSession,
    *,
    event_id: str,
    recipient_ids: Collection[str],
    until: datetime,
    now: datetime,
) -> None:
    """Make the recipients' untried deliveries of the notice due no earlier than ``until``."""
    if not recipient_ids:
        return
    await session.execute(
        update(Delivery)
        .where(
            Delivery.event_id == event_id,
            Delivery.recipient_id.in_(recipient_ids),
            Delivery.state == "pending",
            Delivery.attempts == 0,
            Delivery.next_attempt_at < until,
        )
        .values(next_attempt_at=until, updated_at=now)
    )


async def get_notice(session: AsyncSession, event_id: str) -> Notice | None:
    """The notice with this id, if any."""
    return await session.get(Notice, event_id)


def add(session: AsyncSession, row: Notice) -> None:
    """Stage a new row."""
    session.add(row)


async def take_deliveries(
    session: AsyncSession,
    *,
    event_id: str,
    recipient_id: str,
    channels: Collection[str],
    digest_event_id: str,
    due: datetime,
    now: datetime,
) -> bool:
    """Move the recipient's untried deliveries of the notice on ``channels`` into the digest:
    each becomes the digest's delivery on its channel, due at ``due``, or is deleted when the
    digest has one there. Returns whether there was any such delivery."""
    rows = list(
        await session.scalars(
            select(Delivery).where(
                Delivery.event_id == event_id,
                Delivery.recipient_id == recipient_id,
                Delivery.channel.in_(channels),
                Delivery.state == "pending",
                Delivery.attempts == 0,
            )
        )
    )
    if not rows:
        return False
    present = set(
        await session.scalars(
            select(Delivery.channel).where(
                Delivery.event_id == digest_event_id, Delivery.recipient_id == recipient_id
            )
        )
    )
    for row in rows:
        if row.channel in present:
            await session.delete(row)
            continue
        row.event_id = digest_event_id
        row.kind = "digest"
        row.in_reply_to = None
        row.next_attempt_at = due
        row.updated_at = now
    await session.flush()
    return True


async def add_digest_entry(
    session: AsyncSession,
    *,
    recipient_id: str,
    event_id: str,
    digest_event_id: str,
    now: datetime,
) -> None:
    """Record that the digest carries the notice (once, however often this is called)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(
        insert(DigestEntry)
        .values(
            recipient_id=recipient_id,
            event_id=event_id,
            digest_event_id=digest_event_id,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["recipient_id", "event_id"])
    )


async def digest_notices(
    session: AsyncSession, *, delivery_id: uuid.UUID, recipient_id: str
) -> list[Notice]:
    """The notices the digest behind this delivery carries to the recipient, oldest first."""
    digest_id = select(Delivery.event_id).where(Delivery.id == delivery_id).scalar_subquery()
    rows = await session.scalars(
        select(Notice)
        .join(DigestEntry, DigestEntry.event_id == Notice.event_id)
        .where(DigestEntry.digest_event_id == digest_id, DigestEntry.recipient_id == recipient_id)
        .order_by(Notice.created_at, Notice.event_id)
    )
    return list(rows)


async def forget_recipient(session: AsyncSession, recipient_id: str) -> None:
    """Delete the recipient's digest entries."""
    await session.execute(delete(DigestEntry).where(DigestEntry.recipient_id == recipient_id))
