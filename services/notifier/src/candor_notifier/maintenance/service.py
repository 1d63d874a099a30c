"""Rules of maintenance notices: each newer version of a window tells the followers of its
services once, and a window still scheduled owes one reminder ``lead`` before it starts.

Maintenance is planned work, not an outage: its notices say so, go by email only (the chat
and webhook formats speak of incidents), publish no delivery fact (no agreement counts
them as communication about an incident) and never start an SLA clock.

The reminder is decided when the window is seen: due ``lead`` before ``starts_at``, unless
the window was announced within the lead (the announcement came that late; a reminder
minutes after it would only repeat it). A later change of times moves a reminder not sent
yet; once sent it is not sent again, and the "changed" notice tells any new times. A
reminder found due after the window should have started (the notifier was down) is dropped:
the start notice says more.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.catalog import repository as catalog_repository
from candor_notifier.catalog import service as catalog
from candor_notifier.deliveries import repository as delivery_repository
from candor_notifier.deliveries import service as deliveries
from candor_notifier.incidents import repository as notices
from candor_notifier.incidents.models import Notice
from candor_notifier.mail.maintenance import MaintenanceKind
from candor_notifier.maintenance import repository
from candor_notifier.maintenance.models import MaintenanceWindow
from candor_shared.contract import MaintenanceSnapshot
from candor_shared.ids import uuid7

log = structlog.get_logger(__name__)

REMINDER: MaintenanceKind = "mnt_reminder"
ANNOUNCEMENT: MaintenanceKind = "mnt_scheduled"


def reminder_due(maintenance: MaintenanceSnapshot, lead: timedelta | None) -> datetime | None:
    """When the window's followers are reminded of it, or None when they are not."""
    if lead is None or lead <= timedelta(0) or maintenance.status != "scheduled":
        return None
    due = maintenance.starts_at - lead
    if maintenance.announced_at >= due:
        return None
    return due


async def audience(*, session: AsyncSession, maintenance: MaintenanceSnapshot) -> list[str]:
    """Everyone who follows one of the window's services, once."""
    followers: list[str] = []
    for slug in dict.fromkeys(service.slug for service in maintenance.services):
        followers.extend(await catalog.followers_of(session=session, service_slug=slug))
    return list(dict.fromkeys(followers))


async def _tell(
    *,
    session: AsyncSession,
    event_id: str,
    kind: MaintenanceKind,
    maintenance: MaintenanceSnapshot,
    message_domain: str,
    now: datetime,
) -> int:
    """Write the notice and plan one email to each follower. Returns how many."""
    notice = Notice(
        event_id=event_id,
        incident_id=maintenance.id,
        incident_version=maintenance.version,
        kind=kind,
        incident=maintenance.model_dump(mode="json"),
        created_at=now,
    )
    notices.add(session, notice)
    followers = await audience(session=session, maintenance=maintenance)
    await plan_emails(
        session=session, notice=notice, followers=followers, message_domain=message_domain, now=now
    )
    return len(followers)


async def plan_emails(
    *,
    session: AsyncSession,
    notice: Notice,
    followers: list[str],
    message_domain: str,
    now: datetime,
    thread_under: str = ANNOUNCEMENT,
) -> None:
    """One pending email per follower who has an address, replying to their email of kind
    ``thread_under`` about the same thing (a window's announcement by default), so mail
    clients thread them."""
    if not followers:
        return
    reach = await catalog_repository.channel_types(session, followers)
    emailed = [who for who in followers if deliveries.EMAIL in reach.get(who, ())]
    replying_to = await delivery_repository.message_ids(
        session,
        incident_id=notice.incident_id,
        kind=thread_under,
        channel=deliveries.EMAIL,
        recipient_ids=emailed,
    )
    rows: list[dict[str, Any]] = []
    for recipient_id in emailed:
        delivery_id = uuid7()
        rows.append(
            {
                "id": delivery_id,
                "event_id": notice.event_id,
                "recipient_id": recipient_id,
                "channel": deliveries.EMAIL,
                "incident_id": notice.incident_id,
                "kind": notice.kind,
                "state": "pending",
                "attempts": 0,
                "last_error": None,
                "next_attempt_at": now,
                "lease_until": None,
                "message_id": f"<{delivery_id}@{message_domain}>",
                "in_reply_to": replying_to.get(recipient_id),
                "created_at": now,
                "sent_at": None,
                "updated_at": now,
            }
        )
    await delivery_repository.insert_new(session, rows)


async def record_change(
    *,
    session: AsyncSession,
    event_id: str,
    kind: MaintenanceKind,
    maintenance: MaintenanceSnapshot,
    reminder_lead: timedelta | None,
    message_domain: str,
    now: datetime,
) -> int | None:
    """Keep the window's newest version and its reminder; tell its followers of the change.

    Returns how many followers were told, or None for an event not newer than what was seen
    (stale or redelivered), which tells nobody anything.
    """
    known = await repository.get(session, maintenance.id)
    if known is not None and known.version >= maintenance.version:
        return None
    if known is None:
        known = MaintenanceWindow(id=maintenance.id, reminder_sent_at=None)
        repository.add(session, known)
    known.version = maintenance.version
    known.status = maintenance.status
    known.maintenance = maintenance.model_dump(mode="json")
    known.updated_at = now
    known.reminder_due_at = (
        reminder_due(maintenance, reminder_lead) if known.reminder_sent_at is None else None
    )
    return await _tell(
        session=session,
        event_id=event_id,
        kind=kind,
        maintenance=maintenance,
        message_domain=message_domain,
        now=now,
    )


async def send_due_reminders(
    *, session: AsyncSession, message_domain: str, now: datetime, limit: int = 100
) -> int:
    """Plan the reminder of every window whose reminder is due, once each. Returns how many
    windows were reminded."""
    reminded = 0
    for window in await repository.claim_due_reminders(session, now=now, limit=limit):
        window.reminder_sent_at = now
        window.reminder_due_at = None
        maintenance = MaintenanceSnapshot.model_validate(window.maintenance)
        with structlog.contextvars.bound_contextvars(maintenance_id=window.id):
            if maintenance.starts_at <= now:
                log.info("maintenance.reminder_too_late", starts_at=maintenance.starts_at)
                continue
            recipients = await _tell(
                session=session,
                event_id=f"{window.id}:reminder",
                kind=REMINDER,
                maintenance=maintenance,
                message_domain=message_domain,
                now=now,
            )
            log.info("maintenance.reminder_planned", recipients=recipients)
        reminded += 1
    return reminded
