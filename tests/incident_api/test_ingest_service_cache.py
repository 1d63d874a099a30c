"""The ingest writer remembers services between batches; a change to a service committed by
this process applies to the very next alert all the same."""

from __future__ import annotations

from typing import Any

import httpx

from tests.incident_api.helpers import post_alert, setup_email
from tests.payloads import alertmanager


async def test_a_flap_window_set_after_alerts_were_placed_applies_to_the_next_alert(
    api: Any, operator: httpx.AsyncClient
) -> None:
    key = await setup_email(operator)
    first = await post_alert(api, key, alertmanager(starts_at="2026-11-23T09:58:00Z"))
    resolved = alertmanager(
        status="resolved", starts_at="2026-11-23T09:58:00Z", ends_at="2026-11-23T10:00:00Z"
    )
    assert (await post_alert(api, key, resolved)).status_code == 202

    # The service was placed (and remembered) with no flap window; now it gets one.
    response = await operator.patch("/v1/services/email", json={"flap_window_seconds": 600})
    assert response.status_code == 200, response.text
    back = await post_alert(api, key, alertmanager(starts_at="2026-11-23T10:05:00Z"))

    assert back.json()["incidents"] == first.json()["incidents"]


async def test_a_service_created_after_an_alert_for_it_went_unrouted_receives_the_next(
    api: Any, operator: httpx.AsyncClient
) -> None:
    key = await setup_email(operator, default_service=None)
    early = await post_alert(api, key, alertmanager(service="billing", fingerprint="b1"))
    assert (early.status_code, early.json()["incidents"]) == (202, [])

    response = await operator.post("/v1/services", json={"slug": "billing", "name": "Billing"})
    assert response.status_code == 201, response.text
    later = await post_alert(api, key, alertmanager(service="billing", fingerprint="b2"))

    assert len(later.json()["incidents"]) == 1
    incident = (await operator.get(f"/v1/incidents/{later.json()['incidents'][0]}")).json()
    assert incident["service"] == "billing"
