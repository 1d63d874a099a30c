"""Firing: the events deadlines owe by now, written to the outbox in the transaction that
marks them published.

- ``sla.update_due`` at ``update_due_at``, ``sla.at_risk`` at ``at_risk_at``: warnings, sent
  only while the deadline still runs (unmet, not ended); at risk is skipped once the due time
  has passed, as the breach then says more.
- ``sla.breached`` once the due minute is over (``plan.late_after``: promises are made to
  the minute) when the deadline was not met by then, even if it was met late before the
  event went out (``met_at`` and ``by``, counted from ``due_at``, say so).

Each event carries the scheduler's clock as its time: the instant the deadline fired.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from candor_shared.contract import (
    AgreementTerms,
    CloudEvent,
    EventData,
    ServiceRef,
    new_event,
)
from candor_shared.contract.incidents import Impact
from candor_shared.contract.sla import Deadline, SlaAtRisk, SlaBreached, SlaUpdateDue, Term
from candor_shared.kafka import add_event
from candor_sla_monitor.agreements import repository as agreements
from candor_sla_monitor.deadlines import plan, repository
from candor_sla_monitor.deadlines.models import IncidentDeadline, TrackedIncident
from candor_sla_monitor.deadlines.service import (
    DeadlinePolicy,
    agreement_of,
    group_of,
    owed_by,
    settle,
)
from candor_sla_monitor.ledger.calendar import BusinessCalendar
from candor_sla_monitor.models import OutboxRecord

log = structlog.get_logger(__name__)

SOURCE = "/candor/sla-monitor"


def _contract_deadline(row: IncidentDeadline, incident: TrackedIncident | None) -> Deadline:
    return Deadline(
        deadline_id=row.id,
        incident_id=row.incident_id,
        service=ServiceRef(
            id=row.service_id,
            slug=row.service_slug,
            name=row.service_slug if incident is None else incident.service_name,
        ),
        impact=cast(Impact, row.impact),
        term=cast(Term, row.term),
        started_at=row.started_at,
        due_at=row.due_at,
        allowed=timedelta(seconds=row.allowed_seconds),
        business_hours_only=row.business_hours_only,
        group=group_of(row),
    )


def _event(data: EventData, row: IncidentDeadline, now: datetime) -> CloudEvent[Any]:
    # Stamped with the scheduler's clock: the instant the deadline fired.
    event = new_event(data, source=SOURCE, key=row.incident_id, subject=row.service_slug)
    return event.model_copy(update={"time": now})


def _consumed(row: IncidentDeadline, now: datetime, calendar: BusinessCalendar) -> float:
    clock = calendar if row.business_hours_only else BusinessCalendar.of(None)
    allowed = row.allowed_seconds or 1
    return round(clock.working_time(row.started_at, now).total_seconds() / allowed, 4)


async def fire_due(
    *, session: AsyncSession, now: datetime, policy: DeadlinePolicy, limit: int
) -> int:
    """Fire what is due by ``now`` on up to ``limit`` deadlines: each event to the outbox,
    marked published in the same transaction. Returns how many deadlines were handled."""
    rows = await repository.due(session, now=now, limit=limit)
    if not rows:
        return 0
    incidents = await repository.tracked_many(session, (row.incident_id for row in rows))
    calendars: dict[tuple[str, str], BusinessCalendar] = {}
    for row in rows:
        incident = incidents.get(row.incident_id)
        deadline = _contract_deadline(row, incident)
        owes = owed_by(row)
        fired: list[str] = []
        if owes.update_due and row.update_due_at is not None and row.update_due_at <= now:
            last = await repository.last_communication(session, row.incident_id, until=now)
            data: EventData = SlaUpdateDue(
                deadline=deadline, lead=row.due_at - row.update_due_at, last_communication_at=last
            )
            add_event(session, OutboxRecord, _event(data, row, now))
            row.update_due_published_at = now
            fired.append("update_due")
        if owes.at_risk and row.at_risk_at <= now < row.due_at:
            whose = (row.service_id, row.group_id or "")
            if whose not in calendars:
                calendars[whose] = plan.calendar_of(
                    await _agreement(session, row.service_id, row.group_id)
                )
            data = SlaAtRisk(
                scope="deadline",
                service=deadline.service,
                consumed=_consumed(row, now, calendars[whose]),
                threshold=policy.at_risk_share,
                deadline=deadline,
                group=deadline.group,
            )
            add_event(session, OutboxRecord, _event(data, row, now))
            row.at_risk_published_at = now
            fired.append("at_risk")
        if owes.breached and plan.late_after(row.due_at) <= now:
            data = SlaBreached(
                deadline=deadline, by=(row.met_at or now) - row.due_at, met_at=row.met_at
            )
            add_event(session, OutboxRecord, _event(data, row, now))
            row.breached_published_at = now
            fired.append("breached")
        settle(row)
        log.info(
            "deadlines.fired",
            incident_id=row.incident_id,
            deadline_id=row.id,
            events=fired,
            outcome=row.outcome,
        )
    return len(rows)


async def _agreement(
    session: AsyncSession, service_id: str, group_id: str | None
) -> AgreementTerms | None:
    """The terms of the agreement a deadline belongs to (None: gone, or none)."""
    stored = await repository.agreement_row(session, service_id)
    if stored is None:
        return None
    try:
        return agreement_of(agreements.one_of(stored, group_id).terms)
    except agreements.UnknownGroupAgreement:
        return None


async def next_fire_at(session: AsyncSession) -> datetime | None:
    """When the next deadline event falls due (None: none owed)."""
    return await repository.next_fire_at(session)
