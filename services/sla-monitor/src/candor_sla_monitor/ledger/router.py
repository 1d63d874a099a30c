"""HTTP endpoint of the ledger, served on sla-monitor's own port.

No ``from __future__ import annotations`` here: FastAPI reads the endpoint's annotations at
run time, and the session dependency is made in :func:`create_router`.
"""

from datetime import UTC
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import AwareDatetime
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candor_shared.clock import Clock, utcnow
from candor_shared.intervals import Window
from candor_sla_monitor.dependencies import ServiceSlug, read_transactions
from candor_sla_monitor.ledger import service
from candor_sla_monitor.ledger.schemas import LedgerOut, OutageOut


def create_router(
    *, sessions: async_sessionmaker[AsyncSession], clock: Clock = utcnow
) -> APIRouter:
    """The ``/v1/ledger`` routes, reading through ``sessions``; ``clock`` says what now is."""
    router = APIRouter(prefix="/v1/ledger", tags=["ledger"])

    session = read_transactions(sessions)

    @router.get(
        "/{service_slug}",
        summary="A service's outages and downtime within a window",
        response_model_by_alias=True,
        responses={422: {"description": "The window is missing, malformed or empty."}},
    )
    async def get_ledger(
        service_slug: ServiceSlug,
        window_start: Annotated[
            AwareDatetime,
            Query(alias="from", description="Start of the window, ISO 8601 with a UTC offset."),
        ],
        window_end: Annotated[
            AwareDatetime,
            Query(alias="to", description="End of the window (exclusive), ISO 8601 with offset."),
        ],
        read_session: Annotated[AsyncSession, Depends(session)],
    ) -> LedgerOut:
        """Outages overlapping ``[from, to)``, with declared and measured downtime in seconds."""
        if window_end <= window_start:
            raise HTTPException(
                status_code=422,
                detail=(
                    f"query: 'from' ({window_start.isoformat()}) must be earlier than "
                    f"'to' ({window_end.isoformat()}); send for example "
                    "?from=2026-11-01T00:00:00Z&to=2026-12-01T00:00:00Z"
                ),
            )
        try:
            window = Window(window_start.astimezone(UTC), window_end.astimezone(UTC))
        except OverflowError:
            # Year 1 at +14:00 or year 9999 at -14:00 lies outside the years UTC can name.
            raise HTTPException(
                status_code=422,
                detail="query: 'from' and 'to' must fall between the years 1 and 9999 in UTC",
            ) from None
        ledger = await service.ledger_of(
            session=read_session, service_slug=service_slug, window=window, now=clock()
        )
        return LedgerOut(
            service=ledger.service_slug,
            window_start=ledger.window.start,
            window_end=ledger.window.end,
            observed_until=ledger.observed_until,
            declared_downtime_seconds=ledger.declared_downtime.total_seconds(),
            measured_downtime_seconds=ledger.measured_downtime.total_seconds(),
            outages=[OutageOut.model_validate(outage) for outage in ledger.outages],
        )

    return router
