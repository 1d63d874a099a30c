"""``dependencies.after_commit``: callbacks run once the request's transaction committed, never
after a rollback; revoking a token or changing an integration drops the cached credentials
only then (earlier, a concurrent request could cache the still-active row again)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from candor_incident_api.dependencies import AdminDep, SessionDep, after_commit
from candor_incident_api.errors import ApiError
from candor_incident_api.integrations.models import Integration
from candor_incident_api.operators.auth import OperatorTokens
from candor_incident_api.operators.models import ApiToken
from candor_shared.ids import uuid7
from tests.conftest import RunningApi
from tests.incident_api.payloads import generic
from tests.incident_api.sources.helpers import new_integration, post

Watch = Callable[[Callable[[Any], bool], list[str]], None]


@pytest.fixture
def commits() -> Iterator[Watch]:
    """``watch(which, log)``: append "commit" to ``log`` when a session committed changes to a
    row ``which`` accepts (every session of the process is watched until the test ends)."""
    listeners: list[tuple[str, Callable[..., None]]] = []

    def watch(which: Callable[[Any], bool], log: list[str]) -> None:
        marker = f"watched-{len(listeners)}"

        def flushed(session: Session, _: Any) -> None:
            # The identity map holds clean rows weakly: look while they are being written.
            if any(which(row) for row in (*session.dirty, *session.new)):
                session.info[marker] = True

        def committed(session: Session) -> None:
            if session.info.pop(marker, False):
                log.append("commit")

        def rolled_back(session: Session) -> None:
            session.info.pop(marker, None)

        for name, listener in (
            ("after_flush", flushed),
            ("after_commit", committed),
            ("after_rollback", rolled_back),
        ):
            event.listen(Session, name, listener)
            listeners.append((name, listener))

    yield watch
    for name, listener in listeners:
        event.remove(Session, name, listener)


@pytest.fixture
async def hooked_api(api_settings: Any) -> AsyncIterator[tuple[RunningApi, list[str]]]:
    """incident-api with one more POST route that registers an after-commit callback, then
    succeeds or (``?fail=true``) raises."""
    running = RunningApi(api_settings)
    seen: list[str] = []

    async def hooked(session: SessionDep, _: AdminDep, fail: bool = False) -> dict[str, bool]:
        session.add(
            ApiToken(
                id=uuid7(),
                name="hooked",
                role="viewer",
                key_prefix="cndr_op_test",
                key_hash=uuid7().hex,
                created_by="test",
                created_at=datetime.now(UTC),
            )
        )
        await session.flush()
        after_commit(session, lambda: seen.append("callback"))
        if fail:
            raise ApiError(409, "Conflict", "Asked to fail.")
        return {"ok": True}

    running.app.add_api_route("/v1/hooked", hooked, methods=["POST"])
    await running.start()
    try:
        yield running, seen
    finally:
        await running.stop()


@pytest.mark.parametrize("idempotency_key", [None, "hooked-1"])
async def test_callbacks_run_after_the_commit_and_never_after_a_rollback(
    hooked_api: tuple[RunningApi, list[str]],
    commits: Watch,
    idempotency_key: str | None,
) -> None:
    running, seen = hooked_api
    commits(lambda row: isinstance(row, ApiToken) and row.name == "hooked", seen)
    headers = {"Idempotency-Key": f'"{idempotency_key}"'} if idempotency_key else {}
    async with running.client() as client:
        succeeded = await client.post("/v1/hooked", headers=headers)
        done = list(seen)
        seen.clear()
        failed = await client.post(
            "/v1/hooked",
            params={"fail": "true"},
            headers={"Idempotency-Key": '"hooked-2"'} if idempotency_key else {},
        )

    assert (succeeded.status_code, failed.status_code) == (200, 409)
    assert done == ["commit", "callback"]
    assert seen == []


async def test_a_revoked_token_is_forgotten_once_the_revocation_committed(
    api: RunningApi,
    operator: httpx.AsyncClient,
    commits: Watch,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    issued = (await operator.post("/v1/tokens", json={"name": "Leaving", "role": "viewer"})).json()
    order: list[str] = []
    tokens: OperatorTokens = api.app.state.operator_tokens
    forget = tokens.forget

    def recorded_forget(key_hash: str) -> None:
        order.append("forget")
        forget(key_hash)

    monkeypatch.setattr(tokens, "forget", recorded_forget)
    commits(lambda row: isinstance(row, ApiToken) and row.revoked_at is not None, order)
    async with api.client(token=issued["token"]) as leaving:
        cached = await leaving.get("/v1/services")  # its grant is now cached
        revoked = await operator.delete(f"/v1/tokens/{issued['id']}")
        refused = await leaving.get("/v1/services")

    assert (cached.status_code, revoked.status_code, refused.status_code) == (200, 204, 401)
    assert order == ["commit", "forget"]


async def test_cached_integration_keys_are_dropped_once_the_change_committed(
    api: RunningApi,
    operator: httpx.AsyncClient,
    commits: Watch,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    created = await new_integration(operator, "generic")
    order: list[str] = []
    keys = api.app.state.integration_keys
    forget = keys.forget

    def recorded_forget() -> None:
        order.append("forget")
        forget()

    monkeypatch.setattr(keys, "forget", recorded_forget)
    commits(lambda row: isinstance(row, Integration) and row.name == "renamed", order)
    accepted = await post(api, "/v1/ingest/generic", generic.firing(), key=created["key"])
    renamed = await operator.patch(f"/v1/integrations/{created['id']}", json={"name": "renamed"})
    revoked = await operator.delete(f"/v1/integrations/{created['id']}")
    refused = await post(api, "/v1/ingest/generic", generic.firing(), key=created["key"])

    assert (accepted.status_code, renamed.status_code) == (202, 200)
    assert (revoked.status_code, refused.status_code) == (204, 401)
    assert order == ["commit", "forget", "commit", "forget"]


async def test_a_lookup_overlapping_a_revocation_is_not_cached(api: RunningApi) -> None:
    issued: dict[str, Any]
    async with api.client() as admin:
        issued = (await admin.post("/v1/tokens", json={"name": "n", "role": "viewer"})).json()
    sessions = api.app.state.candor.sessions
    lookups: list[str] = []

    def revoking_midway() -> AsyncSession:
        # The revocation commits and is forgotten while this lookup reads the token.
        lookups.append("lookup")
        tokens.forget("another token's hash")
        session: AsyncSession = sessions()
        return session

    tokens = OperatorTokens(revoking_midway)  # type: ignore[arg-type]

    first = await tokens.resolve(issued["token"])
    second = await tokens.resolve(issued["token"])

    assert first is not None
    assert second is not None
    assert lookups == ["lookup", "lookup"]  # the first answer was not cached
