"""What every request can depend on: the app's clients, a session, the caller's identity."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from candor_incident_api.errors import ApiError
from candor_incident_api.integrations.keys import KEY_PREFIX
from candor_incident_api.operators.auth import INTEGRATION_KEY, OperatorTokens
from candor_incident_api.settings import ApiSettings
from candor_shared.kafka import OutboxRelay


@dataclass
class AppState:
    """Clients created once in the lifespan and shared by every request."""

    settings: ApiSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    relay: OutboxRelay


async def app_state(request: Request) -> AppState:
    """The application's shared clients (async: a sync dependency would cost a thread hop)."""
    state: AppState = request.app.state.candor
    return state


StateDep = Annotated[AppState, Depends(app_state)]


@dataclass
class RequestTransaction:
    """A transaction opened around the request by a middleware, which commits it.

    The idempotency middleware opens one so that the answer it stores for an
    ``Idempotency-Key`` commits together with the request's effect. ``failed`` tells it
    that the handler raised, so that the transaction is rolled back, not committed.
    """

    session: AsyncSession
    failed: bool = False
    admitted: bool = False
    """Set by :func:`current_operator` once it admitted the caller as an operator: only
    then does the middleware keep the answer (an unknown bearer string gets nothing stored).
    """


REQUEST_TRANSACTION = "candor.request_transaction"
"""The ASGI scope key under which a middleware hands its :class:`RequestTransaction` down."""

_AFTER_COMMIT = "candor.after_commit"


def after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Run ``callback`` once the request's transaction has committed; never if it rolls back.

    For what must not happen before the change is visible to others, e.g. dropping a cached
    token (dropped earlier, a concurrent request could cache the old row again).
    """
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def run_after_commit(session: AsyncSession) -> None:
    """Run (once) the callbacks :func:`after_commit` registered; call right after a commit."""
    callbacks: list[Callable[[], None]] = session.info.pop(_AFTER_COMMIT, [])
    for callback in callbacks:
        callback()


def drop_after_commit(session: AsyncSession) -> None:
    """Forget the callbacks of a transaction that was rolled back."""
    session.info.pop(_AFTER_COMMIT, None)


async def session(request: Request, state: StateDep) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent.

    Services and repositories never commit; a request that raises rolls everything back,
    outbox rows included. After a commit the relay is woken to publish at once. When a
    middleware opened the request's transaction, that transaction is used and the middleware
    commits it (after the response is known, still before it is sent).
    """
    outer: RequestTransaction | None = request.scope.get(REQUEST_TRANSACTION)
    if outer is not None:
        try:
            yield outer.session
        except BaseException:
            outer.failed = True
            raise
        return
    async with state.sessions() as db_session:
        async with db_session.begin():
            yield db_session
        run_after_commit(db_session)
        if db_session.info.get("outbox_written"):
            state.relay.wake()


SessionDep = Annotated[AsyncSession, Depends(session, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="An operator token or an integration key.")


@dataclass(frozen=True)
class Operator:
    """Who is calling the operator API, and with which role."""

    name: str
    role: Literal["admin", "operator", "viewer"]


def unauthorized(detail: str) -> ApiError:
    """401 with the challenge a client needs to try again."""
    return ApiError(401, "Unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})


async def current_operator(
    request: Request,
    state: StateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Operator:
    """The operator behind the bearer token; 401 without a valid one.

    ``CANDOR_ADMIN_TOKEN`` is the first admin; other tokens are issued by ``POST /v1/tokens``
    and looked up by their hash (cached for a few seconds, see ``operators/auth.py``).
    """
    if credentials is None:
        raise unauthorized("Send the operator token as 'Authorization: Bearer <token>'.")
    token = credentials.credentials
    expected = state.settings.admin_token
    if expected and hmac.compare_digest(token.encode(), expected.encode()):
        _admitted(request)
        return Operator(name="admin", role="admin")
    if token.startswith(KEY_PREFIX):
        raise unauthorized(_INTEGRATION_KEY_REFUSED)
    tokens: OperatorTokens = request.app.state.operator_tokens
    grant = await tokens.resolve(token)
    if grant == INTEGRATION_KEY:
        raise unauthorized(_INTEGRATION_KEY_REFUSED)
    if grant is None:
        raise unauthorized("The operator token is unknown or was revoked.")
    _admitted(request)
    return Operator(name=grant.name, role=grant.role)


def _admitted(request: Request) -> None:
    """Tell the idempotency middleware, if it is watching, that the caller is an operator."""
    outer: RequestTransaction | None = request.scope.get(REQUEST_TRANSACTION)
    if outer is not None:
        outer.admitted = True


_INTEGRATION_KEY_REFUSED = (
    "This is an integration key: it can only post alerts to /v1/ingest/... ."
    " Use an operator token (POST /v1/tokens) for the operator API."
)


CurrentOperator = Annotated[Operator, Depends(current_operator)]

Role = Literal["admin", "operator", "viewer"]
_RANK: dict[str, int] = {"viewer": 0, "operator": 1, "admin": 2}


def require(role: Role) -> Callable[..., Awaitable[Operator]]:
    """A dependency admitting operators whose role is ``role`` or above (403 otherwise)."""

    async def dependency(caller: CurrentOperator) -> Operator:
        if _RANK[caller.role] < _RANK[role]:
            raise ApiError(
                403, "Forbidden", f"This needs the {role!r} role; your token has {caller.role!r}."
            )
        return caller

    return dependency


ViewerDep = Annotated[Operator, Depends(require("viewer"))]
"""Any operator: reads."""
OperatorDep = Annotated[Operator, Depends(require("operator"))]
"""Operators and admins: run incidents and maintenance."""
AdminDep = Annotated[Operator, Depends(require("admin"))]
"""Admins: the catalog, integrations, subscribers, tokens."""
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
