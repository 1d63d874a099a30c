"""PagerDuty Events API v2: ``/v2/enqueue`` and ``/v1/ingest/pagerduty`` answer as PagerDuty
does, refusals included, so that any PagerDuty client can point at Candor unchanged."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.incident_api.helpers import row_counts
from tests.incident_api.payloads import pagerduty
from tests.incident_api.sources.helpers import (
    ensure_service,
    incident,
    new_integration,
    only_incident,
    post,
)

INVALID = {"status": "invalid event", "message": "Event object is invalid"}


@pytest.mark.parametrize("path", ["/v2/enqueue", "/v1/ingest/pagerduty"])
async def test_trigger_without_dedup_key_gets_one_generated_and_returned(
    api: Any, operator: httpx.AsyncClient, path: str
) -> None:
    await new_integration(operator, "pagerduty", key=pagerduty.ROUTING_KEY)

    first = await post(api, path, pagerduty.trigger_without_dedup_key())
    second = await post(api, path, pagerduty.trigger_without_dedup_key())

    assert first.status_code == 202
    assert first.headers["content-type"] == "application/json"
    body = first.json()
    assert set(body) == {"status", "message", "dedup_key"}
    assert (body["status"], body["message"]) == ("success", "Event processed")
    uuid.UUID(body["dedup_key"])
    # As in PagerDuty, a trigger without a key is always a new alert.
    assert second.json()["dedup_key"] != body["dedup_key"]
    items = (await operator.get("/v1/incidents")).json()["items"]
    assert len(items) == 1
    assert len((await incident(operator, items[0]["id"]))["alerts"]) == 2

    for key in (body["dedup_key"], second.json()["dedup_key"]):
        resolved = await post(api, path, pagerduty.resolve(key))
        assert resolved.json() == {
            "status": "success",
            "message": "Event processed",
            "dedup_key": key,
        }
    assert (await incident(operator, items[0]["id"]))["status"] == "resolved"


@pytest.mark.parametrize("path", ["/v2/enqueue", "/v1/ingest/pagerduty"])
async def test_refusals_are_pagerdutys(api: Any, operator: httpx.AsyncClient, path: str) -> None:
    await new_integration(operator, "pagerduty", key=pagerduty.ROUTING_KEY)
    no_severity = pagerduty.trigger()
    del no_severity["payload"]["severity"]
    bad_action = {**pagerduty.trigger(), "event_action": "explode"}
    no_payload = pagerduty.trigger()
    del no_payload["payload"]
    no_key_to_resolve = pagerduty.resolve()
    del no_key_to_resolve["dedup_key"]
    cases: list[tuple[Any, str]] = [
        (no_severity, "'payload.severity'"),
        (bad_action, "'event_action'"),
        (no_payload, "payload"),
        (no_key_to_resolve, "dedup_key"),
        ({**pagerduty.trigger(), "routing_key": "x" * 32}, "Invalid routing key"),
        ({**pagerduty.trigger(), "routing_key": ""}, "'routing_key'"),
        ([pagerduty.trigger()], "'routing_key'"),
    ]

    for payload, named in cases:
        response = await post(api, path, payload)
        assert response.status_code == 400, (named, response.text)
        body = response.json()
        assert {k: body[k] for k in ("status", "message")} == INVALID, body
        assert any(named in error for error in body["errors"]), (named, body)

    not_json = await post(api, path, b"{not json")
    assert not_json.status_code == 400
    assert not_json.json() == {
        "status": "Unrecognized object",
        "message": "Event object format is unrecognized",
        "errors": ["JSON parse error"],
    }
    assert (await row_counts(api))["alerts"] == 0


async def test_a_key_of_another_source_is_an_invalid_routing_key(
    api: Any, operator: httpx.AsyncClient
) -> None:
    other = (await new_integration(operator, "generic"))["key"]

    response = await post(api, "/v2/enqueue", {**pagerduty.trigger(), "routing_key": other})

    assert response.status_code == 400
    assert response.json()["errors"] == ["Invalid routing key"]


async def test_resolve_follows_the_service_its_trigger_named(
    api: Any, operator: httpx.AsyncClient
) -> None:
    await ensure_service(operator, "payroll", "Payroll")
    await new_integration(operator, "pagerduty", key=pagerduty.ROUTING_KEY, services=["payroll"])
    trigger = pagerduty.trigger()
    trigger["payload"]["custom_details"]["service"] = "payroll"

    fired = await post(api, "/v2/enqueue", trigger)
    resolved = await post(api, "/v2/enqueue", pagerduty.resolve())

    assert fired.status_code == resolved.status_code == 202
    (item,) = (await operator.get("/v1/incidents")).json()["items"]
    assert item["service"] == "payroll"
    assert item["status"] == "resolved"


async def test_details_no_database_can_store_are_dropped_not_fatal(
    api: Any, operator: httpx.AsyncClient
) -> None:
    await new_integration(operator, "pagerduty", key=pagerduty.ROUTING_KEY)
    raw = (
        json.dumps(pagerduty.trigger())
        .replace('"1%"', '"1%\\u0000 and \\ud800"')
        .replace('"ping time"', '"ping\\u0000time"')
    )

    response = await post(api, "/v2/enqueue", raw)

    assert response.status_code == 202, response.text
    (item,) = (await operator.get("/v1/incidents")).json()["items"]
    labels = (await incident(operator, item["id"]))["alerts"][0]["labels"]
    assert labels["free space"] == "1% and ?"
    assert labels["pingtime"] == "1500ms"


def _stamped(event: dict[str, Any], at: datetime) -> dict[str, Any]:
    event["payload"]["timestamp"] = at.isoformat()
    return event


async def test_a_sender_clock_ahead_does_not_lose_the_resolve(
    api: Any, operator: httpx.AsyncClient
) -> None:
    """The resolve carries no timestamp: were the trigger dated by the sender's clock, two
    minutes ahead, the resolve would look older than the firing and be ignored forever."""
    await new_integration(operator, "pagerduty", key=pagerduty.ROUTING_KEY)
    ahead = datetime.now(UTC) + timedelta(minutes=2)

    fired = await post(api, "/v2/enqueue", _stamped(pagerduty.trigger(), ahead))
    resolved = await post(api, "/v2/enqueue", pagerduty.resolve())

    assert fired.status_code == resolved.status_code == 202
    found = await only_incident(operator)
    assert found["status"] == "resolved"
    (alert,) = found["alerts"]
    assert datetime.fromisoformat(alert["labels"]["pagerduty_timestamp"]) == ahead
    assert datetime.fromisoformat(alert["starts_at"]) < ahead - timedelta(minutes=1)


async def test_a_sender_clock_behind_does_not_make_a_new_trigger_stale(
    api: Any, operator: httpx.AsyncClient
) -> None:
    """Dated by the sender's clock, an hour behind, a trigger after a resolve would look
    older than that resolve (dated by ours) and be ignored."""
    await new_integration(operator, "pagerduty", key=pagerduty.ROUTING_KEY)
    behind = datetime.now(UTC) - timedelta(hours=1)

    first = await post(api, "/v2/enqueue", _stamped(pagerduty.trigger(), behind))
    resolved = await post(api, "/v2/enqueue", pagerduty.resolve())
    again = await post(
        api, "/v2/enqueue", _stamped(pagerduty.trigger(), behind + timedelta(seconds=30))
    )

    assert first.status_code == resolved.status_code == again.status_code == 202
    items = (await operator.get("/v1/incidents")).json()["items"]
    # Fired again after its resolution: a new incident (or the old one reopened) fires.
    assert sum(item["firing_alerts"] for item in items) == 1
    assert any(item["status"] != "resolved" for item in items), items


async def test_acknowledge_and_resolve_go_where_the_trigger_went_past_the_rules(
    api: Any, operator: httpx.AsyncClient
) -> None:
    """The rules see a resolve's labels ({dedup_key}) only: a catch-all rule after the one
    that placed the trigger must not send its acknowledge or resolve to another service."""
    await ensure_service(operator, "payroll", "Payroll")
    created = await new_integration(operator, "pagerduty", key=pagerduty.ROUTING_KEY)
    rules = [
        {"matchers": [{"label": "service", "op": "=", "value": "payroll"}], "service": "payroll"},
        {"matchers": [], "service": "email"},
    ]
    put = await operator.put(f"/v1/integrations/{created['id']}/routing-rules", json=rules)
    assert put.status_code == 200, put.text
    trigger = pagerduty.trigger()
    trigger["payload"]["custom_details"]["service"] = "payroll"

    fired = await post(api, "/v2/enqueue", trigger)
    acknowledged = await post(api, "/v2/enqueue", pagerduty.acknowledge())
    seen = await only_incident(operator)
    resolved = await post(api, "/v2/enqueue", pagerduty.resolve())

    assert [r.status_code for r in (fired, acknowledged, resolved)] == [202, 202, 202]
    assert seen["service"] == "payroll"
    assert seen["acknowledged_by"] == f"integration:{created['name']}", seen
    found = await only_incident(operator)
    assert (found["service"], found["status"]) == ("payroll", "resolved")
