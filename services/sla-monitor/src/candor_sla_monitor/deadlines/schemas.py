"""What ``GET /v1/incidents/{incident_id}/deadlines`` answers."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from candor_shared.contract.sla import GroupRef, Term
from candor_sla_monitor.deadlines.models import IncidentDeadline
from candor_sla_monitor.deadlines.service import IncidentDeadlines, group_of, state_at


class DeadlineOut(BaseModel):
    """One deadline: a round of a term, when it falls due, and how it stands."""

    id: str = Field(examples=["0195f0c2-aaaa-7000-8000-000000000001:update:2"])
    term: Term
    group: GroupRef | None = Field(
        default=None,
        description="Whose promise it is: the group of users whose agreement set it; null: "
        "the service's own agreement.",
    )
    round: int = Field(description="1 for the first deadline of the term, then one per round.")
    state: Literal["pending", "met", "breached", "cancelled"] = Field(
        description="As of now: met in time, breached (met late or never), cancelled (the "
        "incident was resolved before it fell due, or the term stopped applying), or pending."
    )
    impact: str = Field(description="The impact whose terms set its allowed time.")
    started_at: datetime
    allowed: timedelta = Field(description="ISO 8601 duration.", examples=["PT1H"])
    business_hours_only: bool
    due_at: datetime
    update_due_at: datetime | None = Field(
        description="When sla.update_due is published (first communication and updates)."
    )
    at_risk_at: datetime = Field(description="When sla.at_risk is published.")
    met_at: datetime | None
    ended_at: datetime | None = Field(description="When it stopped running without being met.")
    update_due_published_at: datetime | None
    at_risk_published_at: datetime | None
    breached_published_at: datetime | None

    @classmethod
    def of(cls, row: IncidentDeadline, now: datetime) -> DeadlineOut:
        """The answer for one row as of ``now``."""
        return cls(
            id=row.id,
            term=row.term,
            group=group_of(row),
            round=row.round,
            state=state_at(row, now),
            impact=row.impact,
            started_at=row.started_at,
            allowed=timedelta(seconds=row.allowed_seconds),
            business_hours_only=row.business_hours_only,
            due_at=row.due_at,
            update_due_at=row.update_due_at,
            at_risk_at=row.at_risk_at,
            met_at=row.met_at,
            ended_at=row.ended_at,
            update_due_published_at=row.update_due_published_at,
            at_risk_published_at=row.at_risk_published_at,
            breached_published_at=row.breached_published_at,
        )


class IncidentDeadlinesOut(BaseModel):
    """An incident's deadlines as of now, and when its users were told something."""

    incident_id: str
    service: str = Field(description="The service's slug.")
    impact: str
    open: bool = Field(description="False once resolved (until it is reopened).")
    now: datetime
    communications: list[datetime] = Field(
        description="When users were told something: notices delivered, public updates."
    )
    deadlines: list[DeadlineOut]

    @classmethod
    def of(cls, found: IncidentDeadlines, now: datetime) -> IncidentDeadlinesOut:
        """The answer for one incident as of ``now``."""
        return cls(
            incident_id=found.incident.incident_id,
            service=found.incident.service_slug,
            impact=found.incident.impact,
            open=found.incident.ended_at is None,
            now=now,
            communications=found.communications,
            deadlines=[DeadlineOut.of(row, now) for row in found.deadlines],
        )
