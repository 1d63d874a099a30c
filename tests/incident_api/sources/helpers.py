"""Integrations, posts and incidents for the intake adapter tests."""

from __future__ import annotations

import json
from typing import Any

import httpx


async def ensure_service(
    operator: httpx.AsyncClient, slug: str = "email", name: str = "Email"
) -> None:
    """Create the service (idempotent)."""
    response = await operator.post("/v1/services", json={"slug": slug, "name": name})
    assert response.status_code in (200, 201), response.text


async def new_integration(
    operator: httpx.AsyncClient,
    source: str,
    *,
    default_service: str | None = "email",
    **fields: Any,
) -> dict[str, Any]:
    """Register an integration of ``source`` (creating its default service); return the answer
    (with ``key``)."""
    if default_service:
        await ensure_service(operator, default_service, default_service.title())
    body: dict[str, Any] = {"name": f"{source} test", "source": source, **fields}
    if default_service:
        body["default_service"] = default_service
    response = await operator.post("/v1/integrations", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def post(
    api: Any,
    path: str,
    payload: Any,
    *,
    key: str | None = None,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> httpx.Response:
    """POST ``payload`` (JSON-encoded unless bytes or str) to ``path``, with ``key`` as bearer."""
    content = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
    sent = {"content-type": "application/json", **(headers or {})}
    async with api.client(token=key) as client:
        response: httpx.Response = await client.post(
            path, content=content, headers=sent, params=params
        )
    return response


async def incident(operator: httpx.AsyncClient, incident_id: str) -> dict[str, Any]:
    """GET /v1/incidents/{id}."""
    response = await operator.get(f"/v1/incidents/{incident_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def only_incident(operator: httpx.AsyncClient) -> dict[str, Any]:
    """The one incident there is (asserting there is exactly one)."""
    items = (await operator.get("/v1/incidents")).json()["items"]
    assert len(items) == 1, items
    return await incident(operator, items[0]["id"])
