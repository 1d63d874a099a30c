"""Helpers shared by incident-api tests."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from candor_incident_api.incidents.models import Alert, Incident
from candor_incident_api.models import OutboxRecord


async def setup_email(operator: httpx.AsyncClient, *, default_service: str | None = "email") -> str:
    """Create the Email service and an Alertmanager integration; return the integration key."""
    response = await operator.post("/v1/services", json={"slug": "email", "name": "Email"})
    assert response.status_code in (200, 201), response.text
    body: dict[str, Any] = {"name": "prom", "source": "alertmanager"}
    if default_service:
        body["default_service"] = default_service
    response = await operator.post("/v1/integrations", json=body)
    assert response.status_code == 201, response.text
    key: str = response.json()["key"]
    return key


async def post_alert(api: Any, key: str | None, payload: Any, **kwargs: Any) -> httpx.Response:
    """POST an Alertmanager payload with ``key`` as bearer token."""
    async with api.client(token=key) as client:
        response: httpx.Response
        if isinstance(payload, (bytes, str)):
            response = await client.post(
                "/v1/ingest/alertmanager",
                content=payload,
                headers={"content-type": "application/json"},
                **kwargs,
            )
        else:
            response = await client.post("/v1/ingest/alertmanager", json=payload, **kwargs)
        return response


async def row_counts(api: Any) -> dict[str, int]:
    """How many incidents, alerts and unsent outbox rows incident-api's database holds."""
    sessions = api.app.state.candor.sessions
    async with sessions() as session:
        return {
            "incidents": await session.scalar(select(func.count()).select_from(Incident)),
            "alerts": await session.scalar(select(func.count()).select_from(Alert)),
            "outbox": await session.scalar(select(func.count()).select_from(OutboxRecord)),
        }


async def outbox_empty(api: Any) -> bool:
    """Whether incident-api's relay has published every outbox row."""
    return (await row_counts(api))["outbox"] == 0
