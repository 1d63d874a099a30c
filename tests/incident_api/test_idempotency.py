"""``Idempotency-Key``: a retried POST gets the first answer and has one effect; another
request under the same key gets 422; one still running 409; a 5xx is not remembered."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import Response
from sqlalchemy import exc as sa_exc
from sqlalchemy import func, select

from candor_incident_api.dependencies import AdminDep, SessionDep
from candor_incident_api.idempotency.models import IdempotencyRecord
from candor_incident_api.incidents.models import Incident
from candor_incident_api.operators.models import ApiToken
from candor_shared.ids import uuid7
from tests.conftest import ADMIN_TOKEN, RunningApi, eventually
from tests.incident_api.helpers import setup_email
from tests.payloads import alertmanager


async def count(api: RunningApi, model: Any) -> int:
    async with api.app.state.candor.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": f'"{key}"'}


async def test_a_retry_gets_the_first_answer_and_opens_one_incident(
    api: RunningApi, operator: httpx.AsyncClient
) -> None:
    await operator.post("/v1/services", json={"slug": "email", "name": "Email"})
    incident = {"service": "email", "title": "Mail is not sent"}

    first = await operator.post("/v1/incidents", json=incident, headers=keyed("k-1"))
    retry = await operator.post("/v1/incidents", json=incident, headers=keyed("k-1"))
    without_key = await operator.post("/v1/incidents", json=incident)

    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    assert retry.status_code == 201, retry.text
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.content == first.content
    for header in ("location", "etag", "content-type"):
        assert retry.headers.get(header) == first.headers.get(header), header
    assert without_key.status_code == 409  # a second incident really was refused
    assert await count(api, Incident) == 1
    assert await count(api, IdempotencyRecord) == 1
    async with api.app.state.candor.sessions() as session:
        record = await session.get(
            IdempotencyRecord, (hashlib.sha256(ADMIN_TOKEN.encode()).hexdigest(), "k-1")
        )
    assert record is not None
    assert record.status_code == 201


async def test_a_retried_token_issue_creates_one_token(
    api: RunningApi, operator: httpx.AsyncClient
) -> None:
    body = {"name": "CI pipeline", "role": "operator"}

    answers = [await operator.post("/v1/tokens", json=body, headers=keyed("t-1")) for _ in range(3)]
    unkeyed = [await operator.post("/v1/tokens", json=body) for _ in range(2)]

    assert [a.status_code for a in answers] == [201, 201, 201]
    assert {a.json()["token"] for a in answers} == {answers[0].json()["token"]}
    assert [a.headers.get("idempotent-replayed") for a in answers] == [None, "true", "true"]
    assert len({a.json()["token"] for a in unkeyed}) == 2
    assert await count(api, ApiToken) == 3


async def test_the_same_key_for_another_request_is_422(operator: httpx.AsyncClient) -> None:
    await operator.post("/v1/tokens", json={"name": "a", "role": "viewer"}, headers=keyed("k"))

    other_body = await operator.post(
        "/v1/tokens", json={"name": "b", "role": "viewer"}, headers=keyed("k")
    )
    other_path = await operator.post(
        "/v1/services", json={"slug": "vpn", "name": "VPN"}, headers=keyed("k")
    )

    for answer in (other_body, other_path):
        assert answer.status_code == 422
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["title"] == "Idempotency-Key reused"
        assert "new key" in answer.json()["detail"]
    assert (await operator.get("/v1/services/vpn")).status_code == 404


async def test_keys_belong_to_their_token(api: RunningApi, operator: httpx.AsyncClient) -> None:
    other = (await operator.post("/v1/tokens", json={"name": "Bob", "role": "admin"})).json()
    body = {"name": "shared-name", "role": "viewer"}

    mine = await operator.post("/v1/tokens", json=body, headers=keyed("same"))
    async with api.client(token=other["token"]) as bob:
        theirs = await bob.post("/v1/tokens", json=body, headers=keyed("same"))

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert "idempotent-replayed" not in theirs.headers
    assert mine.json()["id"] != theirs.json()["id"]


async def test_concurrent_requests_with_one_key_have_one_effect(
    api: RunningApi, operator: httpx.AsyncClient
) -> None:
    body = {"name": "burst", "role": "viewer"}

    answers = await asyncio.gather(
        *(operator.post("/v1/tokens", json=body, headers=keyed("burst")) for _ in range(20))
    )

    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {201, 409}, statuses
    created = [a for a in answers if a.status_code == 201]
    assert len({a.json()["id"] for a in created}) == 1
    for answer in answers:
        if answer.status_code == 409:
            assert answer.headers["retry-after"] == "1"
            assert answer.json()["title"] == "Request in progress"
    assert await count(api, ApiToken) == 1
    settled = await operator.post("/v1/tokens", json=body, headers=keyed("burst"))
    assert settled.status_code == 201
    assert settled.headers["idempotent-replayed"] == "true"


async def test_two_replicas_racing_on_one_key_have_one_effect(api_settings: Any) -> None:
    """Two app instances on one database: the second cannot add a second token."""
    from candor_dev.ports import free_port

    first = RunningApi(api_settings)
    second = RunningApi(api_settings.model_copy(update={"api_port": free_port()}))
    await first.start()
    await second.start()
    try:
        body = {"name": "raced", "role": "viewer"}
        async with first.client() as one, second.client() as two:
            answers = await asyncio.gather(
                *(
                    client.post("/v1/tokens", json=body, headers=keyed("race"))
                    for _ in range(5)
                    for client in (one, two)
                )
            )
        statuses = [a.status_code for a in answers]
        assert set(statuses) <= {201, 409}, statuses
        assert len({a.json()["id"] for a in answers if a.status_code == 201}) == 1
        assert await count(first, ApiToken) == 1
    finally:
        await second.stop()
        await first.stop()


@pytest.fixture
async def flaky_api(api_settings: Any) -> AsyncIterator[RunningApi]:
    """incident-api with one more POST route whose first two calls fail after writing a row
    (a returned 503, then the database error a broken connection gives), then succeeds."""
    running = RunningApi(api_settings)
    calls = {"n": 0}

    async def flaky(session: SessionDep, admin: AdminDep, response: Response) -> dict[str, Any]:
        calls["n"] += 1
        row = ApiToken(
            id=uuid7(),
            name=f"attempt-{calls['n']}",
            role="viewer",
            key_prefix="cndr_op_test",
            key_hash=hashlib.sha256(f"attempt-{calls['n']}".encode()).hexdigest(),
            created_by=admin.name,
            created_at=datetime.now(UTC),
        )
        session.add(row)
        await session.flush()
        if calls["n"] == 1:
            response.status_code = 503
            return {"detail": "try again"}
        if calls["n"] == 2:
            raise sa_exc.OperationalError("SELECT 1", {}, ConnectionResetError("connection lost"))
        return {"attempt": calls["n"]}

    running.app.add_api_route("/v1/flaky", flaky, methods=["POST"], status_code=201)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def test_a_5xx_is_not_remembered_and_its_effect_is_undone(flaky_api: RunningApi) -> None:
    async with flaky_api.client() as client:
        answers = [
            await client.post("/v1/flaky", json={"x": 1}, headers=keyed("flaky")) for _ in range(4)
        ]

    assert [a.status_code for a in answers] == [503, 503, 201, 201]
    assert answers[1].headers["retry-after"] == "5"
    assert [a.headers.get("idempotent-replayed") for a in answers] == [None, None, None, "true"]
    assert answers[3].json() == {"attempt": 3}
    async with flaky_api.app.state.candor.sessions() as session:
        names = (await session.scalars(select(ApiToken.name))).all()
    assert names == ["attempt-3"]


async def test_a_final_4xx_is_remembered_but_an_authorization_failure_is_not(
    api: RunningApi, operator: httpx.AsyncClient
) -> None:
    invalid = {"name": "x", "role": "superuser"}
    refused = await operator.post("/v1/tokens", json=invalid, headers=keyed("bad"))
    replayed = await operator.post("/v1/tokens", json=invalid, headers=keyed("bad"))
    viewer = (await operator.post("/v1/tokens", json={"name": "v", "role": "viewer"})).json()
    async with api.client(token=viewer["token"]) as client:
        forbidden = [
            await client.post(
                "/v1/tokens", json={"name": "y", "role": "viewer"}, headers=keyed("f")
            )
            for _ in range(2)
        ]

    assert (refused.status_code, replayed.status_code) == (422, 422)
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json() == refused.json()
    assert [a.status_code for a in forbidden] == [403, 403]
    assert all("idempotent-replayed" not in a.headers for a in forbidden)
    assert await count(api, IdempotencyRecord) == 1


async def test_answers_to_callers_never_admitted_are_not_kept(
    api: RunningApi, operator: httpx.AsyncClient
) -> None:
    """Any bearer string reaches the middleware: answers given before authentication (404,
    405, a body that is not JSON) must not let it fill the table, one fresh key at a time."""
    not_json = {"content-type": "application/json"}
    async with api.client(token="not-a-token") as stranger:
        answers = [
            await stranger.post("/v1/no-such-thing", json={}, headers=keyed("s-1")),
            await stranger.post("/v1/tokens/x", json={}, headers=keyed("s-2")),
            await stranger.post(
                "/v1/tokens", content=b"{not json", headers={**not_json, **keyed("s-3")}
            ),
            await stranger.post(
                "/v1/tokens", json={"name": "n", "role": "viewer"}, headers=keyed("s-4")
            ),
        ]
    mine = [
        await operator.post("/v1/tokens", json={"name": "n", "role": "viewer"}, headers=keyed("o"))
        for _ in range(2)
    ]

    assert [a.status_code for a in answers] == [404, 405, 422, 401]
    assert [a.status_code for a in mine] == [201, 201]
    assert mine[1].headers["idempotent-replayed"] == "true"
    assert await count(api, IdempotencyRecord) == 1


async def test_invalid_keys_get_400(operator: httpx.AsyncClient) -> None:
    body = {"name": "x", "role": "viewer"}
    too_long = await operator.post("/v1/tokens", json=body, headers=keyed("k" * 256))
    unterminated = await operator.post("/v1/tokens", json=body, headers={"Idempotency-Key": '"a'})
    two = await operator.post(
        "/v1/tokens",
        json=body,
        headers=[("Idempotency-Key", '"a"'), ("Idempotency-Key", '"b"')],
    )
    bare = await operator.post("/v1/tokens", json=body, headers={"Idempotency-Key": "bare-1"})

    for answer in (too_long, unterminated, two):
        assert answer.status_code == 400
        assert answer.json()["title"] == "Invalid Idempotency-Key"
    assert bare.status_code == 201
    assert (await operator.get("/v1/tokens")).json()["items"][0]["id"] == bare.json()["id"]


async def test_ingest_ignores_the_header(api: RunningApi) -> None:
    async with api.client() as operator:
        key = await setup_email(operator)
    async with api.client(token=key) as client:
        answers = [
            await client.post(
                "/v1/ingest/alertmanager",
                json=alertmanager(),
                headers=keyed("ingest"),
            )
            for _ in range(2)
        ]

    assert [a.status_code for a in answers] == [202, 202]
    assert all("idempotent-replayed" not in a.headers for a in answers)
    assert await count(api, IdempotencyRecord) == 0


async def test_expired_records_are_ignored_and_pruned(
    api_settings: Any, operator_token_hash: str
) -> None:
    running = RunningApi(api_settings.model_copy(update={"idempotency_ttl_hours": 1}))
    await running.start()
    try:
        old = datetime.now(UTC) - timedelta(hours=2)
        async with running.app.state.candor.sessions() as session, session.begin():
            for key in ("reused", "forgotten"):
                session.add(
                    IdempotencyRecord(
                        principal=operator_token_hash,
                        key=key,
                        method="POST",
                        path="/v1/tokens",
                        request_hash="0" * 64,
                        status_code=201,
                        headers={"content-type": "application/json"},
                        body=b'{"old": true}',
                        created_at=old,
                    )
                )
        async with running.client() as client:
            answer = await client.post(
                "/v1/tokens", json={"name": "n", "role": "viewer"}, headers=keyed("reused")
            )

        assert answer.status_code == 201
        assert "idempotent-replayed" not in answer.headers
        assert "token" in answer.json()

        async def forgotten_is_gone() -> bool:
            async with running.app.state.candor.sessions() as session:
                keys = (await session.scalars(select(IdempotencyRecord.key))).all()
            return list(keys) == ["reused"]

        await eventually(forgotten_is_gone)
    finally:
        await running.stop()


@pytest.fixture
def operator_token_hash() -> str:
    return hashlib.sha256(ADMIN_TOKEN.encode()).hexdigest()


async def test_the_openapi_document_shows_the_header_on_operator_posts(
    operator: httpx.AsyncClient,
) -> None:
    document = (await operator.get("/openapi.json")).json()

    parameter = document["components"]["parameters"]["IdempotencyKey"]
    assert (parameter["name"], parameter["in"]) == ("Idempotency-Key", "header")
    reference = {"$ref": "#/components/parameters/IdempotencyKey"}
    assert reference in document["paths"]["/v1/tokens"]["post"]["parameters"]
    assert reference in document["paths"]["/v1/incidents"]["post"]["parameters"]
    assert reference not in document["paths"]["/v1/ingest/alertmanager"]["post"].get(
        "parameters", []
    )
    assert "409" in document["paths"]["/v1/tokens"]["post"]["responses"]
