"""HTTP endpoints of the service catalog."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from candor_incident_api.catalog import repository, service
from candor_incident_api.catalog.schemas import ServiceIn, ServiceOut
from candor_incident_api.dependencies import CurrentOperator, SessionDep
from candor_incident_api.errors import not_found
from candor_incident_api.pagination import Page, decode_cursor, encode_cursor

router = APIRouter(prefix="/v1/services", tags=["catalog"])


@router.post(
    "",
    status_code=201,
    summary="Create a service (or rename it when the slug exists)",
    responses={200: {"model": ServiceOut, "description": "The slug existed; name updated."}},
)
async def create_service(
    data: ServiceIn, session: SessionDep, _: CurrentOperator, response: Response
) -> ServiceOut:
    """Idempotent by slug: posting the same service twice answers 200 the second time."""
    created, is_new = await service.upsert_service(session=session, data=data)
    if not is_new:
        response.status_code = 200
    return ServiceOut.model_validate(created)


@router.get("", summary="List services")
async def list_services(
    session: SessionDep,
    _: CurrentOperator,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[ServiceOut]:
    """Services in creation order."""
    rows = await repository.list_page(
        session, after=decode_cursor(cursor) if cursor else None, limit=limit + 1
    )
    items = [ServiceOut.model_validate(row) for row in rows[:limit]]
    return Page[ServiceOut](
        items=items, next_cursor=encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    )


@router.get("/{slug}", summary="Get a service")
async def get_service(slug: str, session: SessionDep, _: CurrentOperator) -> ServiceOut:
    """One service by its slug."""
    found = await repository.get_by_slug(session, slug)
    if found is None:
        raise not_found("service", slug)
    return ServiceOut.model_validate(found)
