"""Queries on the budget alerts table.

Transitions are single guarded statements (an upsert whose update has a ``WHERE``, an
``UPDATE ... WHERE firing``) that return a row only when they changed the state: when two
evaluations race, one of them wins the transition and publishes it, the other sees nothing
to do.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from candor_sla_monitor.budget.models import BudgetAlert


def _insert(session: AsyncSession) -> Any:
    table = cast(Table, BudgetAlert.__table__)
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def alerts_of(
    session: AsyncSession, *, service_id: str, group_id: str = ""
) -> dict[str, BudgetAlert]:
    """The alert states of the service's own agreement (or, with ``group_id``, of its
    agreement with that group) by alert name."""
    rows = await session.scalars(
        select(BudgetAlert).where(
            BudgetAlert.service_id == service_id, BudgetAlert.group_id == group_id
        )
    )
    return {row.alert: row for row in rows}


async def start_firing(
    session: AsyncSession,
    *,
    service_id: str,
    service_slug: str,
    alert: str,
    at: datetime,
    period_start: datetime | None = None,
    once_per_period: bool = False,
    group_id: str = "",
) -> bool:
    """Mark the alert firing; True when this call made the transition (publish it then).

    With ``once_per_period`` an alert already firing for an earlier period fires again for
    ``period_start``; without, only a resolved (or never fired) alert can start firing.
    """
    statement = _insert(session).values(
        service_id=service_id,
        group_id=group_id,
        alert=alert,
        service_slug=service_slug,
        firing=True,
        period_start=period_start,
        changed_at=at,
    )
    guard: ColumnElement[bool] = BudgetAlert.firing.is_(False)
    if once_per_period:
        guard = or_(guard, BudgetAlert.period_start.is_distinct_from(period_start))
    statement = statement.on_conflict_do_update(
        index_elements=[BudgetAlert.service_id, BudgetAlert.group_id, BudgetAlert.alert],
        set_={
            "service_slug": service_slug,
            "firing": True,
            "period_start": period_start,
            "changed_at": at,
        },
        where=guard,
    ).returning(BudgetAlert.service_id)
    return (await session.execute(statement)).first() is not None


async def stop_firing(
    session: AsyncSession, *, service_id: str, alert: str, at: datetime, group_id: str = ""
) -> bool:
    """Mark a firing alert resolved; True when this call made the transition."""
    statement = (
        update(BudgetAlert)
        .where(
            BudgetAlert.service_id == service_id,
            BudgetAlert.group_id == group_id,
            BudgetAlert.alert == alert,
            BudgetAlert.firing.is_(True),
        )
        .values(firing=False, changed_at=at)
        .returning(BudgetAlert.service_id)
    )
    return (await session.execute(statement)).first() is not None
