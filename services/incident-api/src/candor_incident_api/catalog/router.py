"""HTTP endpoints of the service catalog.

A service's components and dependencies are part of its body: ``PUT`` replaces all of it,
``PATCH`` replaces the fields (and whole lists) it carries. Admins write; any operator reads.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from candor_incident_api.catalog import repository, service
from candor_incident_api.catalog.openslo import (
    SLO_SCHEMA,
    YAML_MEDIA_TYPES,
    ExportError,
    OpenSloDocument,
    dump,
    export_document,
)
from candor_incident_api.catalog.openslo_import import OpenSloRefused, import_objective
from candor_incident_api.catalog.schemas import (
    SLUG_PATTERN,
    ServiceIn,
    ServiceOut,
    ServicePatch,
    ServiceSpec,
    problem_responses,
)
from candor_incident_api.concurrency import check_if_match, etag_of, set_etag
from candor_incident_api.dependencies import AdminDep, SessionDep, ViewerDep
from candor_incident_api.errors import ApiError, not_found
from candor_incident_api.pagination import Page, decode_cursor, encode_cursor
from candor_shared.contract import AgreementTerms, AvailabilityObjective

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


class YamlResponse(Response):
    """A YAML document (``text/yaml`` to a client that asks for it)."""

    media_type = "application/yaml"


# Examples are the document's data, which a client sends as YAML (JSON, being YAML, works).
_OPENSLO_EXAMPLE = export_document(
    service="email",
    service_name="Email",
    terms=AgreementTerms(
        timezone="Europe/Paris",
        availability=AvailabilityObjective(adequate_percent=99.5, desired_percent=99.9),
    ),
).model_dump(mode="json", exclude_none=True)
_OPENSLO_SCHEMA = {"type": "object", "$ref": "#/components/schemas/OpenSloDocument"}
_OPENSLO_REQUEST: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "One OpenSLO v1 YAML stream: a `kind: SLO` document (and, if it names "
        "its indicator by `indicatorRef`, the SLI). Of several SLOs, the one whose "
        "`spec.service` is the slug.",
        "content": {
            media_type: {"schema": SLO_SCHEMA, "example": _OPENSLO_EXAMPLE}
            for media_type in YAML_MEDIA_TYPES
        },
    }
}
_OPENSLO_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {
        "model": OpenSloDocument,
        "description": "The availability objective as an OpenSLO v1 SLO.",
        "content": {
            "application/yaml": {"schema": _OPENSLO_SCHEMA, "example": _OPENSLO_EXAMPLE},
            "text/yaml": {"schema": _OPENSLO_SCHEMA, "example": _OPENSLO_EXAMPLE},
        },
    }
}


def _yaml(request: Request, text: str, *, etag: str) -> YamlResponse:
    """``text`` as ``text/yaml`` when the client asks for that rather than application/yaml."""
    accept = request.headers.get("accept", "")
    media_type = "text/yaml" if "text/yaml" in accept and "application/yaml" not in accept else None
    return YamlResponse(text, media_type=media_type, headers={"ETag": etag})


@router.get(
    "/{slug}/agreement/openslo",
    summary="A service's availability objective as OpenSLO",
    description="The agreement's availability objective as an OpenSLO v1 SLO (YAML): a "
    "`RatioTimeslices` budget over the time the service was available, with the adequate "
    "and desired levels as objectives and the calendar month (in the agreement's timezone) "
    "or rolling days as its time window. `PUT` takes it back unchanged. 404 when the service "
    "has no availability objective; 409 when a level is 100 %, which OpenSLO cannot say.",
    response_class=YamlResponse,
    responses={
        **_OPENSLO_ANSWER,
        **_AUTH,
        **_MISSING,
        **problem_responses(e409="A level is 100 %: OpenSLO targets are below 1."),
    },
)
async def get_openslo(slug: Slug, request: Request, session: SessionDep, _: ViewerDep) -> Response:
    """The availability objective as OpenSLO YAML."""
    found = await repository.get_by_slug(session, slug)
    if found is None:
        raise not_found("service", slug)
    terms = AgreementTerms.model_validate(found.agreement) if found.agreement else None
    if terms is None or terms.availability is None:
        raise ApiError(
            404,
            "Not found",
            f"Service {slug!r} has no availability objective; set one with PUT "
            f"/v1/services/{slug}/agreement/openslo or /agreement.",
        )
    try:
        document = export_document(service=slug, service_name=found.name, terms=terms)
    except ExportError as error:
        raise ApiError(409, "No OpenSLO form", f"{error}.") from None
    return _yaml(request, dump(document), etag=etag_of(found.id, found.version))


@router.put(
    "/{slug}/agreement/openslo",
    summary="Set a service's availability objective from OpenSLO",
    description="Sets the agreement's availability objective from an OpenSLO v1 SLO in YAML "
    "(`Content-Type: application/yaml` or `text/yaml`); the other terms stay. Candor takes a "
    "`Timeslices` or `RatioTimeslices` budget over a ratio indicator, which it measures "
    "itself from monitoring alerts and declared incidents (the metric source is not "
    "queried), with one or two objectives (the lower is adequate, the higher desired) and a "
    "calendar month (`1M`, from midnight on a 1st; its timeZone becomes the agreement's) or "
    "a rolling window of whole days. It refuses (422, naming every field and why) what it "
    "does not measure: a threshold metric such as a latency, `Occurrences` of events, other "
    "windows. The answer is the objective as `GET` gives it, after comments naming what of "
    "the document was not kept. `If-Match` is honoured.",
    response_class=YamlResponse,
    openapi_extra=_OPENSLO_REQUEST,
    responses={
        **_OPENSLO_ANSWER,
        **_AUTH,
        **_MISSING,
        **_STALE,
        **problem_responses(
            e415="The body is not YAML: send it with `Content-Type: application/yaml`.",
            e422="The document is not OpenSLO v1 YAML, or asks for what Candor does not "
            "measure; `detail` names each field and why, `errors` lists them.",
        ),
    },
)
async def put_openslo(slug: Slug, request: Request, session: SessionDep, _: AdminDep) -> Response:
    """Set the availability objective from OpenSLO YAML."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type not in YAML_MEDIA_TYPES:
        raise ApiError(
            415,
            "Unsupported Media Type",
            f"Send the OpenSLO document as YAML with Content-Type: application/yaml (or "
            f"text/yaml), not {media_type or 'no Content-Type'}; the agreement's JSON form goes "
            f"to PUT /v1/services/{slug}/agreement.",
        )
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(422, "Invalid request", "body: YAML in UTF-8.") from None
    try:
        imported = import_objective(text, service=slug)
    except OpenSloRefused as refused:
        raise ApiError(
            422,
            "Not importable",
            f"{refused}.",
            extra={"errors": [{"loc": r.where, "msg": r.why} for r in refused.reasons]},
        ) from None
    existing = await service.for_write(session, slug)
    if existing is None:
        raise not_found("service", slug)
    check_if_match(request, existing.id, existing.version)
    current = AgreementTerms.model_validate(existing.agreement) if existing.agreement else None
    out, _outcome = await service.patch_service(
        session=session,
        service=existing,
        patch=ServicePatch(agreement=imported.applied_to(current)),
    )
    assert out.agreement is not None
    document = export_document(service=slug, service_name=out.name, terms=out.agreement)
    notes = [f"Set from SLO {imported.slo!r}."]
    if imported.notes:
        notes += ["Not kept:", *(f"- {note}" for note in imported.notes)]
    return _yaml(request, dump(document, notes=notes), etag=etag_of(out.id, out.version))


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
