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


async def session(state: StateDep) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent.

    Services and repositories never commit; a request that raises rolls everything back,
    outbox rows included. After a commit the relay is woken to publish at once.
    """
    async with state.sessions() as db_session:
        async with db_session.begin():
            yield db_session
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
    state: StateDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Operator:
    """The operator behind the bearer token; 401 without a valid one."""
    if credentials is None:
        raise unauthorized("Send the operator token as 'Authorization: Bearer <token>'.")
    expected = state.settings.admin_token
    if not expected or not hmac.compare_digest(credentials.credentials.encode(), expected.encode()):
        raise unauthorized("The operator token is not valid.")
    return Operator(name="admin", role="admin")


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
"""Admins: the catalog, integrations, tokens."""
BearerCredentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
