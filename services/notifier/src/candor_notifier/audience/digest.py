"""Digests: a recipient who asked for one gets the notices of minor incidents gathered into
one message per channel and period (``digest_every``) instead of one message each.

Periods are cut from the Unix epoch in UTC (an hourly digest goes out on the hour); a notice
belongs to the period it is due in (a holding update planned ahead, to its minute's). When a
minor notice is planned for such a recipient, its delivery on each gathered channel becomes
the period's digest delivery there (one row per recipient, period and channel, due at the
period's end, or at the end of their
quiet hours if the period ends inside them) or, when that exists already, is dropped; the
notice is recorded as one of the digest's entries. The sender renders the digest from its
entries when it is due. The ledger stays one row per (notice, recipient, channel): the digest
is a notice of its own, and the notices it gathers have no row of their own on the gathered
channels.

Chat channels read by people (Slack, Teams, Apprise) are gathered alike: the digest goes
there as one message, the email's subject and plain text. Generic webhooks are not: they feed
machines, which get each notice as it comes with its facts (a list of notices has no place
in the per-incident payload receivers verify and parse).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.audience import repository
from candor_notifier.audience.quiet import QUIETED_IMPACTS, quiet_until
from candor_notifier.catalog.models import Subscriber
from candor_notifier.incidents.models import Notice
from candor_shared.contract import IncidentSnapshot

KIND = "digest"
GATHERED_CHANNELS = frozenset({"email", "slack", "teams", "apprise"})
"""Channels whose minor notices a digest gathers; webhooks get each notice."""
HOLDING = "holding"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAMESPACE = uuid.UUID("0b7f2f4e-3c55-4f8e-9a52-6f0e0e4bd1c1")


def period_of(now: datetime, every: timedelta) -> tuple[datetime, datetime]:
    """The digest period ``now`` falls in: [start, end), cut from the epoch."""
    elapsed = (now - EPOCH) // every
    start = EPOCH + elapsed * every
    return start, start + every


def digest_event_id(recipient_id: str, period_end: datetime) -> str:
    """The digest notice of this recipient and period: the same id whoever plans it."""
    return str(uuid.uuid5(_NAMESPACE, f"{recipient_id}:{period_end.isoformat()}"))


async def gather(
    *,
    session: AsyncSession,
    notice: Notice,
    subscribers: Sequence[Subscriber],
    now: datetime,
    due: datetime | None = None,
) -> None:
    """Fold the notice's deliveries to ``subscribers`` with a digest period into their
    digests (see the module): the digest of the period the notice is ``due`` in (default
    ``now``). Notices of worse incidents and digests themselves go on."""
    if notice.kind == KIND or notice.incident.get("impact") not in QUIETED_IMPACTS:
        return
    for subscriber in subscribers:
        if not subscriber.digest_seconds:
            continue
        start, end = period_of(due or now, timedelta(seconds=subscriber.digest_seconds))
        due = end
        if subscriber.quiet_start is not None and subscriber.quiet_end is not None:
            due = (
                quiet_until(
                    now=end,
                    timezone=subscriber.timezone,
                    start=subscriber.quiet_start,
                    end=subscriber.quiet_end,
                )
                or end
            )
        digest_id = digest_event_id(subscriber.id, end)
        if await repository.get_notice(session, digest_id) is None:
            repository.add(
                session,
                Notice(
                    event_id=digest_id,
                    incident_id=notice.incident_id,
                    incident_version=notice.incident_version,
                    kind=KIND,
                    incident=notice.incident,
                    created_at=now,
                    unchanged_since=start,
                ),
            )
            await session.flush()
        moved = await repository.take_deliveries(
            session,
            event_id=notice.event_id,
            recipient_id=subscriber.id,
            channels=GATHERED_CHANNELS,
            digest_event_id=digest_id,
            due=due,
            now=now,
        )
        if moved:
            await repository.add_digest_entry(
                session,
                recipient_id=subscriber.id,
                event_id=notice.event_id,
                digest_event_id=digest_id,
                now=now,
            )


async def gathered(
    session: AsyncSession, *, delivery_id: uuid.UUID, recipient_id: str
) -> list[tuple[str, datetime, IncidentSnapshot]]:
    """The notices a digest delivery carries: (kind, when, incident then), oldest first. A
    holding update ("no change since …") followed by a later notice of its incident in the
    same digest is left out: the later notice supersedes it, as it does outside digests."""
    notices = await repository.digest_notices(
        session, delivery_id=delivery_id, recipient_id=recipient_id
    )
    superseded = {
        notice.event_id
        for position, notice in enumerate(notices)
        if notice.kind == HOLDING
        and any(later.incident_id == notice.incident_id for later in notices[position + 1 :])
    }
    return [
        (
            notice.kind,
            notice.occurred_at or notice.created_at,
            IncidentSnapshot.model_validate(notice.incident),
        )
        for notice in notices
        if notice.event_id not in superseded
    ]
