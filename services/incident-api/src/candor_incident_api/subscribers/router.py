"""HTTP endpoints for subscribers: admins only, reads included, since every answer carries
someone's address (personal data is shown to as few people as the work needs)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from candor_incident_api.dependencies import AdminDep, SessionDep, StateDep
from candor_incident_api.errors import not_found
from candor_incident_api.pagination import Page, decode_cursor, encode_cursor
from candor_incident_api.subscribers import repository, service
from candor_incident_api.subscribers.export import SubscriberExport, export_subscriber
from candor_incident_api.subscribers.schemas import SubscriberIn, SubscriberOut
from candor_shared.outbound import Allowlist

SubscriberId = Annotated[
    uuid.UUID,
    Path(description="The subscriber's id.", examples=["01a207cd-8501-733a-818b-9ecf802bbdf5"]),
]

router = APIRouter(prefix="/v1/subscribers", tags=["subscribers"])

_AUTH: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing, unknown or revoked operator token."},
    403: {"description": "Only admins see and manage subscribers."},
}


@router.post(
    "",
    status_code=201,
    summary="Subscribe someone to services (or update them when the address exists)",
    responses={
        200: {"model": SubscriberOut, "description": "The address existed; updated."},
        422: {
            "description": "Malformed body, an unknown service, or a channel URL refused "
            "(not https, or a loopback, private, link-local or metadata address in any "
            "spelling): `detail` names the field and the reason."
        },
        **_AUTH,
    },
)
async def create_subscriber(
    data: SubscriberIn, session: SessionDep, state: StateDep, _: AdminDep, response: Response
) -> SubscriberOut:
    """Idempotent by email address: the services given replace the ones the subscriber had,
    and so do `channels` when given. A new webhook channel's signing secret is in this answer
    (`channels[].secret`), and never again."""
    saved = await service.upsert_subscriber(
        session=session,
        data=data,
        allowlist=Allowlist.parse(state.settings.outbound_allowlist),
    )
    if not saved.is_new:
        response.status_code = 200
    return service.to_out(saved.subscriber, saved.new_secrets)


@router.get("", summary="List subscribers", responses=_AUTH)
async def list_subscribers(
    session: SessionDep,
    _: AdminDep,
    service_slug: Annotated[
        str | None, Query(alias="service", description="Only subscribers of this service")
    ] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[SubscriberOut]:
    """Subscribers in creation order."""
    rows = await repository.list_page(
        session,
        service=service_slug,
        after=decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    return Page[SubscriberOut](
        items=[service.to_out(row) for row in rows[:limit]],
        next_cursor=encode_cursor(rows[limit - 1].id) if len(rows) > limit else None,
    )


@router.get("/{subscriber_id}", summary="Get a subscriber", responses=_AUTH)
async def get_subscriber(
    subscriber_id: SubscriberId, session: SessionDep, _: AdminDep
) -> SubscriberOut:
    """One subscriber by id."""
    found = await repository.get(session, subscriber_id)
    if found is None:
        raise not_found("subscriber", str(subscriber_id))
    return service.to_out(found)


@router.get(
    "/{subscriber_id}/export",
    summary="Everything held about a subscriber (right of access)",
    responses={404: {"description": "No such subscriber (or erased)."}, **_AUTH},
)
async def export(subscriber_id: SubscriberId, session: SessionDep, _: AdminDep) -> SubscriberExport:
    """incident-api's data about the subscriber as JSON, and what the other services hold
    about them under their id (`held_elsewhere`)."""
    found = await repository.get(session, subscriber_id)
    if found is None:
        raise not_found("subscriber", str(subscriber_id))
    return await export_subscriber(session=session, subscriber=found)


@router.delete(
    "/{subscriber_id}",
    status_code=204,
    summary="Erase a subscriber and everything about them",
    responses=_AUTH,
)
async def erase_subscriber(subscriber_id: SubscriberId, session: SessionDep, _: AdminDep) -> None:
    """Deletes the subscriber here and tells the notifier to forget their address, channel
    URLs and webhook secrets."""
    found = await repository.get(session, subscriber_id)
    if found is None:
        raise not_found("subscriber", str(subscriber_id))
    await service.erase_subscriber(session=session, subscriber=found)
