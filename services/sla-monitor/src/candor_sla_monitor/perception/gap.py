"""The perception-gap report of a service's month, free of I/O: the month's facts (its
:class:`~candor_shared.contract.ServiceReport`) beside what users answered.

How each side is read:

- The facts are **good** when availability is within or above the zone of tolerance and
  the communication terms were mostly met (at least :data:`COMMUNICATION_MOSTLY_MET` of
  those decided; none decided does not count against them); **poor** when availability is
  below the zone or the communication terms were mostly broken (less than
  :data:`COMMUNICATION_MOSTLY_BROKEN` met); **mixed** otherwise; **unknown** without an
  availability objective and without a decided communication term.
- The perception is **poor** when the mean "kept informed" answer is at most
  :data:`~candor_shared.contract.perception.KEPT_INFORMED_POOR_UP_TO`, or the perceived
  downtime far exceeds the measured one (at least :data:`PERCEIVED_MULTIPLE` times it and
  :data:`PERCEIVED_MARGIN` more, over the incidents whose respondents said how long it
  felt); **good** when the mean is at least
  :data:`~candor_shared.contract.perception.KEPT_INFORMED_GOOD_FROM` and the perceived
  downtime does not far exceed the measured; **mixed** otherwise; **unknown** without
  answers.
- ``communication_gap``: good facts, poor perception. ``perception_better_than_facts``:
  poor facts, good perception.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

from candor_shared.contract import PerceivedIncident, PerceptionReport, ServiceReport
from candor_shared.contract.perception import (
    KEPT_INFORMED_GOOD_FROM,
    KEPT_INFORMED_POOR_UP_TO,
    GapFlag,
    Verdict,
)
from candor_shared.contract.sla import TermCompliance
from candor_shared.intervals import Interval, Window, total_downtime
from candor_sla_monitor.ledger.models import AlertInterval
from candor_sla_monitor.perception.figures import perception_of
from candor_sla_monitor.perception.models import FeedbackAnswer

COMMUNICATION_TERMS = ("first_communication", "update")
COMMUNICATION_MOSTLY_MET = 0.8
COMMUNICATION_MOSTLY_BROKEN = 0.5
PERCEIVED_MULTIPLE = 2.0
PERCEIVED_MARGIN = timedelta(minutes=15)


def communication_share(compliance: Iterable[TermCompliance]) -> float | None:
    """Met / decided over the communication terms together; None when none was decided."""
    met = decided = 0
    for row in compliance:
        if row.term in COMMUNICATION_TERMS:
            met += row.met
            decided += row.met + row.breached
    return None if decided == 0 else met / decided


def perceived_far_above(perceived: timedelta | None, measured: timedelta) -> bool:
    """True when ``perceived`` is at least :data:`PERCEIVED_MULTIPLE` times ``measured``
    and at least :data:`PERCEIVED_MARGIN` longer."""
    if perceived is None:
        return False
    return perceived >= measured * PERCEIVED_MULTIPLE and perceived - measured >= PERCEIVED_MARGIN


def facts_verdict(zone: str | None, share: float | None) -> Verdict:
    """How the facts read (see the module's docstring)."""
    if zone == "below" or (share is not None and share < COMMUNICATION_MOSTLY_BROKEN):
        return "poor"
    if zone is None and share is None:
        return "unknown"
    if zone in ("within", "above") and (share is None or share >= COMMUNICATION_MOSTLY_MET):
        return "good"
    return "mixed"


def perception_verdict(kept_informed_mean: float | None, far_above: bool) -> Verdict:
    """How users' perception reads (see the module's docstring)."""
    if kept_informed_mean is None:
        return "unknown"
    if kept_informed_mean <= KEPT_INFORMED_POOR_UP_TO or far_above:
        return "poor"
    if kept_informed_mean >= KEPT_INFORMED_GOOD_FROM:
        return "good"
    return "mixed"


def flags_of(facts: Verdict, perception: Verdict) -> list[GapFlag]:
    """The gaps between the two readings."""
    if facts == "good" and perception == "poor":
        return ["communication_gap"]
    if facts == "poor" and perception == "good":
        return ["perception_better_than_facts"]
    return []


def build_perception_report(
    *,
    report: ServiceReport,
    alerts: Sequence[AlertInterval],
    answers: Sequence[FeedbackAnswer],
) -> PerceptionReport:
    """The perception-gap report of ``report``'s service and month.

    ``alerts`` are the service's alert intervals overlapping the month and ``answers`` the
    answers about its incidents (more of either do no harm: only the report's incidents,
    within the part of the month observed, count).
    """
    observed = Window(report.starts_at, report.observed_until)
    by_incident: dict[str, list[FeedbackAnswer]] = {}
    for answer in answers:
        by_incident.setdefault(answer.incident_id, []).append(answer)
    incidents: list[PerceivedIncident] = []
    month_answers: list[FeedbackAnswer] = []
    perceived_total = measured_answered = timedelta(0)
    any_perceived = False
    for incident in report.incidents:
        measured = total_downtime(
            (Interval(a.starts_at, a.ends_at) for a in alerts if a.incident_id == incident.id),
            observed,
        )
        given = by_incident.get(incident.id, [])
        month_answers.extend(given)
        figures = perception_of(given)
        if figures.perceived is not None:
            any_perceived = True
            perceived_total += figures.perceived
            measured_answered += measured
        incidents.append(
            PerceivedIncident(
                id=incident.id,
                started_at=incident.started_at,
                ended_at=incident.ended_at,
                measured_downtime=measured,
                declared_downtime=incident.downtime,
                perceived_downtime=figures.perceived,
                respondents=figures.respondents,
                kept_informed_mean=figures.kept_informed_mean,
                disruption_mean=figures.disruption_mean,
            )
        )
    month = perception_of(month_answers)
    perceived = perceived_total if any_perceived else None
    far_above = perceived_far_above(perceived, measured_answered)
    communication = [row for row in report.compliance if row.term in COMMUNICATION_TERMS]
    share = communication_share(communication)
    facts = facts_verdict(report.zone, share)
    perception = perception_verdict(month.kept_informed_mean, far_above)
    return PerceptionReport(
        service=report.service,
        period=report.period,
        timezone=report.timezone,
        starts_at=report.starts_at,
        ends_at=report.ends_at,
        observed_until=report.observed_until,
        final=report.final,
        generated_at=report.generated_at,
        adequate_percent=report.adequate_percent,
        desired_percent=report.desired_percent,
        availability_percent=report.availability_percent,
        zone=report.zone,
        measured_downtime=report.measured_downtime,
        declared_downtime=report.declared_downtime,
        perceived_downtime=perceived,
        measured_downtime_answered=measured_answered,
        perceived_exceeds_measured=far_above,
        answers=month.respondents,
        kept_informed_mean=month.kept_informed_mean,
        disruption_mean=month.disruption_mean,
        expected_adequate_percent=month.expected_adequate_percent,
        expected_desired_percent=month.expected_desired_percent,
        communication=communication,
        communication_share_met=share,
        facts=facts,
        perception=perception,
        flags=flags_of(facts, perception),
        incidents=incidents,
    )
