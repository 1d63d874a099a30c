"""HTTP endpoints of a service's agreements with groups of users ("Finance department").

A group agreement is a complete set of terms that applies to that group instead of the
service's own agreement (``/v1/services/{slug}/agreement``). It is part of the service's
state: each write bumps the service's version (its ``ETag``, honoured as ``If-Match``) and
publishes the service whole. Admins write; any operator reads.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog import repository, service
from candor_incident_api.catalog.models import Service
from candor_incident_api.catalog.schemas import (
    GROUP_AGREEMENT_EXAMPLE,
    SLUG_PATTERN,
    AgreementsOut,
    GroupAgreementOut,
    GroupName,
    problem_responses,
)
from candor_incident_api.concurrency import check_if_match, set_etag
from candor_incident_api.dependencies import AdminDep, SessionDep, ViewerDep
from candor_incident_api.errors import not_found
from candor_incident_api.subscribers import repository as subscribers
from candor_incident_api.subscribers.models import SubscriberGroup
from candor_shared.contract import AgreementTerms

router = APIRouter(prefix="/v1/services", tags=["catalog"])

Slug = Annotated[
    str, Path(pattern=SLUG_PATTERN, description="The service's slug.", examples=["email"])
]
GroupId = Annotated[
    uuid.UUID,
    Path(
        description="The group's id (GET /v1/groups).",
        examples=["01a207cd-8501-733a-818b-9ecf802bbdf5"],
    ),
]

_AUTH = problem_responses(e401="No valid operator token.", e403="The token's role may not do this.")
_MISSING = problem_responses(
    e404="No service has this slug, no group this id, or (GET, DELETE) the service has no "
    "agreement with the group; `detail` says which."
)
_STALE = problem_responses(
    e412="`If-Match` names an older version of the service; read it again and retry."
)
_INVALID = problem_responses(
    e422="The terms are malformed (a duration under a minute, an unknown timezone, ...); "
    "`detail` says which field."
)
_TERMS_BODY = {
    "requestBody": {
        "content": {"application/json": {"example": GROUP_AGREEMENT_EXAMPLE}},
    }
}


async def _service(session: AsyncSession, slug: str, *, write: bool) -> Service:
    found = (
        await service.for_write(session, slug)
        if write
        else await repository.get_by_slug(session, slug)
    )
    if found is None:
        raise not_found("service", slug)
    return found


async def _group(session: AsyncSession, group_id: uuid.UUID) -> SubscriberGroup:
    found = await subscribers.get_group(session, group_id)
    if found is None:
        raise not_found("group", str(group_id))
    return found


@router.get(
    "/{slug}/agreements",
    summary="Every agreement of a service",
    description="The service's own agreement (null when it has none) and each agreement "
    "with a group of its users, by group name. A group agreement applies to that group "
    "instead of the service's own.",
    responses={**_AUTH, **problem_responses(e404="No service has this slug.")},
)
async def list_agreements(
    slug: Slug, session: SessionDep, _: ViewerDep, response: Response
) -> AgreementsOut:
    """The service's agreements."""
    found = await _service(session, slug, write=False)
    set_etag(response, found.id, found.version)
    return AgreementsOut(
        service=AgreementTerms.model_validate(found.agreement) if found.agreement else None,
        groups=await service.group_agreements(session, found),
    )


@router.get(
    "/{slug}/agreements/{group_id}",
    summary="A service's agreement with a group of users",
    description="The terms negotiated with this group, as `PUT` takes them, with the group.",
    responses={**_AUTH, **_MISSING},
)
async def get_group_agreement(
    slug: Slug, group_id: GroupId, session: SessionDep, _: ViewerDep, response: Response
) -> GroupAgreementOut:
    """One group agreement."""
    found = await _service(session, slug, write=False)
    group = await _group(session, group_id)
    agreement = await repository.group_agreement(session, found.id, group.id)
    if agreement is None:
        raise not_found(f"agreement of service {slug!r} with group", str(group_id))
    set_etag(response, found.id, found.version)
    return GroupAgreementOut(
        group=GroupName(id=group.id, name=group.name),
        terms=AgreementTerms.model_validate(agreement.terms),
    )


@router.put(
    "/{slug}/agreements/{group_id}",
    summary="Set a service's agreement with a group of users",
    description="Replaces (or creates: 201) the terms negotiated with this group, in the "
    "same form as the service's own agreement (durations in ISO 8601, e.g. `PT30M`). They "
    "apply to the group instead of the service's own agreement: complete terms, nothing is "
    "inherited. A change bumps the service's version and publishes it; the same terms change "
    "nothing. `If-Match` (the service's `ETag`) is honoured.",
    openapi_extra=_TERMS_BODY,
    responses={
        201: {"model": GroupAgreementOut, "description": "The agreement was created."},
        **_AUTH,
        **problem_responses(e404="No service has this slug, or no group this id."),
        **_STALE,
        **_INVALID,
    },
)
async def put_group_agreement(
    slug: Slug,
    group_id: GroupId,
    terms: AgreementTerms,
    request: Request,
    session: SessionDep,
    _: AdminDep,
    response: Response,
) -> GroupAgreementOut:
    """Set a group agreement."""
    found = await _service(session, slug, write=True)
    group = await _group(session, group_id)
    check_if_match(request, found.id, found.version)
    answer, out, outcome = await service.put_group_agreement(
        session=session, service=found, group=group, terms=terms
    )
    if outcome == "created":
        response.status_code = 201
    set_etag(response, out.id, out.version)
    return answer


@router.delete(
    "/{slug}/agreements/{group_id}",
    status_code=204,
    summary="Remove a service's agreement with a group of users",
    description="The group's members fall under the service's own agreement again. Bumps "
    "the service's version and publishes it; `If-Match` is honoured.",
    responses={**_AUTH, **_MISSING, **_STALE},
)
async def delete_group_agreement(
    slug: Slug,
    group_id: GroupId,
    request: Request,
    session: SessionDep,
    _: AdminDep,
    response: Response,
) -> None:
    """Remove a group agreement."""
    found = await _service(session, slug, write=True)
    group = await _group(session, group_id)
    agreement = await repository.group_agreement(session, found.id, group.id)
    if agreement is None:
        raise not_found(f"agreement of service {slug!r} with group", str(group_id))
    check_if_match(request, found.id, found.version)
    out = await service.delete_group_agreement(session=session, service=found, agreement=agreement)
    set_etag(response, out.id, out.version)
