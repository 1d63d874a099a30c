"""HTTP endpoints for operator tokens (admins only)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from candor_incident_api.dependencies import AdminDep, SessionDep, after_commit
from candor_incident_api.errors import not_found
from candor_incident_api.operators import repository, service
from candor_incident_api.operators.auth import OperatorTokens
from candor_incident_api.operators.models import ApiToken
from candor_incident_api.operators.schemas import TokenCreated, TokenIn, TokenOut
from candor_incident_api.pagination import Page, decode_cursor, encode_cursor

router = APIRouter(prefix="/v1/tokens", tags=["operators"])

_AUTH: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing, unknown or revoked operator token, or an integration key."},
    403: {"description": "Only admins manage tokens."},
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such token."}}


async def _found(session: SessionDep, token_id: uuid.UUID) -> ApiToken:
    found = await repository.get(session, token_id)
    if found is None:
        raise not_found("token", str(token_id))
    return found


@router.post(
    "",
    status_code=201,
    summary="Issue an operator token with a role",
    responses={
        **_AUTH,
        422: {"description": "Malformed body (name missing or too long, unknown role)."},
    },
)
async def issue_token(
    data: TokenIn, session: SessionDep, admin: AdminDep, response: Response
) -> TokenCreated:
    """The answer carries the token, prefixed `cndr_op_`; it is stored only as a SHA-256
    hash and never shown again. Its `name` is the actor recorded in timelines."""
    row, token = await service.issue_token(session=session, data=data, issued_by=admin.name)
    response.headers["Location"] = f"/v1/tokens/{row.id}"
    return TokenCreated(**service.to_out(row).model_dump(), token=token)


@router.get("", summary="List operator tokens", responses=_AUTH)
async def list_tokens(
    session: SessionDep,
    _: AdminDep,
    revoked: Annotated[
        bool | None, Query(description="true: only revoked tokens; false: only active ones")
    ] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[TokenOut]:
    """Tokens in the order they were issued, with their prefix but never the token."""
    rows = await repository.list_page(
        session,
        revoked=revoked,
        after=decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    return Page[TokenOut](
        items=[service.to_out(row) for row in rows[:limit]],
        next_cursor=encode_cursor(rows[limit - 1].id) if len(rows) > limit else None,
    )


@router.get("/{token_id}", summary="Get an operator token", responses={**_AUTH, **_NOT_FOUND})
async def get_token(token_id: uuid.UUID, session: SessionDep, _: AdminDep) -> TokenOut:
    """One token by id, with its prefix but never the token."""
    return service.to_out(await _found(session, token_id))


@router.delete(
    "/{token_id}",
    status_code=204,
    summary="Revoke an operator token",
    responses={**_AUTH, **_NOT_FOUND},
)
async def revoke_token(
    token_id: uuid.UUID, session: SessionDep, _: AdminDep, request: Request
) -> None:
    """Requests with the token get 401 from now on in this replica, and within 5 seconds in
    every other one. Revoking a revoked token changes nothing."""
    token = await _found(session, token_id)
    service.revoke_token(token=token)
    tokens: OperatorTokens = request.app.state.operator_tokens
    key_hash = token.key_hash
    # Once committed: forgotten earlier, a concurrent request would cache it again.
    after_commit(session, lambda: tokens.forget(key_hash))
