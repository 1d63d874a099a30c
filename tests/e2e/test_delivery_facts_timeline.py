"""Delivery facts reach the incident's timeline: one entry per notice, updated as its
deliveries settle ("first notice sent to 3 recipients: 2 delivered, 1 failed"), and an entry
when an endpoint that kept failing was quarantined; an operator releases it, and it is tried
again."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from candor_dev.mailcatcher import MailCatcher
from candor_notifier.catalog.models import Subscriber
from candor_notifier.deliveries.models import Endpoint
from tests.conftest import RunningNotifier, eventually
from tests.incident_api.helpers import post_alert, setup_email
from tests.notifier.hook_catcher import HookCatcher
from tests.payloads import alertmanager


@pytest.fixture
def api_settings(api_settings: Any) -> Any:
    return api_settings.model_copy(update={"outbound_allowlist": "127.0.0.1"})


@pytest.fixture
def notifier_settings(notifier_settings: Any) -> Any:
    return notifier_settings.model_copy(
        update={
            "outbound_allowlist": "127.0.0.1",
            "quarantine_after_failures": 2,
            "quarantine_after_minutes": 0,
            "quarantine_cool_off_minutes": 30,
        }
    )


async def test_the_timeline_tells_how_each_notice_was_delivered(
    api: Any,
    operator: httpx.AsyncClient,
    notifier: RunningNotifier,
    mail: MailCatcher,
    hooks: HookCatcher,
) -> None:
    key_of_integration = await setup_email(operator)
    for body in (
        {"email": "ana@example.org", "services": ["email"]},
        {"email": "bob@example.org", "services": ["email"]},
        {
            "name": "Ops chat",
            "channels": [{"type": "slack", "url": f"{hooks.url}/slack"}],
            "services": ["email"],
        },
    ):
        response = await operator.post("/v1/subscribers", json=body)
        assert response.status_code == 201, response.text
    hooks.answer_next("/slack", 500, 500)  # then 200: the endpoint is mended

    async def known() -> bool:
        async with notifier.sessions() as session:
            return await session.scalar(select(func.count()).select_from(Subscriber)) == 3

    await eventually(known, timeout=30)

    await post_alert(api, key_of_integration, alertmanager(starts_at="2025-11-24T09:58:00Z"))
    await eventually(lambda: len(mail.mails) == 2, timeout=30)
    incident_id = (await operator.get("/v1/incidents")).json()["items"][0]["id"]

    async def settled_entries() -> list[dict[str, Any]] | None:
        response = await operator.get(
            f"/v1/incidents/{incident_id}/timeline",
            params={"kind": ["delivery", "quarantine"]},
        )
        items = response.json()["items"]
        delivery = [item for item in items if item["kind"] == "delivery"]
        quarantine = [item for item in items if item["kind"] == "quarantine"]
        if delivery and delivery[0]["data"]["settled"] and quarantine:
            return items
        return None

    items = await eventually(settled_entries, timeout=30)
    delivery = [item for item in items if item["kind"] == "delivery"]
    quarantine = [item for item in items if item["kind"] == "quarantine"]
    assert len(delivery) == 1  # one entry per notice, however many summaries came
    (entry,) = delivery
    assert entry["actor"] == "notifier"
    assert entry["internal_note"] == "first notice sent to 3 recipients: 2 delivered, 1 failed"
    assert entry["data"]["notice_kind"] == "opened"
    (told,) = quarantine
    assert told["data"]["channel"] == "slack"
    assert told["internal_note"].startswith("slack endpoint quarantined until ")
    assert (
        "after 2 failed deliveries in a row (last: 500 Internal Server Error"
        in (told["internal_note"])
    )
    assert hooks.url not in str(told)
    assert len(hooks.to("/slack")) == 2

    # The operator releases it: the next notice reaches the chat again.
    key = told["data"]["endpoint_key"]
    assert (await operator.post(f"/v1/quarantined-endpoints/{'0' * 64}/release")).status_code == 404
    assert (await operator.post("/v1/quarantined-endpoints/NOT-A-KEY/release")).status_code == 422
    response = await operator.post(f"/v1/quarantined-endpoints/{key}/release")
    assert response.status_code == 202, response.text
    assert response.json()["endpoint_key"] == key
    await eventually(lambda: _endpoint_forgotten(notifier.sessions), timeout=30)
    await post_alert(
        api,
        key_of_integration,
        alertmanager(
            status="resolved", starts_at="2025-11-24T09:58:00Z", ends_at="2025-11-24T10:20:00Z"
        ),
    )
    await eventually(lambda: len(hooks.to("/slack")) == 3, timeout=30)
    await notifier.stop()
    timeline = (await operator.get(f"/v1/incidents/{incident_id}/timeline")).json()["items"]
    released = [item for item in timeline if item["kind"] == "quarantine.released"]
    assert [item["internal_note"] for item in released] == [
        "slack endpoint released by admin: its next delivery is tried"
    ]


async def _endpoint_forgotten(sessions: Any) -> bool:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(Endpoint)) == 0
