"""``GET /v1/services/{slug}/budget`` on sla-monitor's own port.

No ``from __future__ import annotations`` here: FastAPI reads the endpoint's annotations at
run time, and the session dependency is made in :func:`create_router`.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candor_shared.clock import Clock, utcnow
from candor_sla_monitor.agreements import repository as agreements
from candor_sla_monitor.budget import service
from candor_sla_monitor.budget.schemas import BudgetOut
from candor_sla_monitor.dependencies import ServiceSlug, group_query, read_transactions


def create_router(
    *, sessions: async_sessionmaker[AsyncSession], at_risk_share: float, clock: Clock = utcnow
) -> APIRouter:
    """The budget route, reading through ``sessions``; ``clock`` says what now is."""
    router = APIRouter(prefix="/v1/services", tags=["budget"])

    session = read_transactions(sessions)

    @router.get(
        "/{service_slug}/budget",
        summary="A service's error budget and burn rates now",
        description="The downtime its availability objective allows in the current period "
        "(calendar month in the agreement's timezone, or rolling days), how much of it "
        "declared outages consumed so far, and the burn rates of the multi-window alerts "
        "(1h/5m at 14.4, 6h/30m at 6) that sla-monitor publishes as sla.burn_rate events. "
        "With `group`, of the service's agreement with that group of users instead.",
        responses={
            404: {
                "description": "The service is unknown, has no agreement with the group, "
                "the agreement has no availability objective, or its stored terms no longer "
                "validate (`detail` says why)."
            }
        },
    )
    async def get_budget(
        service_slug: ServiceSlug,
        read_session: Annotated[AsyncSession, Depends(session)],
        group: Annotated[
            str | None,
            group_query("A group's id: the budget of the service's agreement with it."),
        ] = None,
    ) -> BudgetOut:
        """The service's error budget as of now."""
        now = clock()
        try:
            standing = await service.budget_of(
                session=read_session, service_slug=service_slug, now=now, group_id=group
            )
        except agreements.UnknownGroupAgreement as error:
            raise HTTPException(status_code=404, detail=str(error)) from None
        except service.NoObjective as error:
            raise HTTPException(
                status_code=404,
                detail=f"{error}; an error budget needs an availability objective "
                f"(PUT /v1/services/{service_slug}/agreement on incident-api)",
            ) from None
        found = await agreements.by_slug(read_session, service_slug)
        assert found is not None
        return BudgetOut.of(
            service=service_slug,
            now=now,
            standing=standing,
            at_risk_share=at_risk_share,
            group=agreements.one_of(found, group).group,
        )

    return router
