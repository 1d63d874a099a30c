"""Queries on the ledger.

Writes are single upserts (``INSERT ... ON CONFLICT``), so two consumers racing on the same
incident or alert cannot both insert, and the version check happens in the database.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from candor_shared.ids import uuid7
from candor_sla_monitor.ledger.models import AlertInterval, Outage

_ALERT_KEY = ("service_slug", "source", "fingerprint", "starts_at")


def _insert(session: AsyncSession, model: type[Outage | AlertInterval]) -> Any:
    # ON CONFLICT is dialect-specific in SQLAlchemy; both dialects spell it the same way.
    # The table, not the mapped class: a Core statement skips the ORM's bulk-insert
    # machinery, which cost more per event than the rest of the handler.
    table = cast(Table, model.__table__)
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def upsert_outage(
    session: AsyncSession,
    *,
    incident_id: str,
    service_id: str,
    service_slug: str,
    impact: str,
    started_at: datetime,
    opened_at: datetime,
    ended_at: datetime | None,
    version: int,
    acknowledged_at: datetime | None = None,
) -> bool:
    """Insert the incident's outage, or overwrite it if ``version`` is newer than the row's.

    Returns False when the row already reflects this version or a newer one.
    """
    values = {
        "service_id": service_id,
        "service_slug": service_slug,
        "impact": impact,
        "started_at": started_at,
        "opened_at": opened_at,
        "ended_at": ended_at,
        "acknowledged_at": acknowledged_at,
        "last_version": version,
    }
    statement = _insert(session, Outage).values(id=uuid7(), incident_id=incident_id, **values)
    statement = statement.on_conflict_do_update(
        index_elements=[Outage.incident_id],
        set_={name: statement.excluded[name] for name in values},
        where=Outage.last_version < statement.excluded.last_version,
    ).returning(Outage.id)
    return (await session.execute(statement)).first() is not None


_INTERVAL_COLUMNS = (
    "id",
    "incident_id",
    "service_slug",
    "source",
    "fingerprint",
    "severity",
    "starts_at",
    "ends_at",
)
_prepared: dict[tuple[str, str], Any] = {}


def _prepared_statement(session: AsyncSession, name: str, build: Callable[[Any], Any]) -> Any:
    """A statement built once per dialect with bound parameters: building an upsert costs
    more than running it, and alert events arrive by the hundred."""
    dialect = session.get_bind().dialect.name
    key = (dialect, name)
    if key not in _prepared:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        _prepared[key] = build(insert)
    return _prepared[key]


def _interval_insert(insert: Any) -> Any:
    table = cast(Table, AlertInterval.__table__)
    return insert(table).values({name: bindparam(name) for name in _INTERVAL_COLUMNS})


def _build_add_interval(insert: Any) -> Any:
    statement = _interval_insert(insert)
    table = statement.table
    # A resolution that overtook its firing left the severity blank: fill it in, nothing else.
    return statement.on_conflict_do_update(
        index_elements=list(_ALERT_KEY),
        set_={"severity": statement.excluded.severity},
        where=and_(table.c.severity == "", statement.excluded.severity != ""),
    ).returning(table.c.id)


def _build_end_interval(insert: Any) -> Any:
    statement = _interval_insert(insert)
    table = statement.table
    return statement.on_conflict_do_update(
        index_elements=list(_ALERT_KEY),
        set_={"ends_at": statement.excluded.ends_at},
        where=table.c.ends_at.is_(None),
    ).returning(table.c.id)


async def add_alert_interval(
    session: AsyncSession,
    *,
    incident_id: str,
    service_slug: str,
    source: str,
    fingerprint: str,
    severity: str,
    starts_at: datetime,
) -> bool:
    """Record that an alert started firing; False if this firing was recorded before."""
    statement = _prepared_statement(session, "add_interval", _build_add_interval)
    parameters = {
        "id": uuid7(),
        "incident_id": incident_id,
        "service_slug": service_slug,
        "source": source,
        "fingerprint": fingerprint,
        "severity": severity,
        "starts_at": starts_at,
        "ends_at": None,
    }
    return (await session.execute(statement, parameters)).first() is not None


async def end_alert_interval(
    session: AsyncSession,
    *,
    incident_id: str,
    service_slug: str,
    source: str,
    fingerprint: str,
    starts_at: datetime,
    ends_at: datetime,
) -> bool:
    """Record that an alert's firing ended, creating the interval if its start is unknown.

    An interval keeps the first end it was given. Returns False when nothing changed.
    """
    statement = _prepared_statement(session, "end_interval", _build_end_interval)
    parameters = {
        "id": uuid7(),
        "incident_id": incident_id,
        "service_slug": service_slug,
        "source": source,
        "fingerprint": fingerprint,
        "severity": "",
        "starts_at": starts_at,
        "ends_at": ends_at,
    }
    return (await session.execute(statement, parameters)).first() is not None


async def outages_overlapping(
    session: AsyncSession, *, service_slug: str, start: datetime, end: datetime
) -> list[Outage]:
    """The service's outages that overlap ``[start, end)``, oldest first."""
    rows = await session.scalars(
        select(Outage)
        .where(
            Outage.service_slug == service_slug,
            Outage.started_at < end,
            or_(Outage.ended_at.is_(None), Outage.ended_at > start),
        )
        .order_by(Outage.started_at, Outage.incident_id)
    )
    return list(rows)


async def alert_intervals_overlapping(
    session: AsyncSession, *, service_slug: str, start: datetime, end: datetime
) -> list[AlertInterval]:
    """The service's alert intervals that overlap ``[start, end)``, oldest first."""
    rows = await session.scalars(
        select(AlertInterval)
        .where(
            AlertInterval.service_slug == service_slug,
            AlertInterval.starts_at < end,
            or_(AlertInterval.ends_at.is_(None), AlertInterval.ends_at > start),
        )
        .order_by(AlertInterval.starts_at, AlertInterval.id)
    )
    return list(rows)
