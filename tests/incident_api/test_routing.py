"""Routing: rules, labels and default services place alerts; nothing placed is dropped."""

from __future__ import annotations

from typing import Any

import httpx

from candor_shared.contract.catalog import RoutingRulesChanged
from tests.incident_api.helpers import post_alert, row_counts, setup_email
from tests.kafka_helpers import read_events
from tests.payloads import alertmanager


async def _integration_id(operator: httpx.AsyncClient, name: str = "prom") -> str:
    listed = (await operator.get("/v1/integrations")).json()
    items = listed["items"] if isinstance(listed, dict) else listed
    return str(next(item["id"] for item in items if item["name"] == name))


async def test_alerts_nothing_places_are_kept_listed_and_can_be_routed(
    api: Any, operator: httpx.AsyncClient
) -> None:
    key = await setup_email(operator, default_service=None)

    unknown = await post_alert(api, key, alertmanager(service="nope", fingerprint="u1"))
    missing = await post_alert(api, key, alertmanager(service=None, fingerprint="m1"))
    again = await post_alert(api, key, alertmanager(service=None, fingerprint="m1"))

    assert [r.status_code for r in (unknown, missing, again)] == [202, 202, 202]
    assert unknown.json()["incidents"] == []
    assert (await row_counts(api))["incidents"] == 0
    listed = (await operator.get("/v1/unrouted-alerts")).json()
    by_fingerprint = {item["fingerprint"]: item for item in listed["items"]}
    assert set(by_fingerprint) == {"u1", "m1"}
    assert "'nope'" in by_fingerprint["u1"]["reason"]
    assert "default service" in by_fingerprint["m1"]["reason"]
    assert by_fingerprint["m1"]["received"] == 2

    routed = await operator.post(
        f"/v1/unrouted-alerts/{by_fingerprint['m1']['id']}/route", json={"service": "email"}
    )

    assert routed.status_code == 200, routed.text
    incident = (await operator.get(f"/v1/incidents/{routed.json()['incident_id']}")).json()
    assert incident["service"] == "email"
    assert incident["status"] == "investigating"
    remaining = (await operator.get("/v1/unrouted-alerts")).json()["items"]
    assert [item["fingerprint"] for item in remaining] == ["u1"]


async def test_rules_route_in_order_and_the_first_match_wins(
    api: Any, operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    key = await setup_email(operator, default_service=None)
    await operator.post("/v1/services", json={"slug": "payroll", "name": "Payroll"})
    integration = await _integration_id(operator)
    rules = [
        {
            "matchers": [{"label": "instance", "op": "=~", "value": "pay[0-9]+:.*"}],
            "service": "payroll",
        },
        {"matchers": [{"label": "service", "op": "=", "value": "email"}], "service": "email"},
    ]

    put = await operator.put(f"/v1/integrations/{integration}/routing-rules", json=rules)
    again = await operator.put(f"/v1/integrations/{integration}/routing-rules", json=rules)

    assert put.status_code == 200, put.text
    assert [r["service"] for r in again.json()] == ["payroll", "email"]
    payload = alertmanager(service="email", fingerprint="p1")
    payload["alerts"][0]["labels"]["instance"] = "pay7:9100"
    matched = await post_alert(api, key, payload)
    unmatched = await post_alert(api, key, alertmanager(service="email", fingerprint="e1"))

    assert matched.status_code == 202, matched.text
    first = (await operator.get(f"/v1/incidents/{matched.json()['incidents'][0]}")).json()
    second = (await operator.get(f"/v1/incidents/{unmatched.json()['incidents'][0]}")).json()
    assert (first["service"], second["service"]) == ("payroll", "email")
    changes = [
        e
        for e in await read_events(broker, f"{topic_prefix}candor.catalog.v1", count=4)
        if isinstance(e.data, RoutingRulesChanged)
    ]
    assert len(changes) == 2
    assert changes[0].data.integration_id == integration


async def test_a_rule_with_a_bad_regex_or_unknown_service_is_refused(
    operator: httpx.AsyncClient,
) -> None:
    await setup_email(operator)
    integration = await _integration_id(operator)

    regex = await operator.put(
        f"/v1/integrations/{integration}/routing-rules",
        json=[{"matchers": [{"label": "a", "op": "=~", "value": "("}], "service": "email"}],
    )
    unknown = await operator.put(
        f"/v1/integrations/{integration}/routing-rules", json=[{"service": "nope"}]
    )

    assert regex.status_code == 422
    assert "regular expression" in regex.text
    assert unknown.status_code == 422
    assert "body.0.service" in unknown.json()["detail"]
    assert (await operator.get(f"/v1/integrations/{integration}/routing-rules")).json() == []


async def test_an_integration_of_one_service_cannot_touch_another(
    api: Any, operator: httpx.AsyncClient
) -> None:
    key = await setup_email(operator, default_service="email")
    await operator.post("/v1/services", json={"slug": "payroll", "name": "Payroll"})

    response = await post_alert(api, key, alertmanager(service="payroll"))

    assert response.status_code == 403, response.text
    assert "'payroll'" in response.json()["detail"]
    assert await row_counts(api) == {"incidents": 0, "alerts": 0, "outbox": 0} or (
        (await row_counts(api))["incidents"] == 0
    )
    own = await post_alert(api, key, alertmanager(service="email"))
    assert own.status_code == 202
