"""repository.active_for: which maintenance window covers which service at a given time."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from candor_incident_api.catalog.models import Service
from candor_incident_api.maintenance import repository
from tests.conftest import RunningApi


async def _schedule(
    operator: httpx.AsyncClient, services: list[str], starts_at: datetime, **fields: Any
) -> str:
    response = await operator.post(
        "/v1/maintenance",
        json={
            "title": "Work",
            "services": services,
            "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + timedelta(hours=2)).isoformat(),
            **fields,
        },
    )
    assert response.status_code == 201, response.text
    window_id: str = response.json()["id"]
    return window_id


async def test_active_for_names_the_window_in_effect_for_each_service(
    api: RunningApi, operator: httpx.AsyncClient
) -> None:
    for slug in ("email", "vpn", "web", "hr"):
        response = await operator.post("/v1/services", json={"slug": slug, "name": slug})
        assert response.status_code in (200, 201), response.text
    now = datetime.now(UTC)
    tomorrow = now + timedelta(days=1)
    minor_now = await _schedule(
        operator, ["email", "web"], now + timedelta(hours=1), impact="minor"
    )
    assert (await operator.post(f"/v1/maintenance/{minor_now}/start")).status_code == 200
    critical_now = await _schedule(operator, ["email"], now + timedelta(hours=3), impact="critical")
    assert (await operator.post(f"/v1/maintenance/{critical_now}/start")).status_code == 200
    later = await _schedule(operator, ["vpn", "email"], tomorrow)
    done = await _schedule(operator, ["hr"], now + timedelta(hours=1))
    assert (await operator.post(f"/v1/maintenance/{done}/start")).status_code == 200
    assert (await operator.post(f"/v1/maintenance/{done}/complete")).status_code == 200
    called_off = await _schedule(operator, ["hr"], now + timedelta(minutes=10))
    assert (await operator.post(f"/v1/maintenance/{called_off}/cancel")).status_code == 200

    async with api.app.state.candor.sessions() as session:
        ids = {s.slug: s.id for s in (await session.scalars(select(Service))).all()}

        async def active(at: datetime, *slugs: str) -> dict[str, str]:
            found = await repository.active_for(session, [ids[slug] for slug in slugs], at)
            by_id = {service_id: slug for slug, service_id in ids.items()}
            return {by_id[service_id]: str(window.id) for service_id, window in found.items()}

        everything = ("email", "vpn", "web", "hr")
        # Started by hand before their planned start: in effect from now; the worse impact wins.
        assert await active(now + timedelta(seconds=5), *everything) == {
            "email": critical_now,
            "web": minor_now,
        }
        # Before the manual start, nothing was in effect.
        assert await active(now - timedelta(minutes=5), *everything) == {}
        # Tomorrow the scheduled window's start has come (the scheduler is about to start
        # it); the windows started today ended long before.
        assert await active(tomorrow + timedelta(minutes=1), *everything) == {
            "email": later,
            "vpn": later,
        }
        # At its planned end a window no longer covers anything.
        assert await active(tomorrow + timedelta(hours=2), *everything) == {}
        assert await active(now, "hr") == {}
        assert await repository.active_for(session, [], now) == {}
        assert await repository.active_for(session, [uuid.uuid4()], now) == {}
