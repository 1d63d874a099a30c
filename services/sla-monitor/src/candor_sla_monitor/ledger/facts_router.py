"""``GET /v1/services/{slug}/facts`` on sla-monitor's own port.

No ``from __future__ import annotations`` here: FastAPI reads the endpoint's annotations at
run time, and the session dependency is made in :func:`create_router`.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candor_shared.clock import Clock, utcnow
from candor_sla_monitor.agreements import repository as agreements
from candor_sla_monitor.dependencies import ServiceSlug, group_query, read_transactions
from candor_sla_monitor.ledger import facts
from candor_sla_monitor.ledger.facts_schemas import FactsOut


def create_router(
    *, sessions: async_sessionmaker[AsyncSession], clock: Clock = utcnow
) -> APIRouter:
    """The facts route, reading through ``sessions``; ``clock`` says what now is."""
    router = APIRouter(prefix="/v1/services", tags=["facts"])

    session = read_transactions(sessions)

    @router.get(
        "/{service_slug}/facts",
        summary="A service's availability facts over 7, 30, 90 and 365 days",
        description="Uptime measured by monitoring alerts; number, total and longest of the "
        "declared outages; mean time to acknowledge and to restore; and, when the service "
        "has an agreement with an availability objective, its current period so far "
        "against the adequate and desired levels. With `group`, that period is against the "
        "service's agreement with that group of users (the facts themselves are the "
        "service's).",
        responses={
            404: {
                "description": "Neither the catalog nor the ledger knows the service, or it "
                "has no agreement with the group."
            }
        },
    )
    async def get_facts(
        service_slug: ServiceSlug,
        read_session: Annotated[AsyncSession, Depends(session)],
        group: Annotated[
            str | None,
            group_query(
                "A group's id: the current period against the service's agreement with it."
            ),
        ] = None,
    ) -> FactsOut:
        """The service's facts as of now."""
        try:
            found = await facts.facts_of(
                session=read_session, service_slug=service_slug, now=clock(), group_id=group
            )
        except agreements.UnknownGroupAgreement as error:
            raise HTTPException(status_code=404, detail=str(error)) from None
        except facts.UnknownService:
            raise HTTPException(
                status_code=404,
                detail=f"service {service_slug!r}: no catalog entry and no outage on record",
            ) from None
        return FactsOut.of(found)

    return router
