"""Operator tokens and roles: issued with a role, shown once, stored only as a hash,
revocable; viewers read, operators run incidents, admins manage tokens and subscribers;
integration keys only ingest."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select, text

from candor_incident_api.operators.models import ApiToken
from tests.conftest import RunningApi
from tests.incident_api.helpers import setup_email


async def issue(operator: httpx.AsyncClient, name: str, role: str) -> dict[str, Any]:
    """Issue a token through the API; the answer, token included."""
    response = await operator.post("/v1/tokens", json={"name": name, "role": role})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_admin_issues_a_token_shown_once_then_only_by_its_prefix(
    operator: httpx.AsyncClient,
) -> None:
    response = await operator.post("/v1/tokens", json={"name": "Alice Martin", "role": "operator"})

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["token"].startswith("cndr_op_")
    assert len(created["token"]) > 40
    assert created["key_prefix"] == created["token"][:12]
    assert (created["name"], created["role"], created["created_by"]) == (
        "Alice Martin",
        "operator",
        "admin",
    )
    assert response.headers["location"] == f"/v1/tokens/{created['id']}"
    listed = (await operator.get("/v1/tokens")).json()
    assert [item["id"] for item in listed["items"]] == [created["id"]]
    assert "token" not in listed["items"][0]
    assert listed["items"][0]["key_prefix"] == created["key_prefix"]
    one = await operator.get(f"/v1/tokens/{created['id']}")
    assert one.status_code == 200
    assert "token" not in one.json()
    assert created["token"] not in one.text + (await operator.get("/v1/tokens")).text


async def test_an_issued_token_authenticates_with_its_name_and_role(api: RunningApi) -> None:
    async with api.client() as admin:
        await admin.post("/v1/services", json={"slug": "email", "name": "Email"})
        token = (await issue(admin, "Alice Martin", "operator"))["token"]

    async with api.client(token=token) as alice:
        opened = await alice.post(
            "/v1/incidents", json={"service": "email", "title": "Mail is not sent"}
        )
        assert opened.status_code == 201, opened.text
        timeline = await alice.get(f"/v1/incidents/{opened.json()['id']}/timeline")

    assert timeline.status_code == 200
    actors = {entry["actor"] for entry in timeline.json()["items"]}
    assert "Alice Martin" in actors
    assert "admin" not in actors


async def test_roles_decide_what_each_token_may_do(api: RunningApi) -> None:
    async with api.client() as admin:
        await admin.post("/v1/services", json={"slug": "email", "name": "Email"})
        viewer = (await issue(admin, "Val Viewer", "viewer"))["token"]
        operator = (await issue(admin, "Olga Operator", "operator"))["token"]
        second_admin = (await issue(admin, "Ada Admin", "admin"))["token"]
    subscriber = {"email": "user@example.org", "services": ["email"]}
    incident = {"service": "email", "title": "Mail is slow"}

    async with api.client(token=viewer) as client:
        assert (await client.get("/v1/services")).status_code == 200
        assert (await client.get("/v1/incidents")).status_code == 200
        refused = await client.post("/v1/subscribers", json=subscriber)
        assert refused.status_code == 403
        assert "'admin'" in refused.json()["detail"]
        assert (await client.post("/v1/incidents", json=incident)).status_code == 403
        assert (
            await client.post("/v1/tokens", json={"name": "x", "role": "admin"})
        ).status_code == 403
        assert (await client.get("/v1/subscribers")).status_code == 403
    async with api.client(token=operator) as client:
        assert (await client.post("/v1/incidents", json=incident)).status_code == 201
        assert (
            await client.post("/v1/tokens", json={"name": "x", "role": "viewer"})
        ).status_code == 403
        assert (await client.get("/v1/tokens")).status_code == 403
        assert (await client.post("/v1/subscribers", json=subscriber)).status_code == 403
    async with api.client(token=second_admin) as client:
        assert (await client.post("/v1/subscribers", json=subscriber)).status_code == 201
        assert (
            await client.post("/v1/tokens", json={"name": "y", "role": "viewer"})
        ).status_code == 201
        assert (await client.get("/v1/subscribers")).status_code == 200


async def test_a_revoked_token_is_refused(api: RunningApi) -> None:
    async with api.client() as admin:
        created = await issue(admin, "Leaving Larry", "viewer")
        async with api.client(token=created["token"]) as larry:
            assert (await larry.get("/v1/services")).status_code == 200

            revoked = await admin.delete(f"/v1/tokens/{created['id']}")
            after = await larry.get("/v1/services")

        again = await admin.delete(f"/v1/tokens/{created['id']}")
        shown = (await admin.get(f"/v1/tokens/{created['id']}")).json()
        active = (await admin.get("/v1/tokens", params={"revoked": "false"})).json()
        unknown = await admin.delete(f"/v1/tokens/{uuid.uuid4()}")

    assert revoked.status_code == 204
    assert after.status_code == 401
    assert after.headers["www-authenticate"] == "Bearer"
    assert "revoked" in after.json()["detail"]
    assert again.status_code == 204
    assert shown["revoked_at"] is not None
    assert active["items"] == []
    assert unknown.status_code == 404


async def test_unknown_and_missing_tokens_get_401(api: RunningApi) -> None:
    async with api.client(token="cndr_op_" + "x" * 43) as client:
        unknown = await client.get("/v1/services")
    async with api.client(token=None) as client:
        missing = await client.get("/v1/services")

    assert unknown.status_code == 401
    assert missing.status_code == 401
    assert unknown.headers["content-type"] == "application/problem+json"


async def test_integration_keys_only_ingest(api: RunningApi) -> None:
    async with api.client() as admin:
        generated = await setup_email(admin)
        imported = "pd-routing-key-0123456789abcdef"
        response = await admin.post(
            "/v1/integrations",
            json={"name": "pagerduty", "source": "pagerduty", "key": imported},
        )
        assert response.status_code == 201, response.text

    for key in (generated, imported):
        async with api.client(token=key) as client:
            read = await client.get("/v1/services")
            write = await client.post("/v1/subscribers", json={"email": "a@example.org"})
        assert (read.status_code, write.status_code) == (401, 401), key
        assert "integration key" in read.json()["detail"]
        assert "/v1/ingest/" in read.json()["detail"]


async def test_tokens_list_in_pages(operator: httpx.AsyncClient) -> None:
    ids = [(await issue(operator, f"tool-{n}", "viewer"))["id"] for n in range(3)]
    await operator.delete(f"/v1/tokens/{ids[1]}")

    first = (await operator.get("/v1/tokens", params={"limit": 2})).json()
    second = (
        await operator.get("/v1/tokens", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    revoked = (await operator.get("/v1/tokens", params={"revoked": "true"})).json()

    assert [item["id"] for item in first["items"] + second["items"]] == ids
    assert second["next_cursor"] is None
    assert [item["id"] for item in revoked["items"]] == [ids[1]]


async def test_token_is_stored_only_as_its_hash(api: RunningApi) -> None:
    body = {"name": "Secret Sam", "role": "admin"}
    retry_key = {"Idempotency-Key": '"issue-sam"'}
    async with api.client() as admin:
        created = (await admin.post("/v1/tokens", json=body, headers=retry_key)).json()
        # The answer is kept for retries (sealed), and a retry still shows the token.
        replayed = await admin.post("/v1/tokens", json=body, headers=retry_key)
    token = created["token"]
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.json()["token"] == token

    dump = await database_dump(api)

    assert created["key_prefix"] in dump  # the dump does see the token's row
    assert hashlib.sha256(token.encode()).hexdigest() in dump
    assert token not in dump
    assert token[len("cndr_op_") :] not in dump
    sessions = api.app.state.candor.sessions
    async with sessions() as session:
        row = await session.scalar(select(ApiToken).where(ApiToken.id == uuid.UUID(created["id"])))
    assert row is not None
    assert row.key_hash == hashlib.sha256(token.encode()).hexdigest()


async def database_dump(api: RunningApi) -> str:
    """Everything incident-api's database holds, as text: the SQLite files' bytes, or on
    PostgreSQL every row of every table of the service's schema cast to text."""
    settings = api.settings
    if settings.database_url.startswith("sqlite"):
        path = Path(settings.database_url.split("///", 1)[1])
        files = [path, path.with_name(path.name + "-wal")]
        return b"".join(f.read_bytes() for f in files if f.exists()).decode("latin-1")
    engine = api.app.state.candor.engine
    async with engine.connect() as connection:
        tables = (
            await connection.execute(
                text(
                    "SELECT table_name FROM information_schema.tables "
                    "WHERE table_schema = :schema AND table_type = 'BASE TABLE'"
                ),
                {"schema": settings.database_schema},
            )
        ).scalars()
        parts: list[str] = []
        for table in list(tables):
            rows = await connection.execute(
                text(f'SELECT t::text FROM "{settings.database_schema}"."{table}" t')
            )
            parts.extend(str(row) for row in rows.scalars())
    return "\n".join(parts)
