"""Rules of reports: what a month's report holds, and how it leaves sla-monitor."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from candor_shared.contract import (
    AgreementTerms,
    ServiceRef,
    ServiceReport,
    SlaReportPublished,
    new_event,
)
from candor_shared.kafka import add_event
from candor_sla_monitor.deadlines import repository as deadline_records
from candor_sla_monitor.deadlines.compliance import breached_terms, deadlines_in, term_compliance
from candor_sla_monitor.ledger import repository as ledger
from candor_sla_monitor.maintenance import service as maintenance
from candor_sla_monitor.models import OutboxRecord
from candor_sla_monitor.perception import repository as perception
from candor_sla_monitor.reports import repository
from candor_sla_monitor.reports.builder import build_report
from candor_sla_monitor.reports.periods import month_window

SOURCE = "/candor/sla-monitor"


async def terms_of(session: AsyncSession, service_id: str) -> AgreementTerms | None:
    """The service's agreement terms, if sla-monitor knows the service and it has some."""
    agreement = await repository.agreement_of(session, service_id)
    if agreement is None or agreement.terms is None:
        return None
    return AgreementTerms.model_validate(agreement.terms)


async def report_of(
    *, session: AsyncSession, service: ServiceRef, period: str, now: datetime
) -> ServiceReport:
    """The report of ``service`` for ``period`` as of ``now``, against its current terms.

    A service without an agreement (or not yet heard of from the catalog) is reported in UTC
    without levels. Raises :class:`.builder.PeriodNotBegun` and :class:`.periods.BadPeriod`.
    """
    terms = await terms_of(session, service.id)
    window = month_window(period, terms.timezone if terms else "UTC")
    outages = await ledger.outages_overlapping(
        session, service_slug=service.slug, start=window.start, end=window.end
    )
    alerts = await ledger.alert_intervals_overlapping(
        session, service_slug=service.slug, start=window.start, end=window.end
    )
    spans = await maintenance.spans_of(session=session, service_slug=service.slug, window=window)
    # Deadlines count in the month their clock started; one past due but not yet fired by
    # the scheduler is already a breach.
    records = await deadlines_in(session, service.slug, window, as_of=now)
    report = build_report(
        service=service,
        period=period,
        terms=terms,
        now=now,
        outages=outages,
        alerts=alerts,
        maintenance=spans,
        compliance=term_compliance(records),
        breached=breached_terms(records),
        first_communication=await _first_communications(
            session, [outage.incident_id for outage in outages]
        ),
    )
    # The ledger's perceived column: what users said of the month's incidents, if anything.
    perceived = await perception.perceived_total(
        session, [incident.id for incident in report.incidents]
    )
    return report.model_copy(update={"perceived_downtime": perceived})


async def _first_communications(
    session: AsyncSession, incident_ids: list[str]
) -> dict[str, datetime]:
    """When users were first told about each incident (notice delivered or public update)."""
    first: dict[str, datetime] = {}
    for incident_id in incident_ids:
        times = await deadline_records.communication_times(session, incident_id)
        if times:
            first[incident_id] = times[0]
    return first


def publish_report(
    session: AsyncSession, report: ServiceReport, *, requested_by: str | None
) -> None:
    """Stage ``report`` on the SLA topic (keyed by service id) in the session's transaction."""
    event = new_event(
        SlaReportPublished(report=report, requested_by=requested_by),
        source=SOURCE,
        key=report.service.id,
        subject=report.service.slug,
    )
    add_event(session, OutboxRecord, event)
