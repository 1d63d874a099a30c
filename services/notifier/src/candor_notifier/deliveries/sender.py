"""The delivery sender: claims due deliveries, sends them over SMTP, records the outcome.

Claims are short transactions with a lease, so several notifier processes share the work
and a delivery whose sender died is taken up again when its lease runs out. The consumer
wakes the sender right after it commits new deliveries; otherwise it polls.

The one window in which an email can be sent twice lies between the relay accepting it and
the ledger recording that: a crash there (or losing the database, or the relay's answer to
DATA, for longer than the lease) makes the next sender send it again. Both copies carry
the same Message-ID, so mail systems and clients can tell them apart from new notices.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from datetime import timedelta
from email.utils import parseaddr

import structlog
from prometheus_client import Counter, Histogram
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candor_notifier.deliveries import service
from candor_notifier.deliveries.service import Outbound
from candor_notifier.mail.compose import compose
from candor_notifier.mail.smtp import SmtpConnection, describe, is_permanent
from candor_notifier.settings import NotifierSettings
from candor_shared.clock import Clock, utcnow
from candor_shared.db import transaction
from candor_shared.failpoints import failpoint

log = structlog.get_logger(__name__)

OUTCOMES = Counter(
    "candor_notifier_delivery_attempts_total",
    "Delivery attempts by outcome (sent, retry, failed)",
    ["channel", "outcome"],
)
SEND_SECONDS = Histogram(
    "candor_notifier_smtp_send_seconds", "Time for the relay to accept one message"
)
MAX_BACKOFF_SECONDS = 5.0


class DeliverySender:
    """Works the ledger until stopped or cancelled."""

    def __init__(
        self,
        *,
        settings: NotifierSettings,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock = utcnow,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._clock = clock
        self._server = settings.smtp_server
        self._envelope_sender = parseaddr(settings.smtp_from)[1]
        self._wakeup = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        """Look for due deliveries now rather than at the next poll."""
        self._wakeup.set()

    def stop(self) -> None:
        """Claim nothing more; :meth:`run` returns once the batch in hand is done."""
        self._stopping = True
        self._wakeup.set()

    async def run(self) -> None:
        """Send due deliveries until stopped, riding out database and relay outages."""
        backoff = 0.1
        while not self._stopping:
            try:
                claimed = await self.send_due()
                backoff = 0.1
                if claimed < self._settings.delivery_batch_size:
                    await self._idle(self._settings.delivery_poll_seconds)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("sender.failed", error=repr(exc), retry_in=backoff)
                await self._idle(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    async def send_due(self) -> int:
        """Claim one batch of due deliveries and send it. Returns how many were claimed."""
        async with transaction(self._sessions) as session:
            batch = await service.claim_due(
                session=session,
                now=self._clock(),
                lease_seconds=self._settings.delivery_lease_seconds,
                limit=self._settings.delivery_batch_size,
            )
        if not batch:
            return 0
        failpoint("notifier.after_claim")
        queue = iter(batch)
        connections = min(self._settings.smtp_max_connections, len(batch))
        try:
            await asyncio.gather(*(self._send_from(queue) for _ in range(connections)))
        except asyncio.CancelledError:
            # Hand back what no connection took yet, so a restart sends it without waiting
            # for the lease to run out.
            untried = [outbound.delivery_id for outbound in queue]
            if untried:
                with contextlib.suppress(Exception):
                    async with transaction(self._sessions) as session:
                        await service.release(
                            session=session, delivery_ids=untried, now=self._clock()
                        )
            raise
        return len(batch)

    async def _send_from(self, queue: Iterator[Outbound]) -> None:
        connection = SmtpConnection(self._server, timeout=self._settings.smtp_timeout_seconds)
        try:
            for outbound in queue:
                delivery = asyncio.ensure_future(self._deliver(connection, outbound))
                try:
                    await asyncio.shield(delivery)
                except asyncio.CancelledError:
                    # Finish the message in hand: once the relay has it, the ledger must say so.
                    with contextlib.suppress(Exception):
                        await delivery
                    raise
                except Exception as exc:
                    # The ledger could not be written; the lease brings the delivery back.
                    log.warning(
                        "sender.delivery_interrupted",
                        delivery_id=str(outbound.delivery_id),
                        error=repr(exc),
                    )
        finally:
            await connection.close()

    async def _deliver(self, connection: SmtpConnection, outbound: Outbound) -> None:
        bound = structlog.contextvars.bound_contextvars(
            incident_id=outbound.incident_id, delivery_id=str(outbound.delivery_id)
        )
        with bound:
            recipient, incident = outbound.recipient, outbound.incident
            if recipient is None or incident is None:
                await self._failed(outbound, "the recipient or the notice no longer exists", True)
                return
            send_by = self._clock() + timedelta(seconds=self._settings.smtp_timeout_seconds)
            if send_by >= outbound.lease_until:
                # Too late to finish within the lease: another sender may take it any moment.
                async with transaction(self._sessions) as session:
                    await service.release(
                        session=session, delivery_ids=[outbound.delivery_id], now=self._clock()
                    )
                return
            started = asyncio.get_running_loop().time()
            try:
                message = compose(
                    kind=outbound.kind,
                    incident=incident,
                    recipient=recipient,
                    sender=self._settings.smtp_from,
                    message_id=outbound.message_id,
                    in_reply_to=outbound.in_reply_to,
                    public_url=self._settings.public_url,
                    now=self._clock(),
                )
                await connection.send(
                    message, sender=self._envelope_sender, recipient=recipient.email
                )
            except Exception as exc:
                # The relay's answer may quote the address; the ledger and logs must not.
                error = describe(exc).replace(recipient.email, "recipient")[:2000]
                await self._failed(outbound, error, is_permanent(exc))
                return
            SEND_SECONDS.observe(asyncio.get_running_loop().time() - started)
            failpoint("notifier.after_smtp_before_ledger")
            await self._record_sent(outbound)

    async def _record_sent(self, outbound: Outbound) -> None:
        # Keep trying for as long as the lease holds: giving up here means sending it again.
        backoff = 0.05
        while True:
            try:
                async with transaction(self._sessions) as session:
                    await service.record_sent(
                        session=session, delivery_id=outbound.delivery_id, now=self._clock()
                    )
                break
            except Exception as exc:
                if self._clock() + timedelta(seconds=backoff) >= outbound.lease_until:
                    raise
                log.warning("sender.record_sent_failed", error=repr(exc), retry_in=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 1.0)
        OUTCOMES.labels(service.EMAIL, "sent").inc()
        log.info("delivery.sent", kind=outbound.kind, attempts=outbound.attempts)

    async def _failed(self, outbound: Outbound, error: str, permanent: bool) -> None:
        settings = self._settings
        async with transaction(self._sessions) as session:
            retry_at = await service.record_failure(
                session=session,
                outbound=outbound,
                error=error,
                permanent=permanent,
                max_attempts=settings.delivery_max_attempts,
                base_seconds=settings.delivery_retry_base_seconds,
                max_seconds=settings.delivery_retry_max_seconds,
                now=self._clock(),
            )
        if retry_at is None:
            OUTCOMES.labels(service.EMAIL, "failed").inc()
            log.warning("delivery.failed", error=error, attempts=outbound.attempts)
        else:
            OUTCOMES.labels(service.EMAIL, "retry").inc()
            log.info(
                "delivery.retry_scheduled",
                error=error,
                attempts=outbound.attempts,
                retry_at=retry_at.isoformat(),
            )

    async def _idle(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), timeout=seconds)
        self._wakeup.clear()
