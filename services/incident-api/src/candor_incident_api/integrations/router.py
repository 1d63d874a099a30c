"""HTTP endpoints for integrations (admins write, any operator reads)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.concurrency import check_if_match, set_etag
from candor_incident_api.dependencies import (
    AdminDep,
    SessionDep,
    StateDep,
    ViewerDep,
    after_commit,
)
from candor_incident_api.errors import not_found
from candor_incident_api.ingest.auth import IntegrationKeys
from candor_incident_api.ingest.sns import SnsVerifier
from candor_incident_api.ingest.sources import SourceName
from candor_incident_api.integrations import repository, service, sns
from candor_incident_api.integrations.models import Integration
from candor_incident_api.integrations.schemas import (
    IntegrationCreated,
    IntegrationIn,
    IntegrationOut,
    IntegrationPatch,
    SnsConfirmationOut,
)
from candor_incident_api.pagination import Page, decode_cursor, encode_cursor

router = APIRouter(prefix="/v1/integrations", tags=["integrations"])

_AUTH: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or invalid operator token."},
    403: {"description": "The token's role is too low (admins write, viewers read)."},
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such integration."}}
_INVALID: dict[int | str, dict[str, Any]] = {
    422: {"description": "Malformed body, or an unknown service; `detail` names the field."}
}
_CURSOR = Annotated[str | None, Query(description="next_cursor of the previous page")]


async def _found(
    session: SessionDep, integration_id: uuid.UUID, *, lock: bool = False
) -> Integration:
    found = await repository.get(session, integration_id, for_update=lock)
    if found is None:
        raise not_found("integration", str(integration_id))
    return found


def _forget_cached_keys(request: Request, session: AsyncSession) -> None:
    """Drop the cached keys once the change is committed (earlier, a concurrent ingest
    request could cache the old integration again)."""
    keys: IntegrationKeys = request.app.state.integration_keys
    after_commit(session, keys.forget)


@router.post(
    "",
    status_code=201,
    summary="Register a monitoring source and get its key",
    responses={
        **_AUTH,
        409: {"description": "The imported key is in use, or was revoked."},
        **_INVALID,
    },
)
async def create_integration(
    data: IntegrationIn, session: SessionDep, state: StateDep, _: AdminDep, response: Response
) -> IntegrationCreated:
    """The answer carries the key: it is stored only as a SHA-256 hash and never shown again.

    `source` is one of the supported sources (see the `ingest` routes, one per source);
    `services` lists further services it may post for; `signing_secret` makes signatures
    mandatory; `key` imports an existing key (e.g. a PagerDuty routing key).
    """
    integration, services, key = await service.create_integration(session=session, data=data)
    view = service.to_out(integration, services, public_url=state.settings.public_url)
    set_etag(response, integration.id, integration.version)
    return IntegrationCreated(**view.model_dump(), key=key)


@router.get("", summary="List integrations", responses=_AUTH)
async def list_integrations(
    session: SessionDep,
    state: StateDep,
    _: ViewerDep,
    source: Annotated[SourceName | None, Query(description="Only this source")] = None,
    revoked: Annotated[
        bool | None, Query(description="Only revoked (true) or active (false)")
    ] = None,
    cursor: _CURSOR = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[IntegrationOut]:
    """Integrations in creation order, with the prefix of their keys but never the keys."""
    rows = await repository.list_page(
        session,
        after=decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
        source=source,
        revoked=revoked,
    )
    page = rows[:limit]
    services = await repository.service_slugs(session, [row.id for row in page])
    return Page[IntegrationOut](
        items=[
            service.to_out(row, services[row.id], public_url=state.settings.public_url)
            for row in page
        ],
        next_cursor=encode_cursor(rows[limit - 1].id) if len(rows) > limit else None,
    )


@router.get("/{integration_id}", summary="Get an integration", responses={**_AUTH, **_NOT_FOUND})
async def get_integration(
    integration_id: uuid.UUID,
    session: SessionDep,
    state: StateDep,
    _: ViewerDep,
    response: Response,
) -> IntegrationOut:
    """One integration; its `ETag` is what `If-Match` expects on a change."""
    found = await _found(session, integration_id)
    services = await repository.service_slugs(session, [found.id])
    set_etag(response, found.id, found.version)
    return service.to_out(found, services[found.id], public_url=state.settings.public_url)


@router.patch(
    "/{integration_id}",
    summary="Change an integration",
    responses={
        **_AUTH,
        **_NOT_FOUND,
        409: {"description": "The integration is revoked."},
        412: {"description": "`If-Match` names an older version; read it again."},
        **_INVALID,
    },
)
async def update_integration(
    integration_id: uuid.UUID,
    data: IntegrationPatch,
    session: SessionDep,
    state: StateDep,
    _: AdminDep,
    request: Request,
    response: Response,
) -> IntegrationOut:
    """Change the name, default service, allowed services, rate limit or signing secret
    (`null` clears the last three). Send the `ETag` you read as `If-Match` to be told (412)
    when someone else changed it in between. Takes effect on the ingest path within seconds.
    """
    found = await _found(session, integration_id, lock=True)
    check_if_match(request, found.id, found.version)
    services = await service.update_integration(session=session, integration=found, data=data)
    _forget_cached_keys(request, session)
    set_etag(response, found.id, found.version)
    return service.to_out(found, services, public_url=state.settings.public_url)


@router.delete(
    "/{integration_id}",
    status_code=204,
    summary="Revoke an integration's key",
    responses={**_AUTH, **_NOT_FOUND, 412: {"description": "`If-Match` names an older version."}},
)
async def revoke_integration(
    integration_id: uuid.UUID, session: SessionDep, _: AdminDep, request: Request
) -> None:
    """Alerts sent with the key are refused (401) from now on; the integration stays listed
    with `revoked_at`. Revoking twice is harmless."""
    found = await _found(session, integration_id, lock=True)
    check_if_match(request, found.id, found.version)
    await service.revoke_integration(session=session, integration=found)
    _forget_cached_keys(request, session)


@router.get(
    "/{integration_id}/sns-confirmations",
    summary="List the AWS SNS subscription confirmations of a CloudWatch integration",
    responses={**_AUTH, **_NOT_FOUND},
)
async def list_sns_confirmations(
    integration_id: uuid.UUID,
    session: SessionDep,
    _: ViewerDep,
    cursor: _CURSOR = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[SnsConfirmationOut]:
    """Newest first. SNS sends one when a topic subscribes this integration's URL; nothing
    is delivered until it is confirmed (`POST .../{confirmation_id}/confirm`)."""
    await _found(session, integration_id)
    rows = await repository.confirmations_page(
        session, integration_id, before=decode_cursor(cursor) if cursor else None, limit=limit + 1
    )
    return Page[SnsConfirmationOut](
        items=[SnsConfirmationOut.model_validate(row) for row in rows[:limit]],
        next_cursor=encode_cursor(rows[limit - 1].id) if len(rows) > limit else None,
    )


@router.post(
    "/{integration_id}/sns-confirmations/{confirmation_id}/confirm",
    summary="Confirm an AWS SNS subscription",
    responses={
        **_AUTH,
        404: {"description": "No such integration or confirmation."},
        422: {"description": "The SubscribeURL is not Amazon SNS's; it was not visited."},
        502: {"description": "Amazon SNS refused the confirmation or could not be reached."},
    },
)
async def confirm_sns_subscription(
    integration_id: uuid.UUID,
    confirmation_id: uuid.UUID,
    session: SessionDep,
    _: AdminDep,
    request: Request,
) -> SnsConfirmationOut:
    """Visit the confirmation's SubscribeURL (only if it is HTTPS on Amazon SNS), after which
    SNS delivers the topic's alarms. Confirming twice is harmless."""
    await _found(session, integration_id)
    found = await repository.get_confirmation(session, integration_id, confirmation_id)
    if found is None:
        raise not_found("SNS confirmation", str(confirmation_id))
    verifier: SnsVerifier = request.app.state.sns
    confirmed = await sns.confirm(session=session, confirmation=found, verifier=verifier)
    return SnsConfirmationOut.model_validate(confirmed)
