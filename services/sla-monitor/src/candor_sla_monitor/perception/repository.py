"""Queries on answers and on the perceived column; each write is one statement."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from candor_sla_monitor.perception.figures import Perception
from candor_sla_monitor.perception.models import FeedbackAnswer, PerceivedDowntime


def _insert(session: AsyncSession, model: type[Any]) -> Any:
    table = cast(Table, model.__table__)
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def lock_incident(
    session: AsyncSession, *, incident_id: str, service_id: str, service_slug: str, now: datetime
) -> None:
    """Make sure the incident has a perceived row, and hold it for this transaction.

    Answers about one incident are then counted one transaction at a time, even by two
    replicas during a rebalance: each sees the other's answer once it holds the row.
    """
    await session.execute(
        _insert(session, PerceivedDowntime)
        .values(
            incident_id=incident_id,
            service_id=service_id,
            service_slug=service_slug,
            respondents=0,
            perceived_answers=0,
            perceived_seconds=None,
            kept_informed_mean=None,
            disruption_mean=None,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["incident_id"])
    )
    await session.execute(
        select(PerceivedDowntime.incident_id)
        .where(PerceivedDowntime.incident_id == incident_id)
        .with_for_update()
    )


async def put_answer(session: AsyncSession, **values: Any) -> bool:
    """Store an answer unless the respondent's stored answer about the incident was given
    later (or at the same time: a redelivery); True if stored."""
    statement = _insert(session, FeedbackAnswer).values(**values)
    new = statement.excluded
    keys = ("incident_id", "respondent")
    statement = statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: new[name] for name in values if name not in keys},
        where=new.answered_at > FeedbackAnswer.answered_at,
    ).returning(FeedbackAnswer.incident_id)
    return (await session.execute(statement)).first() is not None


async def answers_about(
    session: AsyncSession, incident_ids: Collection[str]
) -> list[FeedbackAnswer]:
    """Every answer about the incidents among ``incident_ids``."""
    if not incident_ids:
        return []
    rows = await session.scalars(
        select(FeedbackAnswer)
        .where(FeedbackAnswer.incident_id.in_(list(incident_ids)))
        .order_by(FeedbackAnswer.incident_id, FeedbackAnswer.respondent)
    )
    return list(rows)


async def set_perceived(
    session: AsyncSession, *, incident_id: str, figures: Perception, now: datetime
) -> None:
    """Write the incident's perceived column from ``figures``."""
    await session.execute(
        update(PerceivedDowntime)
        .where(PerceivedDowntime.incident_id == incident_id)
        .values(
            respondents=figures.respondents,
            perceived_answers=figures.perceived_answers,
            perceived_seconds=None
            if figures.perceived is None
            else int(figures.perceived.total_seconds()),
            kept_informed_mean=figures.kept_informed_mean,
            disruption_mean=figures.disruption_mean,
            updated_at=now,
        )
    )


async def perceived_of(
    session: AsyncSession, incident_ids: Collection[str]
) -> list[PerceivedDowntime]:
    """The perceived rows of the incidents among ``incident_ids`` that have answers."""
    if not incident_ids:
        return []
    rows = await session.scalars(
        select(PerceivedDowntime)
        .where(
            PerceivedDowntime.incident_id.in_(list(incident_ids)),
            PerceivedDowntime.respondents > 0,
        )
        .order_by(PerceivedDowntime.incident_id)
    )
    return list(rows)


async def perceived_total(session: AsyncSession, incident_ids: Collection[str]) -> timedelta | None:
    """The sum of the perceived downtime of the incidents among ``incident_ids`` whose
    respondents said how long it felt; None when none did."""
    if not incident_ids:
        return None
    total = await session.scalar(
        select(func.sum(PerceivedDowntime.perceived_seconds)).where(
            PerceivedDowntime.incident_id.in_(list(incident_ids)),
            PerceivedDowntime.perceived_seconds.is_not(None),
        )
    )
    return None if total is None else timedelta(seconds=int(total))
