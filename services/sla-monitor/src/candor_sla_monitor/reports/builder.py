"""A service's report of one month, from ledger rows, free of I/O.

Every figure covers the observed part of the month (its start until now, or the whole month
once it is over) in the agreement's timezone, counted as the facts count the agreement's
period (:func:`..ledger.maintenance.agreement_availability`): declared outages weighted by
their impact's ``downtime_fraction``, the heaviest once where they overlap; maintenance
announced in time left out of both downtime and period, maintenance announced late counted
as downtime. Measured downtime (monitoring alerts) is reported beside it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import cast

from candor_shared.contract import AgreementTerms, ServiceRef, ServiceReport
from candor_shared.contract.incidents import Impact
from candor_shared.contract.sla import (
    DailyAvailability,
    ErrorBudget,
    ReportIncident,
    ReportMaintenance,
    Term,
    TermCompliance,
)
from candor_shared.intervals import Interval, Window
from candor_sla_monitor.budget import arithmetic as budgets
from candor_sla_monitor.ledger.availability import zone_of
from candor_sla_monitor.ledger.facts import agreed_downtime
from candor_sla_monitor.ledger.maintenance import (
    AgreementAvailability,
    MaintenanceSpan,
    agreement_availability,
)
from candor_sla_monitor.ledger.models import AlertInterval, Outage
from candor_sla_monitor.reports.periods import local_days, month_window


class PeriodNotBegun(ValueError):
    """The month asked for has not begun yet: there is nothing to report."""


def error_budget(*, adequate_percent: float, period: timedelta, consumed: timedelta) -> ErrorBudget:
    """The budget's figures (:func:`..budget.arithmetic.error_budget`) as a report tells them.

    ``remaining`` is negative once the budget is overspent. An adequate level of 100 % allows
    nothing, and an infinite share travels in no JSON: any downtime then reads as the whole
    budget consumed (share 1), none as none.
    """
    figures = budgets.error_budget(
        adequate_percent=adequate_percent, period=period, consumed=consumed
    )
    share = figures.consumed_share
    return ErrorBudget(
        allowed=figures.allowed,
        consumed=figures.consumed,
        remaining=figures.remaining,
        consumed_share=share if math.isfinite(share) else 1.0,
    )


def build_report(
    *,
    service: ServiceRef,
    period: str,
    terms: AgreementTerms | None,
    now: datetime,
    outages: Sequence[Outage],
    alerts: Sequence[AlertInterval],
    maintenance: Sequence[MaintenanceSpan] = (),
    compliance: Iterable[TermCompliance] = (),
    breached: Mapping[str, Sequence[Term]] | None = None,
    first_communication: Mapping[str, datetime] | None = None,
) -> ServiceReport:
    """The report of ``service`` for the month ``period`` as of ``now``.

    ``outages``, ``alerts`` and ``maintenance`` are those overlapping the month (more do no
    harm); ``compliance`` and ``breached`` (terms broken, by incident id) come from the
    deadlines, ``first_communication`` (when users were first told, by incident id) from
    the communications they count. Raises :class:`PeriodNotBegun` when ``now`` is not after
    the month's start.
    """
    terms = terms or AgreementTerms()
    month = month_window(period, terms.timezone)
    if now <= month.start:
        raise PeriodNotBegun(f"{period} has not begun in {terms.timezone}")
    observed = Window(month.start, min(now, month.end))

    declared = [(Interval(outage.started_at, outage.ended_at), outage.impact) for outage in outages]
    measured = [Interval(alert.starts_at, alert.ends_at) for alert in alerts]

    def availability(window: Window) -> AgreementAvailability:
        return agreement_availability(
            window=window, terms=terms, outages=declared, alerts=measured, maintenance=maintenance
        )

    overall = availability(observed)
    objective = terms.availability
    budget: ErrorBudget | None = None
    if objective is not None:
        # The budget is the whole month's: what the adequate level allows of the month,
        # without the maintenance announced in time (planned later in the month too).
        excluded_in_month = agreement_availability(
            window=month, terms=terms, outages=(), maintenance=maintenance
        ).excluded
        budget = error_budget(
            adequate_percent=objective.adequate_percent,
            period=month.length - excluded_in_month,
            consumed=overall.counted_downtime,
        )
    breached = breached or {}
    first_communication = first_communication or {}
    return ServiceReport(
        service=service,
        period=period,
        timezone=terms.timezone,
        starts_at=month.start,
        ends_at=month.end,
        observed_until=observed.end,
        final=now >= month.end,
        generated_at=now,
        adequate_percent=None if objective is None else objective.adequate_percent,
        desired_percent=None if objective is None else objective.desired_percent,
        availability_percent=overall.percent,
        zone=None
        if objective is None
        else zone_of(overall.percent, objective.adequate_percent, objective.desired_percent),
        measured_downtime=overall.measured_downtime,
        declared_downtime=overall.counted_downtime,
        excluded_maintenance=overall.excluded,
        error_budget=budget,
        compliance=list(compliance),
        incidents=[
            ReportIncident(
                id=outage.incident_id,
                impact=cast(Impact, outage.impact),
                started_at=outage.started_at,
                ended_at=outage.ended_at,
                # The incident's own weighted time in the period; overlaps with other
                # incidents and maintenance are settled in the totals only.
                downtime=agreed_downtime(terms=terms, outages=[outage], window=observed),
                acknowledged_at=outage.acknowledged_at,
                first_communication_at=first_communication.get(outage.incident_id),
                breached=list(breached.get(outage.incident_id, ())),
            )
            for outage in sorted(outages, key=lambda o: (o.started_at, o.incident_id))
            if outage.started_at < observed.end
            and (outage.ended_at is None or outage.ended_at > observed.start)
        ],
        maintenance=_maintenance_of(month, terms, maintenance),
        daily=[
            DailyAvailability(day=day, percent=availability(window).percent)
            for day, window in local_days(observed, terms.timezone)
        ],
    )


def _maintenance_of(
    month: Window,
    terms: AgreementTerms,
    spans: Iterable[MaintenanceSpan],
) -> list[ReportMaintenance]:
    """The month's maintenance, planned or done (cancelled windows left out), in order.

    Titles are left empty: sla-monitor keeps none, and incident-api, which owns the windows,
    names them where it serves the report.
    """
    listed: list[ReportMaintenance] = []
    for span in sorted(spans, key=lambda s: (s.span.start, s.maintenance_id)):
        real = span.span
        assert real.end is not None
        if span.cancelled or not (real.start < month.end and real.end > month.start):
            continue
        late = not span.announced_in_time(terms.maintenance_notice)
        listed.append(
            ReportMaintenance(
                id=span.maintenance_id,
                title="",
                starts_at=real.start,
                ends_at=real.end,
                announced_at=span.announced_at,
                notice=max(span.begins - span.announced_at, timedelta(0)),
                excluded=not late,
                late=late,
            )
        )
    return listed
