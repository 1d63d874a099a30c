"""Delivery counts per notice, published back so that an incident's timeline can say
"update sent to 1,204 recipients: 1,180 delivered, 24 failed".

A recipient counts once however many channels they have: delivered when any of their
deliveries went, failed when none did and none is left to try, still open otherwise.
:class:`~candor_shared.contract.sla.NoticeSettled` goes out at most every
``delivery_summary_seconds`` while a notice's deliveries settle, and once with
``settled=True`` when none is left (a conditional UPDATE decides who publishes it, so racing
senders publish it once). Facts are written to the outbox in the transaction that counted.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.deliveries.facts import DELIVERED_KINDS
from candor_notifier.deliveries.models import Delivery, NoticeSummary
from candor_notifier.incidents import repository as incidents
from candor_notifier.models import OutboxRecord
from candor_shared.contract import new_event
from candor_shared.contract.sla import NoticeSettled
from candor_shared.kafka import add_event

log = structlog.get_logger(__name__)

SOURCE = "/candor/notifier"


@dataclass(frozen=True)
class NoticeCounts:
    """Recipients of one notice: all of them, reached, not reached with nothing left to try."""

    recipients: int
    delivered: int
    failed: int

    @property
    def settled(self) -> bool:
        """No recipient is left with a delivery to try."""
        return self.delivered + self.failed == self.recipients


async def counts(session: AsyncSession, notice_id: str) -> NoticeCounts:
    """Count the notice's recipients by where their deliveries stand."""
    per_recipient = (
        select(
            func.max(case((Delivery.state == "sent", 1), else_=0)).label("reached"),
            func.max(case((Delivery.state.in_(("pending", "sending")), 1), else_=0)).label("open"),
        )
        .where(Delivery.event_id == notice_id)
        .group_by(Delivery.recipient_id)
        .subquery()
    )
    row = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(per_recipient.c.reached), 0),
                func.coalesce(
                    func.sum(
                        case(
                            ((per_recipient.c.reached == 0) & (per_recipient.c.open == 0), 1),
                            else_=0,
                        )
                    ),
                    0,
                ),
            ).select_from(per_recipient)
        )
    ).one()
    return NoticeCounts(recipients=int(row[0]), delivered=int(row[1]), failed=int(row[2]))


async def notices_of(session: AsyncSession, delivery_ids: Collection[object]) -> set[str]:
    """The notices the deliveries belong to."""
    if not delivery_ids:
        return set()
    rows = await session.scalars(
        select(Delivery.event_id).where(Delivery.id.in_(delivery_ids)).distinct()
    )
    return {str(row) for row in rows}


async def unsettled(session: AsyncSession, *, since: datetime) -> set[str]:
    """Notices with deliveries planned since ``since`` whose settled counts were never
    published: a sender keeps the notices it is watching in memory, and one that died
    takes them along."""
    settled = select(NoticeSummary.event_id).where(NoticeSummary.settled_at.is_not(None))
    rows = await session.scalars(
        select(Delivery.event_id)
        .where(Delivery.created_at >= since, Delivery.event_id.not_in(settled))
        .distinct()
    )
    return {str(row) for row in rows}


async def publish_due(
    session: AsyncSession, *, notice_ids: Collection[str], every: timedelta, now: datetime
) -> set[str]:
    """Publish :class:`NoticeSettled` for each notice whose summary is due. Returns the
    notices not settled yet (to be looked at again)."""
    still_open: set[str] = set()
    if not notice_ids:
        return still_open
    notices = await incidents.get_notices(session, list(notice_ids))
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for notice_id, notice in sorted(notices.items()):
        kind = DELIVERED_KINDS.get(notice.kind)
        if kind is None:
            continue  # not a notice about an incident (planned maintenance)
        await session.execute(
            insert(NoticeSummary)
            .values(event_id=notice_id, published_at=None, settled_at=None)
            .on_conflict_do_nothing(index_elements=["event_id"])
        )
        tally = await counts(session, notice_id)
        if not tally.settled:
            still_open.add(notice_id)
        mine = NoticeSummary.event_id == notice_id
        values: dict[str, datetime | None]
        if tally.settled:
            due = mine & NoticeSummary.settled_at.is_(None)
            values = {"settled_at": now, "published_at": now}
        else:
            # New recipients (a subscriber seen late) reopen a settled notice.
            due = mine & or_(
                NoticeSummary.published_at.is_(None),
                NoticeSummary.published_at <= now - every,
                NoticeSummary.settled_at.is_not(None),
            )
            values = {"settled_at": None, "published_at": now}
        won = await session.execute(
            update(NoticeSummary).where(due).values(**values).returning(NoticeSummary.event_id)
        )
        if won.one_or_none() is None:
            continue
        fact = NoticeSettled(
            incident_id=notice.incident_id,
            notice_id=notice_id,
            kind=kind,
            recipients=tally.recipients,
            delivered=tally.delivered,
            failed=tally.failed,
            settled=tally.settled,
            as_of=now,
        )
        add_event(session, OutboxRecord, new_event(fact, source=SOURCE, key=notice.incident_id))
        log.info(
            "notice.summary",
            notice_id=notice_id,
            recipients=tally.recipients,
            delivered=tally.delivered,
            failed=tally.failed,
            settled=tally.settled,
        )
    return still_open
