"""Fallback channels: a subscriber may keep a channel for when the others fail, so that they
get one message, not one per channel.

Notices are planned on a recipient's first channels only (those not marked ``fallback``).
When every first-channel delivery of a notice to a recipient has failed for good (a
permanent error, retries exhausted, or its endpoint quarantined), the same notice is planned
on their fallback channels, due at once, telling the same burst of updates. This runs in the
transaction that records the last of those failures, so the delivery counts never show the
recipient as failed while a fallback is still to be tried; the ledger's uniqueness per
(notice, recipient, channel) makes it once however often it runs. A fallback delivery that
fails in turn falls back to nothing more.

A recipient whose channels are all fallbacks is treated as if none were (the catalog's
:func:`~candor_notifier.catalog.repository.reach_of`). Fallbacks are for incident notices
and digests; maintenance notices and post-incident reports go by email only.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.catalog import repository as catalog
from candor_notifier.deliveries import repository, service
from candor_notifier.incidents import repository as incidents

log = structlog.get_logger(__name__)

FALLBACK_KINDS = frozenset({"opened", "updated", "holding", "resolved", "reopened", "digest"})
"""Notices that fall back to another channel."""


async def fall_back(
    *,
    session: AsyncSession,
    failed: Collection[tuple[str, str]],
    message_domain: str,
    now: datetime,
) -> int:
    """Plan each (notice, recipient) in ``failed`` on the recipient's fallback channels when
    every delivery of the notice to them on their other channels failed for good. Returns how
    many deliveries were planned (0 when they existed already)."""
    if not failed:
        return 0
    notices = await incidents.get_notices(session, {event_id for event_id, _ in failed})
    reach = await catalog.reach_of(session, sorted({recipient for _, recipient in failed}))
    planned = 0
    for event_id, recipient_id in sorted(failed):
        notice = notices.get(event_id)
        _, spare = reach.get(recipient_id, ([], []))
        if notice is None or notice.kind not in FALLBACK_KINDS or not spare:
            continue
        rows = await repository.of_notice_to(session, event_id=event_id, recipient_id=recipient_id)
        tried = [row for row in rows if row.channel not in spare]
        if not tried or any(row.state != "failed" for row in tried):
            continue
        wanted = [channel for channel in spare if channel not in {row.channel for row in rows}]
        if not wanted:
            continue
        burst = max(tried, key=lambda row: row.folded)
        await service.insert_deliveries(
            session=session,
            notice=notice,
            channels={recipient_id: wanted},
            message_domain=message_domain,
            now=now,
            first_attempt=now,
            folded={recipient_id: (burst.folded, burst.folded_since)},
        )
        planned += len(wanted)
        log.info(
            "delivery.fallback_planned",
            incident_id=notice.incident_id,
            kind=notice.kind,
            failed_channels=sorted(row.channel for row in tried),
            channels=wanted,
        )
    return planned
