"""Self-service subscriptions in incident-api: the same answer whatever the address, limits
per address and per IP kept in the database (429 with Retry-After), refused and expired
links, the form's mistakes, and the export of everything held about a subscriber."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from candor_dev.ports import free_port
from candor_incident_api.selfservice.models import PendingSubscription, SignupAttempt
from candor_incident_api.settings import ApiSettings
from candor_shared.feedback import feedback_token
from candor_shared.subscription_links import confirmation_token, preferences_url
from tests.conftest import ADMIN_TOKEN, RunningApi
from tests.incident_api.helpers import post_alert
from tests.payloads import alertmanager

SECRET = "selfservice-secret-of-the-test"
INTEGRATION = {"name": "prom", "source": "alertmanager", "default_service": "email"}


@pytest.fixture
def api_settings(make_settings: Callable[..., Any]) -> ApiSettings:
    port = free_port()
    settings: ApiSettings = make_settings(
        ApiSettings,
        "incident-api",
        admin_token=ADMIN_TOKEN,
        api_port=port,
        public_url=f"http://127.0.0.1:{port}",
        unsubscribe_secret=SECRET,
        subscribe_limit_per_address=2,
        subscribe_limit_per_ip=4,
    )
    return settings


@pytest.fixture
async def browser(api: RunningApi, operator: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    response = await operator.post("/v1/services", json={"slug": "email", "name": "Email"})
    assert response.status_code == 201, response.text
    async with api.client(token=None) as client:
        yield client


def _form(email: str, **more: str) -> dict[str, str]:
    return {"email": email, "service": "email", "timezone": "UTC", "language": "en", **more}


async def _pending(api: RunningApi) -> list[PendingSubscription]:
    async with api.app.state.candor.sessions() as session:
        rows = await session.scalars(select(PendingSubscription))
        return list(rows)


async def test_the_same_answer_whether_subscribed_or_not(
    api: RunningApi, operator: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    await operator.post("/v1/subscribers", json={"email": "ana@example.org", "services": []})
    known = await browser.post("/subscribe", data=_form("ana@example.org"))
    unknown = await browser.post("/subscribe", data=_form("bob@example.org"))
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace("ana@", "bob@") == unknown.text
    assert known.headers["cache-control"] == "no-store"
    # Nobody is subscribed by asking: each request waits for its confirmation.
    assert sorted(p.email for p in await _pending(api)) == ["ana@example.org", "bob@example.org"]
    listed = (await operator.get("/v1/subscribers")).json()["items"]
    assert [(s["email"], s["services"]) for s in listed] == [("ana@example.org", [])]


async def test_limits_per_address_and_per_ip(api: RunningApi, browser: httpx.AsyncClient) -> None:
    for _ in range(2):
        assert (await browser.post("/subscribe", data=_form("ana@example.org"))).status_code == 200
    # A third for the same address within the hour (whatever its case) is refused.
    refused = await browser.post("/subscribe", data=_form("ANA@Example.org"))
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 3600
    assert "Too many requests to subscribe" in refused.text
    # Another address from the same IP: two more fit, then the IP's limit refuses.
    assert (await browser.post("/subscribe", data=_form("bob@example.org"))).status_code == 200
    assert (await browser.post("/subscribe", data=_form("cy@example.org"))).status_code == 200
    blocked = await browser.post("/subscribe", data=_form("dee@example.org"))
    assert blocked.status_code == 429
    assert "retry-after" in blocked.headers
    assert len(await _pending(api)) == 4
    # The counts are in the database, under keyed hashes, never the address or IP itself.
    async with api.app.state.candor.sessions() as session:
        attempts = list(await session.scalars(select(SignupAttempt)))
    assert len(attempts) == 8
    assert not any("example.org" in a.key_hash or "127.0.0.1" in a.key_hash for a in attempts)


async def test_mistakes_are_shown_next_to_their_fields(browser: httpx.AsyncClient) -> None:
    page = await browser.post(
        "/subscribe",
        data={
            "email": "not an address",
            "service": "nope",
            "timezone": "Mars/Base",
            "language": "xx",
        },
    )
    assert page.status_code == 422
    for mistake in (
        "Enter an email address like name@example.org.",
        "Choose among the services and components listed.",
        "Enter a timezone name such as Europe/Paris, or UTC.",
        "Choose one of the languages listed.",
    ):
        assert mistake in page.text
    assert 'value="not an address"' in page.text
    none = await browser.post("/subscribe", data={"email": "ana@example.org"})
    assert none.status_code == 422
    assert "Choose at least one service or component." in none.text
    other = await browser.post("/subscribe", json={"email": "ana@example.org"})
    assert other.status_code == 422
    hostile = await browser.post("/subscribe", data=_form("<script>@example.org"))
    assert hostile.status_code == 422
    assert "<script>@" not in hostile.text


async def test_links_cut_short_forged_or_expired(
    api: RunningApi, browser: httpx.AsyncClient
) -> None:
    assert (await browser.post("/subscribe", data=_form("ana@example.org"))).status_code == 200
    (pending,) = await _pending(api)
    cut = await browser.get("/subscribe/confirm/abc")
    assert cut.status_code == 400
    forged = confirmation_token(str(pending.id), pending.expires_at, "another-secret")
    assert (await browser.get(f"/subscribe/confirm/{forged}")).status_code == 404
    past = datetime.now(UTC) - timedelta(minutes=1)
    expired = await browser.get(
        f"/subscribe/confirm/{confirmation_token(str(pending.id), past, SECRET)}"
    )
    assert expired.status_code == 410
    assert "This confirmation link has expired" in expired.text
    assert "/subscribe" in expired.text
    prefs = await browser.get(preferences_url("", str(uuid.uuid4()), SECRET))
    assert prefs.status_code == 404
    assert (await browser.get("/preferences/short")).status_code == 400


async def test_without_a_secret_nothing_is_in_use(make_settings: Callable[..., Any]) -> None:
    settings: ApiSettings = make_settings(
        ApiSettings, "incident-api", admin_token=ADMIN_TOKEN, api_port=free_port()
    )
    running = RunningApi(settings)
    await running.start()
    try:
        async with running.client(token=None) as client:
            form = await client.get("/subscribe")
            posted = await client.post("/subscribe", data=_form("ana@example.org"))
    finally:
        await running.stop()
    assert form.status_code == posted.status_code == 404
    assert "not in use here" in form.text


async def test_export_holds_everything_about_the_subscriber(
    api: RunningApi, operator: httpx.AsyncClient, browser: httpx.AsyncClient
) -> None:
    created = await operator.post(
        "/v1/subscribers",
        json={
            "name": "Ana",
            "channels": [
                {"type": "email", "address": "ana@example.org"},
                {"type": "webhook", "url": "https://hooks.example.org/ana"},
            ],
            "services": ["email"],
            "timezone": "Europe/Paris",
            "language": "fr",
        },
    )
    assert created.status_code == 201, created.text
    ana = created.json()["id"]
    # A request to subscribe again, not confirmed: held too.
    await browser.post("/subscribe", data=_form("ana@example.org"))
    # Their answer about an incident.
    key = (await operator.post("/v1/integrations", json=INTEGRATION)).json()["key"]
    fired = await post_alert(api, key, alertmanager(starts_at="2025-11-24T09:58:00Z"))
    (incident,) = fired.json()["incidents"]
    answered = await browser.post(
        f"/feedback/{feedback_token(incident, ana, SECRET)}",
        data={
            "kept_informed": "5",
            "disruption": "3",
            "adequate_percent": "99",
            "desired_percent": "99.9",
            "comment": "Ana wrote this",
        },
    )
    assert answered.status_code == 200, answered.text

    export = await operator.get(f"/v1/subscribers/{ana}/export")
    assert export.status_code == 200, export.text
    body = export.json()
    assert (body["id"], body["name"], body["email"]) == (ana, "Ana", "ana@example.org")
    assert body["services"] == [{"slug": "email", "name": "Email"}]
    assert [c["type"] for c in body["channels"]] == ["email", "webhook"]
    assert all(c["secret"] is None for c in body["channels"])
    assert (body["timezone"], body["language"]) == ("Europe/Paris", "fr")
    (feedback,) = body["feedback"]
    assert (feedback["incident_id"], feedback["kept_informed"]) == (incident, 5)
    assert feedback["comment"] == "Ana wrote this"
    assert [p["services"] for p in body["pending_requests"]] == [["email"]]
    assert [h["service"] for h in body["held_elsewhere"]] == ["notifier"]

    assert (await operator.get(f"/v1/subscribers/{uuid.uuid4()}/export")).status_code == 404
    async with api.client(token=None) as anonymous:
        assert (await anonymous.get(f"/v1/subscribers/{ana}/export")).status_code == 401

    # Erased: the subscriber and their unconfirmed request are gone.
    assert (await operator.delete(f"/v1/subscribers/{ana}")).status_code == 204
    assert (await operator.get(f"/v1/subscribers/{ana}/export")).status_code == 404
    assert await _pending(api) == []
