"""Recipient preferences applied to a notice just planned: digests and quiet hours for minor
incidents."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.audience import digest, repository
from candor_notifier.audience.quiet import QUIETED_IMPACTS, quiet_until
from candor_notifier.catalog import repository as catalog
from candor_notifier.incidents.models import Notice

log = structlog.get_logger(__name__)


async def apply_preferences(
    *,
    session: AsyncSession,
    notice: Notice,
    recipient_ids: Sequence[str],
    now: datetime,
    due: datetime | None = None,
) -> None:
    """When the incident's impact is minor (or none): gather the notice's deliveries to
    recipients with a digest period into their digests (:mod:`.digest`), and delay its other
    deliveries to recipients in their quiet hours until those end. Worse incidents are never
    delayed or gathered; nothing is dropped.

    ``due`` is when the deliveries are due (default ``now``): a holding update planned ahead
    of its minute is judged by that minute, both for quiet hours and for the digest period."""
    if not recipient_ids or notice.incident.get("impact") not in QUIETED_IMPACTS:
        return
    due = max(now, due or now)
    preferring = list((await catalog.preferences_of(session, recipient_ids)).values())
    await digest.gather(session=session, notice=notice, subscribers=preferring, now=now, due=due)
    waiting: dict[datetime, list[str]] = defaultdict(list)
    for subscriber in preferring:
        if subscriber.quiet_start is None or subscriber.quiet_end is None:
            continue
        until = quiet_until(
            now=due,
            timezone=subscriber.timezone,
            start=subscriber.quiet_start,
            end=subscriber.quiet_end,
        )
        if until is not None and until > due:
            waiting[until].append(subscriber.id)
    for until, ids in waiting.items():
        await repository.hold_until(
            session, event_id=notice.event_id, recipient_ids=ids, until=until, now=now
        )
    if waiting:
        log.info(
            "notice.held_for_quiet_hours", recipients=sum(len(ids) for ids in waiting.values())
        )
