"""Queries on incidents and alerts."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from candor_incident_api.catalog.models import Service
from candor_incident_api.incidents.models import Alert, Incident
from candor_incident_api.incidents.state import (
    ALERT_COLUMNS,
    INCIDENT_COLUMNS,
    AlertState,
    IncidentState,
    as_row,
)

AlertKey = tuple[uuid.UUID, str, str]


async def lock_open_incidents(
    session: AsyncSession, service_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, IncidentState]:
    """The open incident of each service that has one, locked for this transaction."""
    if not service_ids:
        return {}
    rows = await session.execute(_LOCK_OPEN, {"ids": list(service_ids)})
    return {row.service_id: IncidentState(**row._asdict()) for row in rows}


async def lock_incidents(
    session: AsyncSession, incident_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, IncidentState]:
    """Incidents by id, locked for this transaction."""
    if not incident_ids:
        return {}
    rows = await session.execute(_LOCK_BY_ID, {"ids": list(incident_ids)})
    return {row.id: IncidentState(**row._asdict()) for row in rows}


async def lock_recently_resolved(
    session: AsyncSession, service_id: uuid.UUID, since: datetime
) -> IncidentState | None:
    """The service's incident resolved last, if that was at or after ``since``; locked."""
    table = Incident.__table__
    row = (
        await session.execute(
            select(*(table.c[name] for name in INCIDENT_COLUMNS))
            .where(
                table.c.service_id == service_id,
                table.c.status == "resolved",
                table.c.resolved_at >= since,
            )
            .order_by(table.c.resolved_at.desc())
            .limit(1)
            .with_for_update()
        )
    ).first()
    return IncidentState(**row._asdict()) if row is not None else None


async def lock_alerts(
    session: AsyncSession, keys: Collection[AlertKey]
) -> dict[AlertKey, AlertState]:
    """The known alerts among ``keys`` (service id, source, fingerprint), locked."""
    if not keys:
        return {}
    rows = await session.execute(
        _LOCK_ALERTS,
        {
            "services": list({key[0] for key in keys}),
            "fingerprints": list({key[2] for key in keys}),
        },
    )
    wanted = set(keys)
    found: dict[AlertKey, AlertState] = {}
    for row in rows:
        key = (row.service_id, row.source, row.fingerprint)
        if key in wanted:
            found[key] = AlertState(**row._asdict())
    return found


async def save_changes(
    session: AsyncSession, *, incidents: Collection[IncidentState], alerts: Collection[AlertState]
) -> None:
    """Write the changed working copies back, one bulk statement per kind.

    Incidents are updated before new ones are inserted (a resolved incident frees its
    service's open slot first), and incidents before the alerts that point at them.
    """
    changed_incidents = [_by_id(i, INCIDENT_COLUMNS) for i in incidents if i.dirty and not i.is_new]
    # New rows in the order of their unique keys, so two replicas inserting the same keys
    # wait for each other instead of deadlocking.
    new_incidents = [
        as_row(i, INCIDENT_COLUMNS)
        for i in sorted((i for i in incidents if i.is_new), key=lambda i: str(i.service_id))
    ]
    new_alerts = [
        as_row(a, ALERT_COLUMNS)
        for a in sorted(
            (a for a in alerts if a.is_new),
            key=lambda a: (str(a.service_id), a.source, a.fingerprint),
        )
    ]
    changed_alerts = [_by_id(a, ALERT_COLUMNS) for a in alerts if a.dirty and not a.is_new]
    # Core statements on the tables (the attribute names are the column names): the
    # ORM-enabled bulk paths cost more per batch than the statements themselves.
    incident_table, alert_table = _table(Incident), _table(Alert)
    if changed_incidents:
        await session.execute(_UPDATE_BY_ID[incident_table], changed_incidents)
    if new_incidents:
        await session.execute(insert(incident_table), new_incidents)
    if new_alerts:
        await session.execute(insert(alert_table), new_alerts)
    if changed_alerts:
        await session.execute(_UPDATE_BY_ID[alert_table], changed_alerts)


def _table(model: type[Incident] | type[Alert]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


# The ingest path's queries, built once with expanding parameters: each batch only binds its
# values (building them per batch, one bound parameter per id, cost more than the query).
def _locked(
    table: Table, columns: tuple[str, ...], *conditions: ColumnElement[bool]
) -> Select[Any]:
    return (
        select(*(table.c[name] for name in columns))
        .where(*conditions)
        .order_by(table.c.id)
        .with_for_update()
    )


_INCIDENTS, _ALERTS = _table(Incident), _table(Alert)
_LOCK_OPEN = _locked(
    _INCIDENTS, INCIDENT_COLUMNS, _INCIDENTS.c.open_service_id.in_(bindparam("ids", expanding=True))
)
_LOCK_BY_ID = _locked(
    _INCIDENTS, INCIDENT_COLUMNS, _INCIDENTS.c.id.in_(bindparam("ids", expanding=True))
)
_LOCK_ALERTS = _locked(
    _ALERTS,
    ALERT_COLUMNS,
    _ALERTS.c.service_id.in_(bindparam("services", expanding=True)),
    _ALERTS.c.fingerprint.in_(bindparam("fingerprints", expanding=True)),
)


def _by_id(state: IncidentState | AlertState, columns: tuple[str, ...]) -> dict[str, object]:
    """The parameters of an update by id: every column but the id, and the id to match."""
    row = as_row(state, columns)
    row[_ID] = row.pop("id")
    return row


_ID = "id_"
"""The bound name of the primary key in updates (a column's own name is its SET value)."""

_UPDATE_BY_ID = {
    table: update(table).where(table.c.id == bindparam(_ID))
    for table in (_table(Incident), _table(Alert))
}


async def get_incident(session: AsyncSession, incident_id: uuid.UUID) -> Incident | None:
    """One incident with its service."""
    return await session.scalar(
        select(Incident).where(Incident.id == incident_id).options(selectinload(Incident.service))
    )


async def list_incidents(
    session: AsyncSession,
    *,
    service: str | None,
    status: str | None,
    impact: str | None = None,
    opened_after: datetime | None,
    opened_before: datetime | None,
    before_id: uuid.UUID | None,
    limit: int,
) -> list[Incident]:
    """Incidents newest first, filtered, continuing before ``before_id``."""
    query = (
        select(Incident)
        .options(selectinload(Incident.service))
        .order_by(Incident.id.desc())
        .limit(limit)
    )
    if service is not None:
        query = query.join(Service, Service.id == Incident.service_id).where(
            Service.slug == service
        )
    if status == "open":
        query = query.where(Incident.status != "resolved")
    elif status is not None:
        query = query.where(Incident.status == status)
    if impact is not None:
        query = query.where(Incident.impact == impact)
    if opened_after is not None:
        query = query.where(Incident.opened_at >= opened_after)
    if opened_before is not None:
        query = query.where(Incident.opened_at < opened_before)
    if before_id is not None:
        query = query.where(Incident.id < before_id)
    return list((await session.scalars(query)).all())


async def alerts_of(session: AsyncSession, incident_id: uuid.UUID, limit: int) -> list[Alert]:
    """The alerts of an incident, oldest first."""
    return list(
        (
            await session.scalars(
                select(Alert)
                .where(Alert.incident_id == incident_id)
                .order_by(Alert.id)
                .limit(limit)
            )
        ).all()
    )
