"""Writes and reads of agreements; writes are single upserts with the version check inside."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from candor_sla_monitor.agreements.models import Agreement


def _insert(session: AsyncSession) -> Any:
    table = cast(Table, Agreement.__table__)
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def upsert(
    session: AsyncSession,
    *,
    service_id: str,
    service_slug: str,
    name: str,
    terms: dict[str, Any] | None,
    version: int,
) -> bool:
    """Record the service's terms unless a newer version (or its deletion) is recorded.

    Returns True when the row changed.
    """
    values = {"service_slug": service_slug, "name": name, "terms": terms, "version": version}
    statement = _insert(session).values(service_id=service_id, deleted=False, **values)
    statement = statement.on_conflict_do_update(
        index_elements=[Agreement.service_id],
        set_={key: statement.excluded[key] for key in values},
        where=(Agreement.version < statement.excluded.version) & Agreement.deleted.is_(False),
    ).returning(Agreement.service_id)
    return (await session.execute(statement)).first() is not None


async def mark_deleted(session: AsyncSession, *, service_id: str, service_slug: str) -> bool:
    """Record that the service is gone (whatever arrived before or arrives later)."""
    statement = _insert(session).values(
        service_id=service_id,
        service_slug=service_slug,
        name=service_slug,
        terms=None,
        version=0,
        deleted=True,
    )
    statement = statement.on_conflict_do_update(
        index_elements=[Agreement.service_id],
        set_={"deleted": True, "terms": None},
        where=Agreement.deleted.is_(False),
    ).returning(Agreement.service_id)
    return (await session.execute(statement)).first() is not None


async def by_slug(session: AsyncSession, service_slug: str) -> Agreement | None:
    """The live service with this slug (the newest, should a slug have been reused)."""
    rows = await session.scalars(
        select(Agreement)
        .where(Agreement.service_slug == service_slug, Agreement.deleted.is_(False))
        .order_by(Agreement.version.desc())
        .limit(1)
    )
    return rows.first()


async def live_with_terms(session: AsyncSession) -> list[Agreement]:
    """Every live service that has agreement terms, by slug."""
    rows = await session.scalars(
        select(Agreement).where(Agreement.deleted.is_(False)).order_by(Agreement.service_slug)
    )
    # A JSON column may hold JSON null rather than SQL NULL: filter after loading.
    return [row for row in rows if row.terms is not None]
