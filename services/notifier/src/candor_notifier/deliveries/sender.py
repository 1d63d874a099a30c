"""The delivery sender: claims due deliveries, sends them over SMTP or posts them to the
recipient's other channels (:mod:`candor_notifier.channels`), records the outcome.

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
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from typing import TypedDict, cast

import structlog
from prometheus_client import Counter, Histogram
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candor_notifier.audience import digest
from candor_notifier.channels.notice import ChannelNotice, ChannelTarget, notice_for
from candor_notifier.channels.post import ChannelError
from candor_notifier.channels.poster import ChannelPoster
from candor_notifier.deliveries import fallback, quarantine, service, summaries
from candor_notifier.deliveries.quarantine import QuarantineRules
from candor_notifier.deliveries.service import Outbound
from candor_notifier.mail.compose import Recipient, compose
from candor_notifier.mail.digest import compose_digest
from candor_notifier.mail.maintenance import MaintenanceKind, compose_maintenance
from candor_notifier.mail.report import Standing, compose_action_done, compose_report
from candor_notifier.mail.smtp import SmtpConnection, describe, is_permanent
from candor_notifier.reports import service as reports
from candor_notifier.settings import NotifierSettings
from candor_shared.clock import Clock, utcnow
from candor_shared.contract import IncidentSnapshot
from candor_shared.db import transaction
from candor_shared.failpoints import failpoint
from candor_shared.feedback import feedback_url
from candor_shared.unsubscribe import unsubscribe_url

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
SETTLING_RECOVERY = timedelta(days=1)
"""How far back a starting sender looks for notices whose settled counts were never published."""


class Envelope(TypedDict):
    """What every email of one delivery carries, whatever it tells: who sends it, its
    Message-ID and the notice it answers, the status page's address, its date and the
    recipient's unsubscribe link. Spread into the composers so that each takes them alike."""

    sender: str
    message_id: str
    in_reply_to: str | None
    public_url: str
    now: datetime
    unsubscribe_url: str | None


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
        # The right-hand side of Message-IDs, as the worker's handlers make them.
        self._message_domain = self._envelope_sender.rpartition("@")[2] or "candor.invalid"
        self._channels = ChannelPoster(
            allowlist=settings.outbound_allowlist,
            timeout=settings.channel_timeout_seconds,
            max_connections=settings.channel_max_connections,
        )
        self._wakeup = asyncio.Event()
        self._stopping = False
        cool_off = settings.quarantine_cool_off_minutes
        self._quarantine = QuarantineRules(
            after_failures=settings.quarantine_after_failures,
            after=timedelta(minutes=settings.quarantine_after_minutes),
            cool_off=timedelta(minutes=cool_off) if cool_off else None,
        )
        self._settling: set[str] = set()
        """Notices whose deliveries changed since their counts were last looked at."""
        self._settling_recovered = False
        self._open: set[str] = set()
        """Notices not settled at their last count, looked at again every summary interval."""
        self._open_looked_at: datetime | None = None

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
        try:
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
        finally:
            await self._channels.close()

    async def send_due(self) -> int:
        """Claim one batch of due deliveries and send it. Returns how many were claimed."""
        if not self._settling_recovered:
            async with transaction(self._sessions) as session:
                self._settling |= await summaries.unsettled(
                    session, since=self._clock() - SETTLING_RECOVERY
                )
            self._settling_recovered = True
        async with transaction(self._sessions) as session:
            batch = await service.claim_due(
                session=session,
                now=self._clock(),
                lease_seconds=self._settings.delivery_lease_seconds,
                limit=self._settings.delivery_batch_size,
            )
        if not batch:
            await self._publish_summaries()
            return 0
        claimed = [outbound.delivery_id for outbound in batch]
        failpoint("notifier.after_claim")
        batch = await self._drop_quarantined(batch)
        # Emails go over the SMTP connections, the other channels through the HTTP pool: each
        # kind of connection bounds its own workers, and neither waits for the other's.
        emails = [outbound for outbound in batch if outbound.channel == service.EMAIL]
        posts = [outbound for outbound in batch if outbound.channel != service.EMAIL]
        email_queue, post_queue = iter(emails), iter(posts)
        workers = [
            *(
                self._send_from(email_queue)
                for _ in range(min(self._settings.smtp_max_connections, len(emails)))
            ),
            *(
                self._send_from(post_queue)
                for _ in range(min(self._settings.channel_max_connections, len(posts)))
            ),
        ]
        try:
            await asyncio.gather(*workers)
        except asyncio.CancelledError:
            # Hand back what no connection took yet, so a restart sends it without waiting
            # for the lease to run out.
            untried = [outbound.delivery_id for outbound in (*email_queue, *post_queue)]
            if untried:
                with contextlib.suppress(Exception):
                    async with transaction(self._sessions) as session:
                        await service.release(
                            session=session, delivery_ids=untried, now=self._clock()
                        )
            raise
        async with transaction(self._sessions) as session:
            self._settling |= await summaries.notices_of(session, claimed)
        await self._publish_summaries()
        return len(claimed)

    async def _drop_quarantined(self, batch: list[Outbound]) -> list[Outbound]:
        """Fail, untried, the claimed deliveries whose endpoint is quarantined."""
        keys = {
            outbound.delivery_id: quarantine.endpoint_key(outbound.target)
            for outbound in batch
            if outbound.channel != service.EMAIL and outbound.target is not None
        }
        if not keys:
            return batch
        async with transaction(self._sessions) as session:
            held = await quarantine.quarantined(session, set(keys.values()), now=self._clock())
            dropped = [delivery_id for delivery_id, key in keys.items() if key in held]
            await quarantine.fail_quarantined(session, delivery_ids=dropped, now=self._clock())
            await self._fall_back(
                session, await service.failed_recipients(session=session, delivery_ids=dropped)
            )
        for _ in dropped:
            OUTCOMES.labels("endpoint", "quarantined").inc()
        return [outbound for outbound in batch if outbound.delivery_id not in dropped]

    async def _publish_summaries(self) -> None:
        """Publish the delivery counts of the notices that moved, when due (see
        :mod:`.summaries`). Notices not settled yet are counted again when one of their
        deliveries moves, else once per summary interval (not at every poll)."""
        now = self._clock()
        every = timedelta(seconds=self._settings.delivery_summary_seconds)
        notice_ids, self._settling = self._settling, set()
        if self._open and (self._open_looked_at is None or now - self._open_looked_at >= every):
            notice_ids |= self._open
            self._open_looked_at = now
        if not notice_ids:
            return
        try:
            async with transaction(self._sessions) as session:
                still_open = await summaries.publish_due(
                    session, notice_ids=notice_ids, every=every, now=now
                )
        except BaseException:
            self._settling |= notice_ids  # counted next time
            raise
        self._open = (self._open - notice_ids) | still_open

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
            if recipient is None or (
                incident is None
                and outbound.maintenance is None
                and outbound.report is None
                and outbound.action_done is None
            ):
                await self._failed(outbound, "the recipient or the notice no longer exists", True)
                return
            send_by = self._clock() + timedelta(seconds=self._send_timeout(outbound.channel))
            if send_by >= outbound.lease_until:
                # Too late to finish within the lease: another sender may take it any moment.
                async with transaction(self._sessions) as session:
                    await service.release(
                        session=session, delivery_ids=[outbound.delivery_id], now=self._clock()
                    )
                return
            if outbound.channel != service.EMAIL:
                if outbound.kind == digest.KIND:
                    await self._post_digest(outbound, recipient)
                    return
                if incident is None:
                    await self._failed(outbound, "maintenance notices go by email only", True)
                    return
                await self._post(outbound, recipient, incident)
                return
            if not recipient.email:
                await self._failed(outbound, "the recipient has no email address any more", True)
                return
            if outbound.kind == digest.KIND:
                await self._send_digest(connection, outbound, recipient)
                return
            started = asyncio.get_running_loop().time()
            try:
                message = (
                    compose(
                        kind=outbound.kind,
                        incident=incident,
                        recipient=recipient,
                        since=outbound.since,
                        folded=outbound.folded,
                        folded_since=outbound.folded_since,
                        **self._envelope(outbound),
                    )
                    if incident is not None
                    else self._report_message(outbound, recipient, await self._standing(outbound))
                    if outbound.report is not None
                    else self._action_done_message(outbound, recipient)
                    if outbound.action_done is not None
                    else self._maintenance_message(outbound, recipient)
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

    async def _send_digest(
        self, connection: SmtpConnection, outbound: Outbound, recipient: Recipient
    ) -> None:
        """A digest: the minor-incident notices it gathers (:mod:`..audience.digest`), as one
        email."""
        async with transaction(self._sessions) as session:
            notices = await digest.gathered(
                session, delivery_id=outbound.delivery_id, recipient_id=outbound.recipient_id
            )
        if not notices:
            await self._failed(outbound, "the digest gathers no notice any more", True)
            return
        try:
            message = compose_digest(
                notices=notices,
                recipient=recipient,
                sender=self._settings.smtp_from,
                message_id=outbound.message_id,
                public_url=self._settings.public_url,
                since=outbound.since or min(at for _, at, _ in notices),
                now=self._clock(),
                unsubscribe_url=self._unsubscribe_url(outbound.recipient_id),
            )
            await connection.send(message, sender=self._envelope_sender, recipient=recipient.email)
        except Exception as exc:
            error = describe(exc).replace(recipient.email, "recipient")[:2000]
            await self._failed(outbound, error, is_permanent(exc))
            return
        await self._record_sent(outbound)

    async def _standing(self, outbound: Outbound) -> Standing | None:
        """The service's SLA standing over the reported incident's period, if known."""
        report = outbound.report
        assert report is not None
        async with transaction(self._sessions) as session:
            known = await reports.standing_at(
                session=session,
                service_slug=report.incident.service.slug,
                moment=report.incident.resolved_at or report.published_at,
            )
            if known is None:
                return None
            return Standing(
                period=known.period,
                availability_percent=known.availability_percent,
                adequate_percent=known.adequate_percent,
                final=known.final,
            )

    def _report_message(
        self, outbound: Outbound, recipient: Recipient, standing: Standing | None
    ) -> EmailMessage:
        report = outbound.report
        assert report is not None
        secret = self._settings.unsubscribe_secret
        return compose_report(
            report=report,
            recipient=recipient,
            feedback_url=(
                feedback_url(
                    self._settings.public_url, report.incident.id, outbound.recipient_id, secret
                )
                if secret and outbound.recipient_id
                else None
            ),
            standing=standing,
            **self._envelope(outbound),
        )

    def _action_done_message(self, outbound: Outbound, recipient: Recipient) -> EmailMessage:
        assert outbound.action_done is not None
        return compose_action_done(
            done=outbound.action_done, recipient=recipient, **self._envelope(outbound)
        )

    def _maintenance_message(self, outbound: Outbound, recipient: Recipient) -> EmailMessage:
        assert outbound.maintenance is not None
        return compose_maintenance(
            kind=cast(MaintenanceKind, outbound.kind),
            maintenance=outbound.maintenance,
            recipient=recipient,
            **self._envelope(outbound),
        )

    def _envelope(self, outbound: Outbound) -> Envelope:
        """The parts of ``outbound``'s email that do not depend on what it tells."""
        return Envelope(
            sender=self._settings.smtp_from,
            message_id=outbound.message_id,
            in_reply_to=outbound.in_reply_to,
            public_url=self._settings.public_url,
            now=self._clock(),
            unsubscribe_url=self._unsubscribe_url(outbound.recipient_id),
        )

    def _unsubscribe_url(self, recipient_id: str) -> str | None:
        secret = self._settings.unsubscribe_secret
        if not secret or not recipient_id:
            return None
        return unsubscribe_url(self._settings.public_url, recipient_id, secret)

    def _send_timeout(self, channel: str) -> float:
        if channel == service.EMAIL:
            return self._settings.smtp_timeout_seconds
        return self._settings.channel_timeout_seconds

    async def _post(
        self, outbound: Outbound, recipient: Recipient, incident: IncidentSnapshot
    ) -> None:
        """Post to a chat, webhook or Apprise channel and record what came of it."""
        await self._post_built(
            outbound,
            lambda: notice_for(
                delivery_id=outbound.delivery_id,
                kind=outbound.kind,
                incident=incident,
                recipient=recipient,
                public_url=self._settings.public_url,
                now=self._clock(),
                occurred_at=outbound.noticed_at,
                since=outbound.since,
                folded=outbound.folded,
                folded_since=outbound.folded_since,
            ),
        )

    async def _post_digest(self, outbound: Outbound, recipient: Recipient) -> None:
        """A digest on a chat channel: one message with the digest email's subject and plain
        text (:mod:`..audience.digest`)."""
        async with transaction(self._sessions) as session:
            notices = await digest.gathered(
                session, delivery_id=outbound.delivery_id, recipient_id=outbound.recipient_id
            )
        if not notices:
            await self._failed(outbound, "the digest gathers no notice any more", True)
            return

        def build() -> ChannelNotice:
            message = compose_digest(
                notices=notices,
                recipient=recipient,
                sender=self._settings.smtp_from,
                message_id=outbound.message_id,
                public_url=self._settings.public_url,
                since=outbound.since or min(at for _, at, _ in notices),
                now=self._clock(),
            )
            text = message.get_body(preferencelist=("plain",))
            assert text is not None
            return ChannelNotice(
                delivery_id=outbound.delivery_id,
                kind=digest.KIND,
                incident=notices[-1][2],
                language=str(message["Content-Language"] or "en"),
                subject=str(message["Subject"]),
                text=str(text.get_content()),
                public_url=self._settings.public_url,
                occurred_at=outbound.noticed_at or self._clock(),
            )

        await self._post_built(outbound, build)

    async def _post_built(self, outbound: Outbound, build: Callable[[], ChannelNotice]) -> None:
        """Post the notice ``build`` words to the delivery's channel and record the outcome."""
        target = outbound.target
        if target is None:
            await self._failed(outbound, "the recipient no longer has this channel", True)
            return
        try:
            notice = build()
            await self._channels.deliver(target, notice, now=self._clock())
        except ChannelError as exc:
            await self._failed(
                outbound, exc.detail[:2000], exc.permanent, retry_after=exc.retry_after
            )
            return
        except Exception as exc:
            # Never the URL in the ledger or the logs: chat webhook URLs are secrets.
            error = f"{type(exc).__name__}: {exc}".replace(target.url, "<url>")[:2000]
            await self._failed(outbound, error, False)
            return
        await self._record_sent(outbound, endpoint=target)

    async def _record_sent(
        self, outbound: Outbound, *, endpoint: ChannelTarget | None = None
    ) -> None:
        # Keep trying for as long as the lease holds: giving up here means sending it again.
        backoff = 0.05
        while True:
            try:
                async with transaction(self._sessions) as session:
                    await service.record_sent(
                        session=session, delivery_id=outbound.delivery_id, now=self._clock()
                    )
                    if endpoint is not None:
                        await quarantine.note_success(session, target=endpoint)
                break
            except Exception as exc:
                if self._clock() + timedelta(seconds=backoff) >= outbound.lease_until:
                    raise
                log.warning("sender.record_sent_failed", error=repr(exc), retry_in=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 1.0)
        OUTCOMES.labels(outbound.channel, "sent").inc()
        log.info("delivery.sent", kind=outbound.kind, attempts=outbound.attempts)

    async def _failed(
        self,
        outbound: Outbound,
        error: str,
        permanent: bool,
        *,
        retry_after: float | None = None,
    ) -> None:
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
                retry_after=retry_after,
            )
            stopped: set[tuple[str, str]] = set()
            if retry_at is None:
                stopped |= await service.failed_recipients(
                    session=session, delivery_ids=[outbound.delivery_id]
                )
            if outbound.channel != service.EMAIL and outbound.target is not None:
                quarantined = await quarantine.note_failure(
                    session,
                    target=outbound.target,
                    incident_id=outbound.incident_id,
                    error=error,
                    rules=self._quarantine,
                    now=self._clock(),
                )
                self._settling |= {notice_id for notice_id, _ in quarantined}
                stopped |= quarantined
            await self._fall_back(session, stopped)
        if retry_at is None:
            OUTCOMES.labels(outbound.channel, "failed").inc()
            log.warning("delivery.failed", error=error, attempts=outbound.attempts)
        else:
            OUTCOMES.labels(outbound.channel, "retry").inc()
            log.info(
                "delivery.retry_scheduled",
                error=error,
                attempts=outbound.attempts,
                retry_at=retry_at.isoformat(),
            )

    async def _fall_back(self, session: AsyncSession, stopped: set[tuple[str, str]]) -> None:
        """Plan the fallback channels of the (notice, recipient) pairs whose deliveries just
        failed for good (:mod:`.fallback`), in the transaction that recorded the failures."""
        planned = await fallback.fall_back(
            session=session, failed=stopped, message_domain=self._message_domain, now=self._clock()
        )
        if planned:
            OUTCOMES.labels("fallback", "planned").inc(planned)
            self.wake()

    async def _idle(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), timeout=seconds)
        self._wakeup.clear()
