"""Post-incident reports: the published report goes, once, by email to everyone the incident
affected (the audience of its notices), rendered in each one's language and time zone.

The report travels whole in the notice (``notices.incident`` holds the event's data), so that
a message sent late reads the report as it was published. Like maintenance notices it goes by
email only and writes no delivery fact. A second publication of the same event (a
redelivery) finds its notice and plans nothing more.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.incidents import repository as notices
from candor_notifier.incidents import service as incidents
from candor_notifier.incidents.models import Notice
from candor_notifier.maintenance.service import plan_emails
from candor_notifier.reports.models import ServiceStanding
from candor_shared.contract import (
    IncidentReportActionDone,
    IncidentReportPublished,
    ServiceReport,
)

REPORT = "report"
ACTION_DONE = "report_action"


async def send_report(
    *,
    session: AsyncSession,
    event_id: str,
    report: IncidentReportPublished,
    message_domain: str,
    now: datetime,
) -> int | None:
    """Plan one email of the report to each affected user. Returns how many, or None when
    this report was planned before."""
    if (await notices.get_notices(session, [event_id])).get(event_id) is not None:
        return None
    notice = Notice(
        event_id=event_id,
        incident_id=report.incident.id,
        incident_version=report.incident.version,
        kind=REPORT,
        incident=report.model_dump(mode="json"),
        created_at=now,
        occurred_at=report.published_at,
    )
    notices.add(session, notice)
    followers = await incidents.audience(session=session, incident=report.incident)
    await plan_emails(
        session=session,
        notice=notice,
        followers=followers,
        message_domain=message_domain,
        now=now,
        thread_under="opened",
    )
    return len(followers)


async def send_action_done(
    *,
    session: AsyncSession,
    event_id: str,
    done: IncidentReportActionDone,
    message_domain: str,
    now: datetime,
) -> int | None:
    """Plan one short email to each affected user: a follow-up action of the report is
    done (threaded under the report). Returns how many, or None when planned before."""
    if (await notices.get_notices(session, [event_id])).get(event_id) is not None:
        return None
    notice = Notice(
        event_id=event_id,
        incident_id=done.incident.id,
        incident_version=done.incident.version,
        kind=ACTION_DONE,
        incident=done.model_dump(mode="json"),
        created_at=now,
    )
    notices.add(session, notice)
    followers = await incidents.audience(session=session, incident=done.incident)
    await plan_emails(
        session=session,
        notice=notice,
        followers=followers,
        message_domain=message_domain,
        now=now,
        thread_under=REPORT,
    )
    return len(followers)


async def keep_standing(*, session: AsyncSession, report: ServiceReport) -> bool:
    """Keep the service's standing from ``report`` unless a newer period or a newer report
    of the same period is known. Returns True when kept."""
    known = await session.get(ServiceStanding, report.service.slug)
    if known is not None and (known.period, known.generated_at) >= (
        report.period,
        report.generated_at,
    ):
        return False
    if known is None:
        known = ServiceStanding(service_slug=report.service.slug)
        session.add(known)
    known.period = report.period
    known.starts_at = report.starts_at
    known.ends_at = report.ends_at
    known.availability_percent = report.availability_percent
    known.adequate_percent = report.adequate_percent
    known.final = report.final
    known.generated_at = report.generated_at
    return True


async def standing_at(
    *, session: AsyncSession, service_slug: str, moment: datetime
) -> ServiceStanding | None:
    """The service's known standing over the period that holds ``moment``, if known."""
    known = await session.get(ServiceStanding, service_slug)
    if known is None or not known.starts_at <= moment < known.ends_at:
        return None
    return known
