"""Rules of the deadlines with their tables: record the facts and bring an incident's
deadlines in line with them.

Every change of facts (a snapshot, a communication, new agreement terms) re-evaluates the
incident's deadlines inside the consumer's transaction; firing (:mod:`.firing`) happens in
the scheduler's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import structlog
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from candor_shared.contract import AgreementTerms, GroupRef, IncidentSnapshot
from candor_shared.contract.sla import Term
from candor_sla_monitor.agreements import repository as agreements
from candor_sla_monitor.deadlines import plan, repository
from candor_sla_monitor.deadlines.models import IncidentDeadline, TrackedIncident
from candor_sla_monitor.ledger.calendar import BusinessCalendar

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class DeadlinePolicy:
    """How early the warnings come: the holding-update lead (at most half of an interval)
    and the share of a deadline's allowed time after which it is at risk."""

    update_lead: timedelta = timedelta(minutes=5)
    at_risk_share: float = 0.75


# ---- facts ---------------------------------------------------------------------------------


def _episodes(stored: list[list[Any]]) -> list[plan.Episode]:
    return [
        plan.Episode(
            datetime.fromisoformat(start), None if end is None else datetime.fromisoformat(end)
        )
        for start, end in stored
    ]


def _stored(episodes: Iterable[plan.Episode]) -> list[list[Any]]:
    return [
        [episode.start.isoformat(), None if episode.end is None else episode.end.isoformat()]
        for episode in episodes
    ]


async def record_snapshot(
    *,
    session: AsyncSession,
    incident: IncidentSnapshot,
    observed_at: datetime,
    previous_resolved_at: datetime | None = None,
) -> bool:
    """Keep the incident as of ``incident`` unless a newer version is recorded, and its
    episodes: an open snapshot of a resolved incident starts a new one at ``observed_at``
    (ending the previous one at ``previous_resolved_at`` when a reopening says so); a
    resolved snapshot ends the current one at its ``resolved_at`` (else ``observed_at``).

    Returns True when the row changed.
    """
    ended_at = None
    if incident.status == "resolved":
        ended_at = incident.resolved_at or observed_at
    values = {
        "service_id": incident.service.id,
        "service_slug": incident.service.slug,
        "service_name": incident.service.name,
        "impact": incident.impact,
        "started_at": incident.started_at,
        "opened_at": incident.opened_at,
        "acknowledged_at": incident.acknowledged_at,
        "last_version": incident.version,
    }
    row = await repository.tracked(session, incident.id)
    if row is None:
        episodes = [plan.Episode(incident.opened_at, ended_at)]
        if previous_resolved_at is not None and ended_at is None:
            # The first we hear of it is a reopening: it was open once before.
            episodes = [
                plan.Episode(incident.opened_at, max(previous_resolved_at, incident.opened_at)),
                plan.Episode(max(observed_at, incident.opened_at), None),
            ]
        inserted = await repository.insert_tracked(
            session,
            {
                "incident_id": incident.id,
                **values,
                "ended_at": ended_at,
                "episodes": _stored(episodes),
            },
        )
        if inserted:
            return True
        row = await repository.tracked(session, incident.id)
        assert row is not None
    if incident.version <= row.last_version:
        return False
    episodes = _episodes(row.episodes)
    last = episodes[-1]
    if ended_at is None and last.end is not None:
        previous_end = last.end
        if previous_resolved_at is not None:
            previous_end = max(previous_resolved_at, last.start)
            episodes[-1] = plan.Episode(last.start, previous_end)
        episodes.append(plan.Episode(max(observed_at, previous_end), None))
    elif ended_at is not None:
        episodes[-1] = plan.Episode(last.start, max(ended_at, last.start))
    for name, value in values.items():
        setattr(row, name, value)
    row.episodes = _stored(episodes)
    row.ended_at = episodes[-1].end
    return True


async def record_communication(
    *, session: AsyncSession, incident_id: str, ref: str, kind: str, at: datetime
) -> bool:
    """Record that users were told something at ``at``; False when known already."""
    return await repository.add_communication(
        session, incident_id=incident_id, ref=ref, kind=kind, at=at
    )


# ---- evaluation ----------------------------------------------------------------------------


def agreement_of(stored: dict[str, Any] | None) -> AgreementTerms | None:
    """The agreement terms as stored (None: none, or unreadable, which is logged)."""
    if stored is None:
        return None
    try:
        return AgreementTerms.model_validate(stored)
    except ValidationError as exc:
        # Stored as validated when it arrived: only a contract change could get here.
        log.error("deadlines.agreement_unreadable", error=str(exc))
        return None


def _retime(
    row: IncidentDeadline,
    *,
    started_at: datetime,
    allowed: timedelta,
    business_hours_only: bool,
    calendar: BusinessCalendar,
    policy: DeadlinePolicy,
) -> None:
    timing = plan.timing(
        term=cast(Term, row.term),
        started_at=started_at,
        allowed=allowed,
        calendar=calendar,
        business_hours_only=business_hours_only,
        update_lead=policy.update_lead,
        at_risk_share=policy.at_risk_share,
    )
    row.started_at = started_at
    row.allowed_seconds = int(allowed.total_seconds())
    row.business_hours_only = business_hours_only
    row.due_at = timing.due_at
    row.at_risk_at = timing.at_risk_at
    row.update_due_at = timing.update_due_at


def owed_by(row: IncidentDeadline) -> plan.Owed:
    """The events the row still owes (see :func:`.plan.owed`)."""
    return plan.owed(
        outcome=row.outcome,
        due_at=row.due_at,
        update_due_at=row.update_due_at,
        met_at=row.met_at,
        ended_at=row.ended_at,
        update_due_published=row.update_due_published_at is not None,
        at_risk_published=row.at_risk_published_at is not None,
        breach_published=row.breached_published_at is not None,
    )


def settle(row: IncidentDeadline) -> None:
    """Derive the row's outcome and next firing instant from its facts and marks."""
    row.outcome = plan.outcome_of(
        due_at=row.due_at,
        met_at=row.met_at,
        ended_at=row.ended_at,
        breach_published=row.breached_published_at is not None,
    )
    row.next_fire_at = plan.next_fire_at(
        owed_by(row), due_at=row.due_at, at_risk_at=row.at_risk_at, update_due_at=row.update_due_at
    )


def _stop(row: IncidentDeadline, at: datetime) -> None:
    """The term no longer applies from ``at``: a pending deadline stops there (cancelled,
    or breached if its due time had passed)."""
    row.ended_at = max(at, row.started_at)
    settle(row)


async def evaluate(
    *, session: AsyncSession, incident_id: str, at: datetime, policy: DeadlinePolicy
) -> datetime | None:
    """Bring the incident's deadlines in line with its facts and its agreements' terms as
    they stand (the service's own, and each group's: deadlines of their own, see
    :func:`deadline_id_of`); ``at`` is when this change happened (a term that stops
    applying, or an agreement removed, stops then).

    New rounds get rows; pending ones follow the terms in force (a change of impact moves
    their due times); decided ones keep the allowed time they were decided with. Returns
    the earliest instant at which one of the incident's deadlines owes an event.
    """
    incident = await repository.tracked(session, incident_id)
    if incident is None:
        return None  # a communication ahead of the incident: evaluated when it arrives
    facts = plan.IncidentFacts(
        started_at=incident.started_at,
        opened_at=incident.opened_at,
        acknowledged_at=incident.acknowledged_at,
        episodes=_episodes(incident.episodes),
        communications=await repository.communication_times(session, incident_id),
    )
    loaded = await repository.deadlines_of(session, incident_id, lock=True)
    rows = {row.id: row for row in loaded}
    created: list[IncidentDeadline] = []
    stored = await repository.agreement_row(session, incident.service_id)
    # The service's own agreement, then each group's: each has its own rounds, ids apart.
    whose: list[tuple[GroupRef | None, dict[str, Any] | None]] = [
        (None, None if stored is None else stored.terms)
    ]
    if stored is not None:
        whose += [(e.group, e.terms) for e in agreements.groups_of(stored)]
    for group, stored_terms in whose:
        created += _in_line(
            incident=incident,
            facts=facts,
            rows=rows,
            agreement=agreement_of(stored_terms),
            group=group,
            at=at,
            policy=policy,
        )
    session.add_all(created)
    for leftover in rows.values():
        if leftover.outcome == "pending":
            _stop(leftover, at)
    instants = [row.next_fire_at for row in [*loaded, *created] if row.next_fire_at]
    return min(instants, default=None)


def deadline_id_of(incident_id: str, group: GroupRef | None, term: str, number: int) -> str:
    """``<incident>:<term>:<round>``, with the group's id after the incident's for a
    group's agreement, so that every agreement's deadlines stay apart."""
    if group is None:
        return f"{incident_id}:{term}:{number}"
    return f"{incident_id}:{group.id}:{term}:{number}"


def _in_line(
    *,
    incident: TrackedIncident,
    facts: plan.IncidentFacts,
    rows: dict[str, IncidentDeadline],
    agreement: AgreementTerms | None,
    group: GroupRef | None,
    at: datetime,
    policy: DeadlinePolicy,
) -> list[IncidentDeadline]:
    """Bring the deadlines of one agreement in line (taking its rows out of ``rows``);
    returns the rows created."""
    terms = plan.terms_for(agreement, incident.impact)
    calendar = plan.calendar_of(agreement)
    created: list[IncidentDeadline] = []
    business_hours_only = terms is not None and terms.business_hours_only
    for found in plan.rounds_of(facts):
        deadline_id = deadline_id_of(incident.incident_id, group, found.term, found.number)
        row = rows.pop(deadline_id, None)
        allowed = plan.allowed_for(terms, found.term)
        if row is None:
            if allowed is None:
                continue
            row = _new_row(incident, deadline_id, found, group)
            created.append(row)
        if row.outcome in plan.DECIDED:
            if row.started_at != found.started_at:
                _retime(
                    row,
                    started_at=found.started_at,
                    allowed=timedelta(seconds=row.allowed_seconds),
                    business_hours_only=row.business_hours_only,
                    calendar=calendar,
                    policy=policy,
                )
        elif allowed is None:
            if row.outcome == "pending":
                _stop(row, at)
            continue
        else:
            row.impact = incident.impact
            _retime(
                row,
                started_at=found.started_at,
                allowed=allowed,
                business_hours_only=business_hours_only,
                calendar=calendar,
                policy=policy,
            )
        row.met_at = found.met_at
        row.ended_at = found.ended_at
        settle(row)
    return created


def _new_row(
    incident: TrackedIncident, deadline_id: str, found: plan.Round, group: GroupRef | None
) -> IncidentDeadline:
    # Times are placeholders until _retime fills them, in the same step.
    return IncidentDeadline(
        id=deadline_id,
        group_id=None if group is None else group.id,
        group_name=None if group is None else group.name,
        incident_id=incident.incident_id,
        service_id=incident.service_id,
        service_slug=incident.service_slug,
        term=found.term,
        round=found.number,
        impact=incident.impact,
        started_at=found.started_at,
        allowed_seconds=0,
        business_hours_only=False,
        due_at=found.started_at,
        at_risk_at=found.started_at,
        outcome="pending",
    )


async def evaluate_service(
    *, session: AsyncSession, service_id: str, at: datetime, policy: DeadlinePolicy
) -> datetime | None:
    """Re-evaluate the service's open incidents (its agreement changed); the earliest
    instant at which one of their deadlines owes an event."""
    earliest: datetime | None = None
    for incident_id in await repository.open_incident_ids(session, service_id):
        found = await evaluate(session=session, incident_id=incident_id, at=at, policy=policy)
        if found is not None and (earliest is None or found < earliest):
            earliest = found
    return earliest


# ---- reading -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IncidentDeadlines:
    """An incident's deadlines and communications, for operators."""

    incident: TrackedIncident
    deadlines: list[IncidentDeadline]
    communications: list[datetime]


async def incident_deadlines(
    *, session: AsyncSession, incident_id: str
) -> IncidentDeadlines | None:
    """The incident's deadlines (None: no event of the incident has arrived)."""
    incident = await repository.tracked_many(session, [incident_id])
    if incident_id not in incident:
        return None
    rows = await repository.deadlines_of(session, incident_id)
    order: dict[str, int] = {term: index for index, term in enumerate(plan.TERMS)}
    rows.sort(key=lambda row: (order.get(row.term, len(order)), row.round))
    return IncidentDeadlines(
        incident=incident[incident_id],
        deadlines=rows,
        communications=await repository.communication_times(session, incident_id),
    )


def group_of(row: IncidentDeadline) -> GroupRef | None:
    """Whose promise the deadline is: a group's agreement, or None for the service's own."""
    if row.group_id is None:
        return None
    return GroupRef(id=row.group_id, name=row.group_name or row.group_id)


def state_at(row: IncidentDeadline, now: datetime) -> str:
    """The deadline's outcome as of ``now``: a pending one past its due time is breached,
    even before the scheduler has published it."""
    if row.outcome == "pending" and plan.late_after(row.due_at) <= now:
        return "breached"
    return row.outcome
