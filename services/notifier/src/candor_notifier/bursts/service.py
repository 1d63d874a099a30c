"""Burst folding: when an incident's updates come faster than one per
``CANDOR_NOTIFY_MIN_INTERVAL_SECONDS`` for a recipient, the later ones wait and go as one
message with the latest state, saying how many updates it folds ("3 updates since 10:05").

Applied right after an update's deliveries are planned, per recipient and channel, against
the incident's earlier deliveries to them:

- the recipient last heard (their last delivery was sent, or is due) less than an interval
  ago: the update waits until an interval after that; it tells 1 update since then;
- an earlier update is still waiting for them: the new one takes its place and its time, and
  tells one more update (the waiting delivery is deleted; its notice then counts as told
  through the message that carries it);
- otherwise it goes at once.

Resolutions, comebacks and openings are never held back: they go at once and drop the
updates still waiting for the incident, since they carry the latest state themselves. Holding
updates are not folded (they come only after a silence). The ledger stays one row per
(notice, recipient, channel): a folded update simply has no row of its own.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from candor_notifier.bursts import repository
from candor_notifier.deliveries.models import Delivery
from candor_notifier.incidents.models import Notice

log = structlog.get_logger(__name__)

FOLDED_KINDS = frozenset({"updated"})
"""Notices that wait for the interval and fold."""
FLUSHING_KINDS = frozenset({"opened", "resolved", "reopened"})
"""Notices that go at once and drop the updates still waiting."""


def _last_heard(row: Delivery) -> datetime:
    """When the recipient heard (or will hear) from this delivery."""
    return row.sent_at or row.next_attempt_at


async def fold(
    *, session: AsyncSession, notice: Notice, interval: timedelta | None, now: datetime
) -> int:
    """Hold back or fold the notice's freshly planned deliveries (see the module). Returns
    how many deliveries were held back."""
    if interval is None or interval <= timedelta(0):
        return 0
    if notice.kind not in FOLDED_KINDS | FLUSHING_KINDS:
        return 0
    rows = await repository.of_incident(session, notice.incident_id)
    if notice.kind in FLUSHING_KINDS:
        superseded = [
            row.id
            for row in rows
            if row.kind in FOLDED_KINDS
            and row.event_id != notice.event_id
            and row.state == "pending"
            and row.next_attempt_at > now
        ]
        dropped = await repository.drop_waiting(session, delivery_ids=superseded, now=now)
        if dropped:
            log.info("bursts.flushed", kind=notice.kind, dropped=dropped)
        return 0
    earlier: dict[tuple[str, str], Delivery] = {}
    fresh: list[Delivery] = []
    for row in rows:
        if row.event_id == notice.event_id:
            if row.state == "pending" and row.attempts == 0:
                fresh.append(row)
        elif row.state != "failed":
            earlier[(row.recipient_id, row.channel)] = row  # the newest wins
    held = 0
    replaced: list[uuid.UUID] = []
    for row in fresh:
        previous = earlier.get((row.recipient_id, row.channel))
        if previous is None:
            continue
        waiting = (
            previous.kind in FOLDED_KINDS
            and previous.state == "pending"
            and previous.next_attempt_at > now
        )
        if waiting:
            await repository.hold_back(
                session,
                delivery_id=row.id,
                until=max(previous.next_attempt_at, row.next_attempt_at),
                folded=previous.folded + 1,
                folded_since=previous.folded_since or previous.created_at,
            )
            replaced.append(previous.id)
            held += 1
            continue
        heard = _last_heard(previous)
        if heard + interval > now:
            # Never earlier than the recipient's preferences (quiet hours) put it.
            await repository.hold_back(
                session,
                delivery_id=row.id,
                until=max(heard + interval, row.next_attempt_at),
                folded=1,
                folded_since=heard,
            )
            held += 1
    if replaced:
        await repository.drop_waiting(session, delivery_ids=replaced, now=now)
    if held:
        log.info("bursts.held_back", deliveries=held)
    return held
