"""Holding updates: when news is due and operators have said nothing, Candor says so itself.

sla-monitor publishes ``sla.update_due`` a little (``lead``) before users must hear about an
incident again. If no operator update was told to users after that deadline's clock started,
the incident's audience (the same people as its other notices) receives a holding update:
"No change since 10:00: engineers are still working on …; next update by 10:30."

- *since* is when users last heard: the event's ``last_communication_at``, else the
  deadline's start.
- It goes out at the deadline's minute (``due_at``), not when the event arrives: the event
  comes ``lead`` early so that the deliveries are planned and waiting, and users hear "at
  minute 30", not at 25 (sla-monitor counts anything within the due minute as on time). A
  notice made in between (an operator update, the resolution) drops it unsent.
- *next update by* is the send time plus the agreed update interval (``deadline.allowed``),
  rounded up to the minute. The holding update is itself the communication the deadline
  asked for, so sla-monitor's next clock starts when it is delivered (the delivery fact) and
  runs the same interval; the promise rounds that up so that it never reads earlier.
  For terms counted in business hours the promise is still in wall-clock time.
- Each deadline is decided once (``holding_updates``), whatever is redelivered.
- One holding update answers every agreement: the service's own and a group's
  (``deadline.group``) each have update deadlines, but the audience is the incident's
  whole audience either way. A deadline is superseded when another holding update for the
  incident was planned (and not dropped) after its clock started, so that two agreements
  due about the same time never give users two holding updates.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.deliveries import service as deliveries
from candor_notifier.incidents import repository as incidents
from candor_notifier.incidents import service as incident_rules
from candor_notifier.incidents.models import Notice
from candor_notifier.sla import repository
from candor_notifier.sla.models import HoldingOutcome, HoldingUpdate
from candor_shared.contract import IncidentSnapshot, SlaUpdateDue

log = structlog.get_logger(__name__)


def next_update_by(now: datetime, interval: timedelta) -> datetime:
    """``now + interval``, rounded up to the whole minute."""
    moment = now + interval
    if moment.second or moment.microsecond:
        moment = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return moment


async def hold(
    *,
    session: AsyncSession,
    event_id: str,
    update_due: SlaUpdateDue,
    message_domain: str,
    now: datetime,
) -> HoldingOutcome | None:
    """Send the incident's audience a holding update for this deadline unless operators spoke
    since its clock started, the incident ended, or the deadline was decided already.

    Returns what was decided, or None when the deadline had been decided before.
    """
    deadline = update_due.deadline
    if await repository.get(session, deadline.deadline_id) is not None:
        return None
    outcome: HoldingOutcome
    notice: Notice | None = None
    known = await incidents.get(session, deadline.incident_id)
    newest = await incidents.newest_change(session, deadline.incident_id)
    if known is None or newest is None:
        outcome = "unknown"
    elif known.status == "resolved":
        outcome = "resolved"
    elif await incidents.told_users_after(
        session, incident_id=deadline.incident_id, after=deadline.started_at
    ) or await incidents.holding_planned_after(
        session, incident_id=deadline.incident_id, after=deadline.started_at
    ):
        outcome = "superseded"
    else:
        outcome = "planned"
        incident = IncidentSnapshot.model_validate(newest.incident)
        promised = incident.model_copy(
            update={"next_update_at": next_update_by(max(now, deadline.due_at), deadline.allowed)}
        )
        notice = Notice(
            event_id=event_id,
            incident_id=incident.id,
            incident_version=incident.version,
            kind=incidents.HOLDING,
            incident=promised.model_dump(mode="json"),
            created_at=now,
            unchanged_since=update_due.last_communication_at or deadline.started_at,
        )
        incidents.add(session, notice)
        recipients = await incident_rules.audience(session=session, incident=incident)
        await deliveries.plan(
            session=session,
            notice=notice,
            recipient_ids=recipients,
            message_domain=message_domain,
            now=now,
            send_at=deadline.due_at,
        )
        log.info(
            "holding.planned",
            recipients=len(recipients),
            deadline_id=deadline.deadline_id,
            group=None if deadline.group is None else deadline.group.name,
        )
    repository.add(
        session,
        HoldingUpdate(
            deadline_id=deadline.deadline_id,
            incident_id=deadline.incident_id,
            outcome=outcome,
            notice_event_id=notice.event_id if notice is not None else None,
            due_at=deadline.due_at,
            created_at=now,
        ),
    )
    return outcome
