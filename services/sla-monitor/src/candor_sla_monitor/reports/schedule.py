"""The monthly schedule: each service's final report, once, after its month closes; one
per agreement (the service's own, and each group's, in that agreement's timezone).

A database table, not a sleeping task, is the source of truth (see :mod:`.models`): the
task only looks, every ``poll_seconds``, for reports owed by now, and a restart or a second
replica finds the same rows and publishes nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

import structlog
from prometheus_client import Counter
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candor_shared.clock import Clock
from candor_shared.db import transaction
from candor_sla_monitor.agreements import repository as agreements
from candor_sla_monitor.reports import repository, service
from candor_sla_monitor.reports.models import MonthlyReport
from candor_sla_monitor.reports.periods import month_window, next_period, period_of

log = structlog.get_logger(__name__)

PASSES = Counter("candor_report_schedule_passes_total", "Looks of the monthly report schedule")
FINAL_REPORTS = Counter("candor_final_reports_published_total", "Monthly final reports published")


class MonthlyReports:
    """Publishes final monthly reports as months close in each agreement's timezone."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        poll_seconds: float,
        final_delay: timedelta,
        on_published: Callable[[], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._poll_seconds = poll_seconds
        self._final_delay = final_delay
        self._on_published = on_published
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Return from :meth:`run` after the pass in hand."""
        self._stopping.set()

    async def run(self) -> None:
        """Look for reports owed every ``poll_seconds`` until stopped or cancelled; a
        database that is away is waited for."""
        while not self._stopping.is_set():
            try:
                await self.pass_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("reports.schedule_failed", error=repr(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._poll_seconds)

    async def pass_once(self) -> int:
        """Record the current month of services seen for the first time, then publish every
        final report owed by now. Returns how many were published."""
        now = self._clock()
        async with transaction(self._sessions) as session:
            for agreement in await repository.live_agreements(session):
                for evaluated in agreements.evaluated(agreement):
                    try:
                        terms = evaluated.validated()
                    except ValidationError as error:
                        # Stored before the contract checked it (an unknown timezone, say):
                        # this agreement is skipped, every other one still gets its report.
                        log.warning(
                            "reports.terms_invalid",
                            service=agreement.service_slug,
                            group=evaluated.group_id or None,
                            error=str(error),
                        )
                        continue
                    timezone = "UTC" if terms is None else terms.timezone
                    period = period_of(now, timezone)
                    await repository.owe(
                        session,
                        service_id=agreement.service_id,
                        group_id=evaluated.group_id,
                        service_slug=agreement.service_slug,
                        period=period,
                        due_at=self._due_at(period, timezone),
                    )
        async with self._sessions() as session:
            owed = await repository.due(session, now=now)
        published = 0
        for row in owed:
            try:
                published += await self._publish(row, now=now)
            except Exception as exc:
                # One service's trouble must not hold back the others' reports.
                log.error(
                    "reports.final_failed",
                    service=row.service_slug,
                    group=row.group_id or None,
                    period=row.period,
                    error=repr(exc),
                )
        PASSES.inc()
        if published and self._on_published is not None:
            self._on_published()
        return published

    async def _publish(self, row: MonthlyReport, *, now: datetime) -> int:
        async with transaction(self._sessions) as session:
            agreement = await repository.agreement_of(session, row.service_id)
            if agreement is None:
                return 0
            try:
                evaluated = agreements.one_of(agreement, row.group_id)
            except agreements.UnknownGroupAgreement:
                # The group agreement was removed: no more reports against it.
                await repository.claim(
                    session,
                    service_id=row.service_id,
                    group_id=row.group_id,
                    period=row.period,
                    now=now,
                )
                return 0
            timezone = _timezone(evaluated.terms)
            if now < self._due_at(row.period, timezone):
                # The agreement moved to a timezone where the month is not over yet.
                return 0
            if not await repository.claim(
                session,
                service_id=row.service_id,
                group_id=row.group_id,
                period=row.period,
                now=now,
            ):
                return 0
            report = await service.report_of(
                session=session,
                service=evaluated.service,
                period=row.period,
                now=now,
                group=evaluated.group,
            )
            service.publish_report(session, report, requested_by=None)
            following = next_period(row.period)
            await repository.owe(
                session,
                service_id=agreement.service_id,
                group_id=row.group_id,
                service_slug=agreement.service_slug,
                period=following,
                due_at=self._due_at(following, timezone),
            )
        FINAL_REPORTS.inc()
        log.info(
            "reports.final_published",
            service=agreement.service_slug,
            group=row.group_id or None,
            period=row.period,
            availability_percent=report.availability_percent,
        )
        return 1

    def _due_at(self, period: str, timezone: str) -> datetime:
        return month_window(period, timezone).end + self._final_delay


def _timezone(terms: dict[str, object] | None) -> str:
    """The agreement's timezone (UTC without an agreement), read without validating all of it."""
    timezone = (terms or {}).get("timezone")
    return timezone if isinstance(timezone, str) and timezone else "UTC"
