"""The deadlines as a compliance record: what reports count per term and per incident.

A deadline belongs to the period in which its clock started (``started_at``), so each one
is counted in exactly one month. Counting is per incident: a term was kept for an incident
when every round of it that ran to a decision was met in time; broken when any was breached.
Cancelled rounds (the incident was resolved before they fell due) count neither way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from candor_shared.contract.sla import Term, TermCompliance
from candor_shared.intervals import Window
from candor_sla_monitor.deadlines import repository
from candor_sla_monitor.deadlines.plan import TERMS, Outcome, late_after


@dataclass(frozen=True, slots=True)
class DeadlineRecord:
    """One deadline as the record keeps it.

    ``outcome``: ``met`` (``met_at`` at or before ``due_at``), ``breached`` (``met_at``
    later, or None: never met), ``cancelled`` (stopped at ``ended_at``, before falling due)
    or ``pending`` (still running, not yet due). ``late_by`` is how late it was met, or for
    a breach never met how far past due it ran (until it ended, or until ``as_of``).
    """

    deadline_id: str
    incident_id: str
    service_slug: str
    term: Term
    round: int
    impact: str
    started_at: datetime
    due_at: datetime
    allowed: timedelta
    business_hours_only: bool
    outcome: Outcome
    met_at: datetime | None
    ended_at: datetime | None
    late_by: timedelta | None


async def deadlines_in(
    session: AsyncSession,
    service_slug: str,
    window: Window,
    *,
    as_of: datetime | None = None,
    group_id: str | None = None,
) -> list[DeadlineRecord]:
    """The service's deadlines whose clock started within ``window``, in order of start:
    those of its own agreement, or with ``group_id`` those of its agreement with that group.

    With ``as_of``, a deadline still pending whose due time has passed by then is reported
    as breached (the scheduler may not have fired it yet); without it, as stored.
    """
    rows = await repository.started_between(
        session, service_slug=service_slug, start=window.start, end=window.end, group_id=group_id
    )
    records = []
    for row in rows:
        outcome = cast(Outcome, row.outcome)
        if outcome == "pending" and as_of is not None and late_after(row.due_at) <= as_of:
            outcome = "breached"
        late_by = None
        if outcome == "breached":
            until = row.met_at or row.ended_at or as_of
            late_by = None if until is None else max(until - row.due_at, timedelta(0))
        records.append(
            DeadlineRecord(
                deadline_id=row.id,
                incident_id=row.incident_id,
                service_slug=row.service_slug,
                term=cast(Term, row.term),
                round=row.round,
                impact=row.impact,
                started_at=row.started_at,
                due_at=row.due_at,
                allowed=timedelta(seconds=row.allowed_seconds),
                business_hours_only=row.business_hours_only,
                outcome=outcome,
                met_at=row.met_at,
                ended_at=row.ended_at,
                late_by=late_by,
            )
        )
    return records


def term_compliance(records: Iterable[DeadlineRecord]) -> list[TermCompliance]:
    """Per term, over the incidents it applied to: how many kept it, broke it, or are
    still running; ``share_met`` = met / (met + breached)."""
    outcomes: dict[Term, dict[str, set[str]]] = {term: {} for term in TERMS}
    for record in records:
        if record.outcome != "cancelled":
            outcomes[record.term].setdefault(record.incident_id, set()).add(record.outcome)
    compliance = []
    for term in TERMS:
        by_incident = outcomes[term]
        breached = sum("breached" in found for found in by_incident.values())
        pending = sum(
            "breached" not in found and "pending" in found for found in by_incident.values()
        )
        met = len(by_incident) - breached - pending
        decided = met + breached
        compliance.append(
            TermCompliance(
                term=term,
                applicable=len(by_incident),
                met=met,
                breached=breached,
                pending=pending,
                share_met=None if decided == 0 else met / decided,
            )
        )
    return compliance


def breached_terms(records: Iterable[DeadlineRecord]) -> dict[str, list[Term]]:
    """The terms each incident broke, in the order of :data:`~.plan.TERMS`."""
    broken: dict[str, set[Term]] = {}
    for record in records:
        if record.outcome == "breached":
            broken.setdefault(record.incident_id, set()).add(record.term)
    return {
        incident: [term for term in TERMS if term in terms] for incident, terms in broken.items()
    }
