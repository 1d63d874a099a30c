"""The operator API as the CLI speaks to it: one client, problems turned into clear messages."""

from __future__ import annotations

from typing import Any

import httpx

from candor_incident_api.cli.document import CatalogError


def operator_client(api_url: str, token: str, *, timeout: float = 30.0) -> httpx.AsyncClient:
    """An HTTP client for the operator API at ``api_url`` with ``token``."""
    return httpx.AsyncClient(
        base_url=api_url.rstrip("/"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=timeout,
    )


def entity_tag(entity_id: object, version: int) -> str:
    """The ETag the API gives one version of an entity (``concurrency.etag_of``).

    Written out here so that the CLI starts without importing the server's modules.
    """
    return f'W/"{entity_id}-{version}"'


def refusal(response: httpx.Response, what: str) -> CatalogError:
    """The API's answer as one line: what was being done, the status and the problem's detail."""
    try:
        body = response.json()
        detail = body.get("detail", response.text) if isinstance(body, dict) else response.text
    except ValueError:
        detail = response.text
    return CatalogError(f"{what}: HTTP {response.status_code}: {detail}")


def expect(response: httpx.Response, what: str, *statuses: int) -> Any:
    """The JSON body of ``response`` when its status is one of ``statuses``; else CatalogError."""
    if response.status_code not in statuses:
        raise refusal(response, what)
    return response.json() if response.content else None


async def get_all(
    client: httpx.AsyncClient, path: str, *, what: str, params: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Every item behind ``path``, following ``next_cursor`` (or a plain list)."""
    query: dict[str, Any] = {"limit": 200, **(params or {})}
    items: list[dict[str, Any]] = []
    while True:
        body = expect(await client.get(path, params=query), what, 200)
        if isinstance(body, list):
            return body
        items.extend(body["items"])
        cursor = body.get("next_cursor")
        if not cursor:
            return items
        query = {**query, "cursor": cursor}
