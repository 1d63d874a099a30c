"""Rules of reports: what a month's report holds, and how it leaves sla-monitor."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from candor_shared.contract import (
    AgreementTerms,
    GroupRef,
    ServiceRef,
    ServiceReport,
    SlaReportPublished,
    new_event,
)
from candor_shared.kafka import add_event
from candor_sla_monitor.agreements import repository as agreements
from candor_sla_monitor.agreements.repository import UnknownGroupAgreement
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


async def terms_of(
    session: AsyncSession, service_id: str, group_id: str | None = None
) -> AgreementTerms | None:
    """The service's agreement terms (or, with ``group_id``, its agreement with that
    group's), if sla-monitor knows the service and it has some. Raises
    :class:`.agreements.repository.UnknownGroupAgreement` for a group without one."""
    agreement = await repository.agreement_of(session, service_id)
    if agreement is None:
        if group_id:
            raise UnknownGroupAgreement(f"service {service_id!r} is not known here")
        return None
    return agreements.one_of(agreement, group_id).validated()


async def report_of(
    *,
    session: AsyncSession,
    service: ServiceRef,
    period: str,
    now: datetime,
    group: GroupRef | None = None,
) -> ServiceReport:
    """The report of ``service`` for ``period`` as of ``now``, against its current terms,
    or with ``group`` against its agreement with that group of users (its own terms and its
    own deadlines; the outages and maintenance are the service's).

    A service without an agreement (or not yet heard of from the catalog) is reported in UTC
    without levels. Raises :class:`.builder.PeriodNotBegun`, :class:`.periods.BadPeriod` and
    :class:`.agreements.repository.UnknownGroupAgreement`.
    """
    group_id = None if group is None else group.id
    terms = await terms_of(session, service.id, group_id)
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
    records = await deadlines_in(session, service.slug, window, as_of=now, group_id=group_id)
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
    return report.model_copy(update={"perceived_downtime": perceived, "group": group})


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
