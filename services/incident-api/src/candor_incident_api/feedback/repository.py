"""Queries on feedback; an answer is written with one upsert, so a second replaces the first."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog.models import Service
from candor_incident_api.feedback.form import Answer
from candor_incident_api.feedback.models import IncidentFeedback
from candor_incident_api.incidents.models import Incident
from candor_incident_api.subscribers.models import Subscriber


def _insert(session: AsyncSession) -> Any:
    table = cast(Table, IncidentFeedback.__table__)
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def incident_with_service(
    session: AsyncSession, incident_id: uuid.UUID
) -> tuple[Incident, Service] | None:
    """The incident and its service, if the incident exists."""
    row = (
        await session.execute(
            select(Incident, Service)
            .join(Service, Service.id == Incident.service_id)
            .where(Incident.id == incident_id)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def subscriber_exists(session: AsyncSession, subscriber_id: uuid.UUID) -> bool:
    """True while the subscriber exists (erasure deletes the row)."""
    found = await session.scalar(select(Subscriber.id).where(Subscriber.id == subscriber_id))
    return found is not None


async def get(
    session: AsyncSession, *, incident_id: uuid.UUID, subscriber_id: uuid.UUID
) -> IncidentFeedback | None:
    """The respondent's answer about the incident, if they gave one."""
    return await session.get(IncidentFeedback, (incident_id, subscriber_id))


async def put(
    session: AsyncSession,
    *,
    incident_id: uuid.UUID,
    subscriber_id: uuid.UUID,
    service_id: uuid.UUID,
    answer: Answer,
    now: datetime,
) -> None:
    """Store ``answer`` as the respondent's answer about the incident, replacing theirs.

    One statement, so that two posts racing each other leave one row, the later one.
    """
    values = {
        "service_id": service_id,
        "kept_informed": answer.kept_informed,
        "disruption": answer.disruption,
        "adequate_percent": answer.adequate_percent,
        "desired_percent": answer.desired_percent,
        "perceived_minutes": answer.perceived_minutes,
        "comment": answer.comment,
        "answered_at": now,
    }
    statement = _insert(session).values(
        incident_id=incident_id, subscriber_id=subscriber_id, first_answered_at=now, **values
    )
    new = statement.excluded
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[IncidentFeedback.incident_id, IncidentFeedback.subscriber_id],
            set_={name: new[name] for name in values},
        )
    )
