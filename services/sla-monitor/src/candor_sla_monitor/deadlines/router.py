"""``GET /v1/incidents/{incident_id}/deadlines`` on sla-monitor's own port.

No ``from __future__ import annotations`` here: FastAPI reads the endpoint's annotations at
run time, and the session dependency is made in :func:`create_router`.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candor_shared.clock import Clock, utcnow
from candor_sla_monitor.deadlines import service
from candor_sla_monitor.deadlines.schemas import IncidentDeadlinesOut
from candor_sla_monitor.dependencies import read_transactions


def create_router(
    *, sessions: async_sessionmaker[AsyncSession], clock: Clock = utcnow
) -> APIRouter:
    """The deadlines route, reading through ``sessions``; ``clock`` says what now is."""
    router = APIRouter(prefix="/v1/incidents", tags=["deadlines"])

    session = read_transactions(sessions)

    @router.get(
        "/{incident_id}/deadlines",
        summary="An incident's deadlines and how each stands",
        description="Every round of every term the service's agreement promises for the "
        "incident's impact (acknowledge, first communication, update, restore): when it "
        "started and falls due, when its update-due, at-risk and breached events fire and "
        "were published, and whether it was met, breached or cancelled.",
        responses={404: {"description": "No event of this incident has reached sla-monitor."}},
    )
    async def get_deadlines(
        incident_id: Annotated[str, Path(min_length=1, max_length=64)],
        read_session: Annotated[AsyncSession, Depends(session)],
    ) -> IncidentDeadlinesOut:
        """The incident's deadlines as of now."""
        found = await service.incident_deadlines(session=read_session, incident_id=incident_id)
        if found is None:
            raise HTTPException(
                status_code=404,
                detail=f"incident {incident_id!r}: no event of it has reached sla-monitor",
            )
        return IncidentDeadlinesOut.of(found, clock())

    return router
