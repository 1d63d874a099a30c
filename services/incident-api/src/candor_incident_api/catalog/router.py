"""HTTP endpoints of the service catalog.

A service's components and dependencies are part of its body: ``PUT`` replaces all of it,
``PATCH`` replaces the fields (and whole lists) it carries. Admins write; any operator reads.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from candor_incident_api.catalog import repository, service
from candor_incident_api.catalog.schemas import (
    SLUG_PATTERN,
    ServiceIn,
    ServiceOut,
    ServicePatch,
    ServiceSpec,
    problem_responses,
)
from candor_incident_api.concurrency import check_if_match, set_etag
from candor_incident_api.dependencies import AdminDep, SessionDep, ViewerDep
from candor_incident_api.errors import ApiError, not_found
from candor_incident_api.pagination import Page, decode_cursor, encode_cursor
from candor_shared.contract import AgreementTerms

router = APIRouter(prefix="/v1/services", tags=["catalog"])

Slug = Annotated[
    str, Path(pattern=SLUG_PATTERN, description="The service's slug.", examples=["email"])
]

_AUTH = problem_responses(e401="No valid operator token.", e403="The token's role may not do this.")
_INVALID = problem_responses(
    e422="The body is malformed, a dependency names an unknown service or component, or "
    "would make a cycle; `detail` says which."
)
_MISSING = problem_responses(e404="No service has this slug.")
_STALE = problem_responses(
    e412="`If-Match` names an older version; read the service again and retry."
)


@router.post(
    "",
    status_code=201,
    summary="Create a service",
    description="Creates the service with its components and dependencies. Posting a slug "
    "that exists answers 200 with the service when every field sent matches it, and 409 "
    "when one differs: change a service with PUT or PATCH.",
    responses={
        200: {"model": ServiceOut, "description": "The slug existed with the same content."},
        **_AUTH,
        **problem_responses(e409="The slug exists with different content."),
        **_INVALID,
    },
)
async def create_service(
    data: ServiceIn, session: SessionDep, _: AdminDep, response: Response
) -> ServiceOut:
    """Create a service; idempotent for the same content."""
    created, is_new = await service.create_service(session=session, data=data)
    if not is_new:
        response.status_code = 200
    set_etag(response, created.id, created.version)
    return created


@router.get(
    "",
    summary="List services",
    description="Services in creation order, whole. `q` keeps those whose slug, name or "
    "description contains it (case-insensitive); follow `next_cursor` for more.",
    responses={**_AUTH, **problem_responses(e400="The cursor was not handed out by this API.")},
)
async def list_services(
    session: SessionDep,
    _: ViewerDep,
    q: Annotated[
        str | None, Query(max_length=200, description="Text in the slug, name or description.")
    ] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[ServiceOut]:
    """A page of services."""
    rows = await repository.list_page(
        session, after=decode_cursor(cursor) if cursor else None, limit=limit + 1, q=q
    )
    return Page[ServiceOut](
        items=await service.views(session, rows[:limit]),
        next_cursor=encode_cursor(rows[limit - 1].id) if len(rows) > limit else None,
    )


@router.get(
    "/{slug}",
    summary="Get a service",
    description="The service whole, with an `ETag` to send back as `If-Match` with a change.",
    responses={**_AUTH, **_MISSING},
)
async def get_service(
    slug: Slug, session: SessionDep, _: ViewerDep, response: Response
) -> ServiceOut:
    """One service by its slug."""
    found = await repository.get_by_slug(session, slug)
    if found is None:
        raise not_found("service", slug)
    set_etag(response, found.id, found.version)
    return await service.view(session, found)


@router.put(
    "/{slug}",
    summary="Create or replace a service",
    description="Makes the service exactly the body: fields left out take their defaults, "
    "components and dependencies not listed are removed (components are matched by slug, "
    "so those kept keep their ids). Sending what is already there changes nothing: same "
    "`version`, no event. This is what `candor apply` uses.",
    responses={
        201: {"model": ServiceOut, "description": "The service was created."},
        **_AUTH,
        **_STALE,
        **_INVALID,
    },
)
async def put_service(
    slug: Slug,
    spec: ServiceSpec,
    request: Request,
    session: SessionDep,
    _: AdminDep,
    response: Response,
) -> ServiceOut:
    """Create or replace a service; idempotent."""
    existing = await service.for_write(session, slug)
    if existing is None:
        if request.headers.get("if-match") is not None:
            raise ApiError(
                412,
                "Precondition Failed",
                f"No service {slug!r} exists; send no If-Match to create it.",
            )
    else:
        check_if_match(request, existing.id, existing.version)
    out, outcome = await service.replace_service(
        session=session, existing=existing, slug=slug, spec=spec
    )
    if outcome == "created":
        response.status_code = 201
    set_etag(response, out.id, out.version)
    return out


@router.patch(
    "/{slug}",
    summary="Change some fields of a service",
    description="Fields left out stay as they are; a list sent (owners, components, "
    "depends_on) replaces the whole list; `agreement: null` removes the agreement. Send the "
    "`ETag` you read as `If-Match` to be refused (412) if someone changed it meanwhile.",
    responses={**_AUTH, **_MISSING, **_STALE, **_INVALID},
)
async def patch_service(
    slug: Slug,
    patch: ServicePatch,
    request: Request,
    session: SessionDep,
    _: AdminDep,
    response: Response,
) -> ServiceOut:
    """Change a service in part."""
    existing = await service.for_write(session, slug)
    if existing is None:
        raise not_found("service", slug)
    check_if_match(request, existing.id, existing.version)
    out, _outcome = await service.patch_service(session=session, service=existing, patch=patch)
    set_etag(response, out.id, out.version)
    return out


@router.get(
    "/{slug}/agreement",
    summary="A service's agreement terms",
    description="The service levels negotiated with its users, as `PUT` takes them; 404 when "
    "the service has no agreement.",
    responses={**_AUTH, **_MISSING},
)
async def get_agreement(slug: Slug, session: SessionDep, _: ViewerDep) -> AgreementTerms:
    """One service's agreement."""
    found = await repository.get_by_slug(session, slug)
    if found is None:
        raise not_found("service", slug)
    if found.agreement is None:
        raise not_found("agreement of service", slug)
    return AgreementTerms.model_validate(found.agreement)


@router.put(
    "/{slug}/agreement",
    summary="Set a service's agreement terms",
    description="Replaces the service's agreement (durations in ISO 8601, e.g. `PT30M`); the "
    "sla-monitor evaluates it from the published service event. Same as PATCH with "
    '`{"agreement": ...}`; `If-Match` is honoured.',
    responses={**_AUTH, **_MISSING, **_STALE, **_INVALID},
)
async def put_agreement(
    slug: Slug,
    agreement: AgreementTerms,
    request: Request,
    session: SessionDep,
    _: AdminDep,
    response: Response,
) -> AgreementTerms:
    """Set the agreement."""
    existing = await service.for_write(session, slug)
    if existing is None:
        raise not_found("service", slug)
    check_if_match(request, existing.id, existing.version)
    out, _outcome = await service.patch_service(
        session=session, service=existing, patch=ServicePatch(agreement=agreement)
    )
    set_etag(response, out.id, out.version)
    assert out.agreement is not None
    return out.agreement


@router.delete(
    "/{slug}",
    status_code=204,
    summary="Delete a service",
    description="Only a service without history: refused (409) while it has incidents on "
    "record (open or not), services that depend on it, integrations or routing rules that "
    "send alerts to it, or maintenance to come. Its subscribers stop following it.",
    responses={
        **_AUTH,
        **_MISSING,
        **problem_responses(e409="Something still refers to it; `detail` lists what."),
        **_STALE,
    },
)
async def delete_service(slug: Slug, request: Request, session: SessionDep, _: AdminDep) -> None:
    """Delete a service nothing refers to."""
    existing = await service.for_write(session, slug)
    if existing is None:
        raise not_found("service", slug)
    check_if_match(request, existing.id, existing.version)
    await service.delete_service(session=session, service=existing)
