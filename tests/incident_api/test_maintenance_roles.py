"""Roles on maintenance windows: viewers read, operators run them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.conftest import RunningApi


async def _token(operator: httpx.AsyncClient, role: str) -> str:
    response = await operator.post("/v1/tokens", json={"name": f"a {role}", "role": role})
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


async def test_a_viewer_reads_windows_and_an_operator_runs_them(
    api: RunningApi, operator: httpx.AsyncClient
) -> None:
    response = await operator.post("/v1/services", json={"slug": "email", "name": "Email"})
    assert response.status_code in (200, 201), response.text
    starts_at = datetime.now(UTC) + timedelta(days=1)
    body = {
        "title": "Mail server upgrade",
        "services": ["email"],
        "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + timedelta(hours=1)).isoformat(),
    }

    async with api.client(token=await _token(operator, "viewer")) as viewer:
        refused = await viewer.post("/v1/maintenance", json=body)
        assert refused.status_code == 403, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert (await viewer.get("/v1/maintenance")).json()["items"] == []

        async with api.client(token=await _token(operator, "operator")) as on_call:
            created = await on_call.post("/v1/maintenance", json=body)
            assert created.status_code == 201, created.text
            assert created.json()["created_by"] == "a operator"
            path = f"/v1/maintenance/{created.json()['id']}"

            assert (await viewer.get(path)).status_code == 200
            assert (await viewer.get("/v1/maintenance")).json()["items"][0]["id"] == (
                created.json()["id"]
            )
            for action in ("start", "complete", "cancel"):
                assert (await viewer.post(f"{path}/{action}")).status_code == 403
            assert (await viewer.patch(path, json={"title": "x"})).status_code == 403

            assert (await on_call.post(f"{path}/start")).status_code == 200
            assert (await on_call.post(f"{path}/complete")).status_code == 200
        assert (await viewer.get(path)).json()["status"] == "completed"
