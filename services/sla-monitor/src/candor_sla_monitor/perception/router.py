"""``GET /v1/services/{slug}/perception`` on sla-monitor's own port: the perception-gap
report of a month as of now, made on the spot (the ledger's perceived column included).

No ``from __future__ import annotations`` here: FastAPI reads the endpoint's annotations at
run time, and the session dependency is made in :func:`create_router`.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candor_shared.clock import Clock, utcnow
from candor_shared.contract import PerceptionReport, ServiceRef
from candor_sla_monitor.agreements import repository as agreements
from candor_sla_monitor.dependencies import ServiceSlug, read_transactions
from candor_sla_monitor.perception import service
from candor_sla_monitor.reports.builder import PeriodNotBegun
from candor_sla_monitor.reports.periods import BadPeriod, period_of
from candor_sla_monitor.reports.service import terms_of


def create_router(
    *, sessions: async_sessionmaker[AsyncSession], clock: Clock = utcnow
) -> APIRouter:
    """The perception route, reading through ``sessions``; ``clock`` says what now is."""
    router = APIRouter(prefix="/v1/services", tags=["perception"])

    session = read_transactions(sessions)

    @router.get(
        "/{service_slug}/perception",
        summary="A service's month: facts beside what users said",
        description="Measured, declared and perceived downtime (per incident, the median "
        "of the durations respondents gave), availability and its zone, communication terms "
        "kept and the mean kept-informed score, and the flags where facts and perception "
        "disagree. Made as of now from the ledger; incident-api serves the same report to "
        "IT once asked for (POST /v1/reports/{slug}/perception).",
        responses={
            404: {"description": "The catalog has not told sla-monitor about the service."},
            422: {"description": "`month` is not YYYY-MM (1971-9998), or has not begun."},
        },
    )
    async def get_perception(
        service_slug: ServiceSlug,
        read_session: Annotated[AsyncSession, Depends(session)],
        month: Annotated[
            str | None,
            Query(
                description="YYYY-MM in the agreement's timezone; absent: the current month.",
                examples=["2026-03"],
            ),
        ] = None,
    ) -> PerceptionReport:
        """The perception-gap report as of now."""
        agreement = await agreements.by_slug(read_session, service_slug)
        if agreement is None:
            raise HTTPException(
                status_code=404,
                detail=f"service {service_slug!r}: the catalog has not told sla-monitor of it",
            )
        now = clock()
        terms = await terms_of(read_session, agreement.service_id)
        try:
            return await service.perception_report_of(
                session=read_session,
                service=ServiceRef(
                    id=agreement.service_id, slug=agreement.service_slug, name=agreement.name
                ),
                period=month or period_of(now, terms.timezone if terms else "UTC"),
                now=now,
            )
        except (PeriodNotBegun, BadPeriod) as exc:
            raise HTTPException(
                status_code=422, detail=f"query.month: {exc}; send a month as YYYY-MM"
            ) from None

    return router
