"""A malformed payload of each source gets 422 naming the field, and leaves no trace.
(PagerDuty answers 400 as PagerDuty does: test_sources_pagerduty.py; CloudWatch:
test_sources_sns.py; Alertmanager: test_bad_input.py.)"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.incident_api.helpers import row_counts
from tests.incident_api.payloads import azure_monitor, datadog, generic, grafana, uptime_kuma
from tests.incident_api.sources.helpers import new_integration, post


def _changed(payload: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    target: Any = payload
    for part in path[:-1]:
        target = target[part]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return payload


_DELETE = object()

CASES: list[tuple[str, dict[str, Any], str]] = [
    (
        "grafana",
        _changed(grafana.firing(), ["alerts", 0, "status"], "burning"),
        "body.alerts.0.status",
    ),
    (
        "grafana",
        _changed(grafana.firing(), ["alerts", 1, "startsAt"], "2021-10-12T09:56:03"),
        "body.alerts.1.startsAt",
    ),
    (
        "grafana",
        _changed(grafana.firing(), ["alerts", 0, "labels", "zone"], "us\u00001"),
        "body.alerts.0.labels",
    ),
    ("grafana", _changed(grafana.firing(), ["alerts"], []), "body.alerts"),
    (
        "datadog",
        _changed(datadog.triggered(), ["alert_transition"], "$ALERT_TRANSITION"),
        "body.alert_transition",
    ),
    ("datadog", _changed(datadog.triggered(), ["date"], "$DATE"), "body.date"),
    ("datadog", _changed(datadog.triggered(), ["date"], _DELETE), "body.date"),
    (
        "uptime-kuma",
        _changed(uptime_kuma.down(), ["heartbeat", "status"], 7),
        "body.heartbeat.status",
    ),
    (
        "uptime-kuma",
        _changed(uptime_kuma.down(), ["heartbeat", "time"], "soon"),
        "body.heartbeat.time",
    ),
    ("uptime-kuma", _changed(uptime_kuma.down(), ["monitor", "id"], _DELETE), "body.monitor.id"),
    (
        "azure-monitor",
        _changed(azure_monitor.fired(), ["schemaId"], "Microsoft.Insights/activityLogs"),
        "body.schemaId",
    ),
    (
        "azure-monitor",
        _changed(azure_monitor.fired(), ["data", "essentials", "monitorCondition"], "Burning"),
        "body.data.essentials.monitorCondition",
    ),
    (
        "azure-monitor",
        _changed(
            azure_monitor.fired(), ["data", "essentials", "firedDateTime"], "0001-01-01T00:00:00Z"
        ),
        "body.data.essentials.firedDateTime",
    ),
    (
        "generic",
        _changed(generic.firing(), ["alerts", 0, "status"], "burning"),
        "body.alerts.0.status",
    ),
    ("generic", _changed(generic.resolved(), ["summary"], _DELETE), "body.alerts.0.summary"),
    (
        "generic",
        _changed(generic.firing(), ["alerts", 0, "starts_at"], "2025-11-24T09:58:00"),
        "body.alerts.0.starts_at",
    ),
    (
        "generic",
        _changed(generic.firing(), ["alerts", 0, "service"], "Not A Slug"),
        "body.alerts.0.service",
    ),
    ("generic", _changed(generic.firing(), ["alerts", 0, "colour"], "red"), "body.alerts.0.colour"),
]


@pytest.mark.parametrize(("source", "payload", "field"), CASES)
async def test_malformed_payload_gets_422_naming_the_field(
    api: Any, operator: httpx.AsyncClient, source: str, payload: dict[str, Any], field: str
) -> None:
    key = (await new_integration(operator, source))["key"]

    response = await post(api, f"/v1/ingest/{source}", payload, key=key)

    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    locations = [".".join(map(str, error["loc"])) for error in problem["errors"]]
    assert any(location.startswith(field) for location in locations), (field, problem)
    assert field.split(".")[1] in problem["detail"]
    assert (await row_counts(api))["alerts"] == 0


@pytest.mark.parametrize(
    "source", ["grafana", "datadog", "uptime-kuma", "azure-monitor", "generic"]
)
async def test_not_json_or_not_an_object_gets_422(
    api: Any, operator: httpx.AsyncClient, source: str
) -> None:
    key = (await new_integration(operator, source))["key"]

    for body in (b"{not json", b"[]", b'"text"'):
        response = await post(api, f"/v1/ingest/{source}", body, key=key)
        assert response.status_code == 422, (source, body, response.text)
        assert response.json()["errors"][0]["loc"][0] == "body"
