"""One timeline per incident: everything that happened to it, in order.

Entries are written in the transaction of the change they record, in bulk on the ingest
path. Kinds: ``alert.fired``, ``alert.resolved``, ``opened``, ``broadcast``, ``resolved``,
``reopened``, ``acknowledged``, ``update``, ``status``, ``impact``, ``note``, and the
facts other services report back (``delivery``, ``sla``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.incidents.models import TimelineEntry
from candor_shared.ids import uuid7


def entry(
    incident_id: uuid.UUID,
    *,
    at: datetime,
    kind: str,
    actor: str,
    public_message: str = "",
    internal_note: str = "",
    **data: Any,
) -> dict[str, Any]:
    """One timeline row, ready for a bulk insert."""
    return {
        "id": uuid7(),
        "incident_id": incident_id,
        "at": at,
        "kind": kind,
        "actor": actor,
        "public_message": public_message,
        "internal_note": internal_note,
        "data": {key: value for key, value in data.items() if value is not None},
    }


async def write(session: AsyncSession, entries: list[dict[str, Any]]) -> None:
    """Insert entries with one statement (Core: the keys are the column names)."""
    if entries:
        table = TimelineEntry.__table__
        assert isinstance(table, Table)
        await session.execute(insert(table), entries)


async def entries_of(
    session: AsyncSession,
    incident_id: uuid.UUID,
    *,
    kinds: list[str] | None,
    after_id: uuid.UUID | None,
    limit: int,
) -> list[TimelineEntry]:
    """The incident's timeline, oldest first, continuing after ``after_id``."""
    query = (
        select(TimelineEntry)
        .where(TimelineEntry.incident_id == incident_id)
        .order_by(TimelineEntry.id)
        .limit(limit)
    )
    if kinds:
        query = query.where(TimelineEntry.kind.in_(kinds))
    if after_id is not None:
        query = query.where(TimelineEntry.id > after_id)
    return list((await session.scalars(query)).all())
