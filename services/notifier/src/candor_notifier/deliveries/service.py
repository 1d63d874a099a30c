"""Rules of the ledger: what to send to whom, when to try again, and when to give up."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.audience.service import apply_preferences
from candor_notifier.catalog import repository as catalog
from candor_notifier.channels.notice import ChannelTarget
from candor_notifier.deliveries import facts, repository
from candor_notifier.incidents import repository as incidents
from candor_notifier.incidents.models import Notice
from candor_notifier.mail.compose import NoticeKind, Recipient
from candor_notifier.mail.maintenance import MAINTENANCE_KINDS
from candor_shared.contract import (
    IncidentReportActionDone,
    IncidentReportPublished,
    IncidentSnapshot,
    MaintenanceSnapshot,
)
from candor_shared.ids import uuid7

EMAIL = "email"
REPORT = "report"
ACTION_DONE = "report_action"
UNTHREADED = frozenset({"opened", "digest"})
"""Notices whose emails start a thread (a digest gathers several incidents)."""
NOT_INCIDENTS = MAINTENANCE_KINDS | {REPORT, ACTION_DONE}
"""Notices whose ``incident`` column holds something else than an incident snapshot."""


@dataclass(frozen=True)
class Outbound:
    """A claimed delivery with everything needed to send it."""

    delivery_id: uuid.UUID
    incident_id: str
    kind: NoticeKind
    attempts: int
    lease_until: datetime
    message_id: str
    in_reply_to: str | None
    incident: IncidentSnapshot | None
    recipient: Recipient | None
    channel: str = EMAIL
    target: ChannelTarget | None = None
    """Where a channel other than email posts; None when the recipient no longer has it."""
    noticed_at: datetime | None = None
    since: datetime | None = None
    """Holding updates: when users last heard (the time the message says nothing changed since)."""
    recipient_id: str = ""
    maintenance: MaintenanceSnapshot | None = None
    """Maintenance notices: the window (``incident`` is None)."""
    folded: int = 1
    """How many updates the message tells (a burst folded into one when more than 1)."""
    report: IncidentReportPublished | None = None
    """Post-incident reports: the report as published (``incident`` is None)."""
    action_done: IncidentReportActionDone | None = None
    """A follow-up action of a published report done (``incident`` is None)."""
    folded_since: datetime | None = None


async def plan(
    *,
    session: AsyncSession,
    notice: Notice,
    recipient_ids: Sequence[str],
    message_domain: str,
    now: datetime,
    send_at: datetime | None = None,
) -> None:
    """One pending delivery per recipient of ``notice`` and channel they have (email, Slack,
    Teams, webhook, Apprise) other than their fallback channels, sent from ``send_at``
    (default: now); one that exists already stays as it is. Fallback channels are planned
    only when the others fail for good (:mod:`.fallback`). The recipients' preferences
    (quiet hours, digests) then apply to notices of minor incidents, judged at the moment
    the notice is due (:func:`~candor_notifier.audience.service.apply_preferences`).

    Every later notice (update, resolution, reopening) replies to the recipient's opening
    email, so mail clients thread them. Any notice other than a holding update drops the
    incident's holding updates still waiting for their minute: users have just heard.
    """
    if notice.kind != incidents.HOLDING:
        await repository.drop_unsent(
            session, incident_id=notice.incident_id, kind=incidents.HOLDING
        )
    if not recipient_ids:
        return
    first_attempt = now if send_at is None else max(now, send_at)
    reach = await catalog.reach_of(session, recipient_ids)
    await insert_deliveries(
        session=session,
        notice=notice,
        channels={r: reach[r][0] for r in recipient_ids if r in reach},
        message_domain=message_domain,
        now=now,
        first_attempt=first_attempt,
    )
    await apply_preferences(
        session=session, notice=notice, recipient_ids=recipient_ids, now=now, due=first_attempt
    )


async def insert_deliveries(
    *,
    session: AsyncSession,
    notice: Notice,
    channels: dict[str, list[str]],
    message_domain: str,
    now: datetime,
    first_attempt: datetime,
    folded: dict[str, tuple[int, datetime | None]] | None = None,
) -> None:
    """One pending delivery of ``notice`` per recipient and channel in ``channels``, due at
    ``first_attempt``; emails reply to the recipient's opening email of the incident.
    ``folded``: per recipient, the burst a delivery carries (how many updates, since when)."""
    replying_to: dict[str, str] = {}
    if notice.kind not in UNTHREADED and any(EMAIL in wanted for wanted in channels.values()):
        replying_to = await repository.message_ids(
            session,
            incident_id=notice.incident_id,
            kind="opened",
            channel=EMAIL,
            recipient_ids=list(channels),
        )
    rows: list[dict[str, Any]] = []
    for recipient_id, wanted in channels.items():
        tells, told_since = (folded or {}).get(recipient_id, (1, None))
        for channel in wanted:
            delivery_id = uuid7()
            rows.append(
                {
                    "id": delivery_id,
                    "event_id": notice.event_id,
                    "recipient_id": recipient_id,
                    "channel": channel,
                    "incident_id": notice.incident_id,
                    "kind": notice.kind,
                    "state": "pending",
                    "attempts": 0,
                    "last_error": None,
                    "next_attempt_at": first_attempt,
                    "lease_until": None,
                    "message_id": f"<{delivery_id}@{message_domain}>",
                    "in_reply_to": replying_to.get(recipient_id) if channel == EMAIL else None,
                    "created_at": now,
                    "sent_at": None,
                    "updated_at": now,
                    "folded": tells,
                    "folded_since": told_since,
                }
            )
    await repository.insert_new(session, rows)


async def claim_due(
    *, session: AsyncSession, now: datetime, lease_seconds: float, limit: int
) -> list[Outbound]:
    """Claim up to ``limit`` due deliveries until now + ``lease_seconds``, ready to send."""
    rows = await repository.claim_due(
        session, now=now, lease_until=now + timedelta(seconds=lease_seconds), limit=limit
    )
    if not rows:
        return []
    notices = await incidents.get_notices(session, {row.event_id for row in rows})
    subscribers = await catalog.get_subscribers(session, {row.recipient_id for row in rows})
    channels = await catalog.channels_of(
        session, {row.recipient_id for row in rows if row.channel != EMAIL}
    )
    claimed: list[Outbound] = []
    for row in rows:
        notice = notices.get(row.event_id)
        subscriber = subscribers.get(row.recipient_id)
        channel = channels.get(row.recipient_id, {}).get(row.channel)
        assert row.lease_until is not None
        claimed.append(
            Outbound(
                delivery_id=row.id,
                incident_id=row.incident_id,
                kind=cast(NoticeKind, row.kind),
                attempts=row.attempts,
                lease_until=row.lease_until,
                message_id=row.message_id,
                in_reply_to=row.in_reply_to,
                incident=(
                    IncidentSnapshot.model_validate(notice.incident)
                    if notice is not None and notice.kind not in NOT_INCIDENTS
                    else None
                ),
                report=(
                    IncidentReportPublished.model_validate(notice.incident)
                    if notice is not None and notice.kind == REPORT
                    else None
                ),
                action_done=(
                    IncidentReportActionDone.model_validate(notice.incident)
                    if notice is not None and notice.kind == ACTION_DONE
                    else None
                ),
                maintenance=(
                    MaintenanceSnapshot.model_validate(notice.incident)
                    if notice is not None and notice.kind in MAINTENANCE_KINDS
                    else None
                ),
                recipient=(
                    Recipient(
                        email=subscriber.email or "",
                        timezone=subscriber.timezone,
                        language=subscriber.language,
                    )
                    if subscriber is not None
                    else None
                ),
                channel=row.channel,
                target=(
                    ChannelTarget(type=channel.type, url=channel.url, secret=channel.secret)
                    if channel is not None
                    else None
                ),
                noticed_at=notice.created_at if notice is not None else None,
                since=notice.unchanged_since if notice is not None else None,
                recipient_id=row.recipient_id,
                folded=row.folded,
                folded_since=row.folded_since,
            )
        )
    return claimed


def retry_delay(
    *,
    attempts: int,
    base_seconds: float,
    max_seconds: float,
    rng: Callable[[], float] = random.random,
) -> float:
    """Seconds before the next attempt: base·2^(attempts-1), capped, then half to all of that.

    The jitter spreads the retries of a batch that failed together.
    """
    ceiling = min(max_seconds, base_seconds * 2.0 ** min(attempts - 1, 30))
    return ceiling * (0.5 + rng() / 2)


async def record_sent(*, session: AsyncSession, delivery_id: uuid.UUID, now: datetime) -> None:
    """The relay accepted the delivery; the first one of its notice also writes the delivery
    fact (:mod:`.facts`) in this transaction."""
    notice_id = await repository.mark_sent(session, delivery_id=delivery_id, now=now)
    if notice_id is not None:
        await facts.record_first_delivery(session=session, notice_id=notice_id, now=now)


async def record_failure(
    *,
    session: AsyncSession,
    outbound: Outbound,
    error: str,
    permanent: bool,
    max_attempts: int,
    base_seconds: float,
    max_seconds: float,
    now: datetime,
    retry_after: float | None = None,
) -> datetime | None:
    """Schedule another attempt, or give up when the failure is permanent or attempts ran out.

    ``retry_after`` (seconds an endpoint asked to wait, from ``Retry-After``) makes the next
    attempt no earlier than that. Returns when the next attempt is due, or None when the
    delivery failed for good.
    """
    if permanent or outbound.attempts >= max_attempts:
        await repository.mark_failed(
            session, delivery_id=outbound.delivery_id, error=error, now=now
        )
        return None
    delay = retry_delay(
        attempts=outbound.attempts, base_seconds=base_seconds, max_seconds=max_seconds
    )
    if retry_after is not None:
        delay = max(delay, retry_after)
    at = now + timedelta(seconds=delay)
    await repository.reschedule(
        session, delivery_id=outbound.delivery_id, at=at, error=error, count_attempt=True, now=now
    )
    return at


async def failed_recipients(
    *, session: AsyncSession, delivery_ids: Sequence[uuid.UUID]
) -> set[tuple[str, str]]:
    """(notice, recipient) of those of the deliveries that failed for good."""
    return await repository.failed_recipients(session, delivery_ids)


async def release(
    *, session: AsyncSession, delivery_ids: Sequence[uuid.UUID], now: datetime
) -> None:
    """Hand claimed deliveries back untried, due now, without counting the attempt."""
    for delivery_id in delivery_ids:
        await repository.reschedule(
            session, delivery_id=delivery_id, at=now, error=None, count_attempt=False, now=now
        )


async def forget_recipient(*, session: AsyncSession, recipient_id: str) -> int:
    """Delete every delivery to the recipient. Returns how many there were."""
    return await repository.delete_for_recipient(session, recipient_id)
