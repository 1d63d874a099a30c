"""Rules of feedback: whom a link lets answer about what, and what an answer changes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog.events import service_ref
from candor_incident_api.catalog.models import Service
from candor_incident_api.feedback import repository
from candor_incident_api.feedback.form import Answer
from candor_incident_api.incidents.models import Incident
from candor_incident_api.outbox import publish
from candor_shared.contract import FeedbackReceived
from candor_shared.feedback import MalformedFeedbackToken, respondent_of

TOKEN_MAX = 200
"""Longer than any token Candor makes (two ids of 64 and a signature of 43)."""


@dataclass(frozen=True, slots=True)
class Respondent:
    """Someone a genuine link lets answer, and the incident it is about."""

    subscriber_id: uuid.UUID
    incident: Incident
    service: Service


class LinkRefused(Exception):
    """The link lets nobody answer: not a token, not signed here, or about an incident or a
    subscriber that does not exist (any more). One refusal for all: a page cannot tell a
    forger which part was wrong."""


async def respondent(*, session: AsyncSession, token: str, secret: str) -> Respondent:
    """Who ``token`` lets answer, about which incident; raises :class:`LinkRefused`."""
    if len(token) > TOKEN_MAX:
        raise LinkRefused
    try:
        named = respondent_of(token, secret)
    except MalformedFeedbackToken:
        raise LinkRefused from None
    if named is None:
        raise LinkRefused
    try:
        incident_id, subscriber_id = uuid.UUID(named.incident_id), uuid.UUID(named.subscriber_id)
    except ValueError:
        raise LinkRefused from None
    found = await repository.incident_with_service(session, incident_id)
    # An erased subscriber's link answers nothing: their answers went with them.
    if found is None or not await repository.subscriber_exists(session, subscriber_id):
        raise LinkRefused
    incident, service = found
    return Respondent(subscriber_id=subscriber_id, incident=incident, service=service)


async def answer_of(*, session: AsyncSession, respondent: Respondent) -> Answer | None:
    """The answer the respondent gave about the incident, if any."""
    row = await repository.get(
        session, incident_id=respondent.incident.id, subscriber_id=respondent.subscriber_id
    )
    if row is None:
        return None
    return Answer(
        kept_informed=row.kept_informed,
        disruption=row.disruption,
        adequate_percent=row.adequate_percent,
        desired_percent=row.desired_percent,
        perceived_minutes=row.perceived_minutes,
        comment=row.comment,
    )


async def record_answer(
    *, session: AsyncSession, respondent: Respondent, answer: Answer, now: datetime
) -> None:
    """Keep ``answer`` as the respondent's (replacing an earlier one) and publish it as
    ``candor.feedback.received.v1``, with the commit; the comment is not published."""
    incident, service = respondent.incident, respondent.service
    await repository.put(
        session,
        incident_id=incident.id,
        subscriber_id=respondent.subscriber_id,
        service_id=service.id,
        answer=answer,
        now=now,
    )
    perceived = answer.perceived_minutes
    publish(
        session,
        FeedbackReceived(
            incident_id=str(incident.id),
            service=service_ref(service),
            respondent=str(respondent.subscriber_id),
            kept_informed=answer.kept_informed,
            disruption=answer.disruption,
            adequate_percent=answer.adequate_percent,
            desired_percent=answer.desired_percent,
            perceived_downtime=None if perceived is None else timedelta(minutes=perceived),
            answered_at=now,
        ),
        key=str(incident.id),
        subject=str(incident.id),
    )
