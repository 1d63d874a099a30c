"""HTTP endpoints for groups of subscribers ("Finance department"): admins only, like
subscribers. Members join a group through their own record (``groups`` in
POST /v1/subscribers, or the CSV import)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from candor_incident_api.dependencies import AdminDep, SessionDep
from candor_incident_api.errors import not_found
from candor_incident_api.pagination import Page, decode_cursor, encode_cursor
from candor_incident_api.subscribers import groups, repository
from candor_incident_api.subscribers.schemas import GroupIn, GroupOut

GroupId = Annotated[
    uuid.UUID,
    Path(description="The group's id.", examples=["01a207cd-8501-733a-818b-9ecf802bbdf5"]),
]

router = APIRouter(prefix="/v1/groups", tags=["subscribers"])

_AUTH: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing, unknown or revoked operator token."},
    403: {"description": "Only admins see and manage groups of subscribers."},
}


@router.post(
    "",
    status_code=201,
    summary="Create a group of subscribers (or update it when the name exists)",
    responses={
        200: {"model": GroupOut, "description": "The name existed; updated."},
        422: {
            "description": "Malformed body, or an unknown service or component: `detail` "
            "names each."
        },
        **_AUTH,
    },
)
async def create_group(
    data: GroupIn, session: SessionDep, _: AdminDep, response: Response
) -> GroupOut:
    """Idempotent by name: the services and components given replace what the group
    followed; its members hear of the new set from the next notice on."""
    saved = await groups.upsert_group(session=session, data=data)
    if not saved.is_new:
        response.status_code = 200
    return await groups.to_group_out(session, saved.group, saved.members)


@router.get("", summary="List groups of subscribers", responses=_AUTH)
async def list_groups(
    session: SessionDep,
    _: AdminDep,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[GroupOut]:
    """Groups in creation order, with how many members each has."""
    rows = await repository.list_groups(
        session, after=decode_cursor(cursor) if cursor else None, limit=limit + 1
    )
    counts = await repository.member_counts(session, [row.id for row in rows[:limit]])
    return Page[GroupOut](
        items=[
            await groups.to_group_out(session, row, counts.get(row.id, 0)) for row in rows[:limit]
        ],
        next_cursor=encode_cursor(rows[limit - 1].id) if len(rows) > limit else None,
    )


@router.get("/{group_id}", summary="Get a group of subscribers", responses=_AUTH)
async def get_group(group_id: GroupId, session: SessionDep, _: AdminDep) -> GroupOut:
    """One group by id."""
    found = await repository.get_group(session, group_id)
    if found is None:
        raise not_found("group", str(group_id))
    counts = await repository.member_counts(session, [found.id])
    return await groups.to_group_out(session, found, counts.get(found.id, 0))


@router.delete(
    "/{group_id}", status_code=204, summary="Delete a group of subscribers", responses=_AUTH
)
async def delete_group(group_id: GroupId, session: SessionDep, _: AdminDep) -> None:
    """Its members stay subscribed to what they follow themselves."""
    found = await repository.get_group(session, group_id)
    if found is None:
        raise not_found("group", str(group_id))
    await groups.delete_group(session=session, group=found)
