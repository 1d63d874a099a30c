"""Alertmanager alerts become incidents, deduplicated, and events on Kafka."""

from __future__ import annotations

from typing import Any

import httpx

from candor_shared.contract import AlertFired, IncidentOpened, IncidentResolved
from tests.incident_api.helpers import post_alert, setup_email
from tests.kafka_helpers import read_events
from tests.payloads import alertmanager


async def test_firing_alert_opens_one_incident_and_publishes(
    api: Any, operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    key = await setup_email(operator)

    first = await post_alert(api, key, alertmanager())
    again = await post_alert(api, key, alertmanager())

    assert first.status_code == 202, first.text
    assert again.status_code == 202
    assert first.json()["incidents"] == again.json()["incidents"]
    listed = (await operator.get("/v1/incidents", params={"service": "email"})).json()
    assert len(listed["items"]) == 1
    incident = listed["items"][0]
    assert incident["status"] == "investigating"
    assert incident["title"] == "Outgoing mail is not being delivered"
    events = await read_events(broker, f"{topic_prefix}candor.incident.v1", count=2)
    assert [type(e.data) for e in events] == [IncidentOpened, AlertFired]
    assert all(e.partitionkey == incident["id"] for e in events)


async def test_resolved_alert_resolves_incident(
    api: Any, operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    key = await setup_email(operator)
    await post_alert(api, key, alertmanager())

    response = await post_alert(
        api, key, alertmanager(status="resolved", ends_at="2026-11-23T10:20:00Z")
    )

    assert response.status_code == 202
    incident = (await operator.get("/v1/incidents")).json()["items"][0]
    assert incident["status"] == "resolved"
    assert incident["resolved_at"] == "2026-11-23T10:20:00Z"
    events = await read_events(broker, f"{topic_prefix}candor.incident.v1", count=4)
    assert isinstance(events[-1].data, IncidentResolved)


async def test_incident_stays_open_while_another_alert_fires(
    api: Any, operator: httpx.AsyncClient
) -> None:
    key = await setup_email(operator)
    await post_alert(api, key, alertmanager(fingerprint="a1"))
    await post_alert(api, key, alertmanager(fingerprint="b2", alertname="SmtpDown"))

    await post_alert(
        api, key, alertmanager(fingerprint="a1", status="resolved", ends_at="2026-11-23T10:00:00Z")
    )

    items = (await operator.get("/v1/incidents")).json()["items"]
    assert len(items) == 1
    assert items[0]["status"] == "investigating"
    assert items[0]["firing_alerts"] == 1


async def test_late_resolution_of_an_earlier_firing_does_not_end_a_new_one(
    api: Any, operator: httpx.AsyncClient
) -> None:
    key = await setup_email(operator)
    first = "2025-11-24T08:00:00Z"
    again = "2025-11-24T09:00:00Z"
    await post_alert(api, key, alertmanager(starts_at=first))
    # It fired again at 09:00; the resolution of the 08:00 firing arrives only afterwards.
    await post_alert(api, key, alertmanager(starts_at=again))
    late = alertmanager(status="resolved", starts_at=first, ends_at="2025-11-24T08:30:00Z")

    response = await post_alert(api, key, late)

    assert response.status_code == 202
    incident = (await operator.get("/v1/incidents")).json()["items"][0]
    assert incident["status"] == "investigating"
    resolved = alertmanager(status="resolved", starts_at=again, ends_at="2025-11-24T09:20:00Z")
    await post_alert(api, key, resolved)
    incident = (await operator.get("/v1/incidents")).json()["items"][0]
    assert incident["status"] == "resolved"
    assert incident["resolved_at"] == "2025-11-24T09:20:00Z"
