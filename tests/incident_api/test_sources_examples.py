"""Each source's own documented example payloads, firing then resolved, posted over HTTP to a
running incident-api: an incident opens, then resolves. (CloudWatch, which needs a signed SNS
envelope, is in test_sources_sns.py.)"""

from __future__ import annotations

from typing import Any

import httpx

from tests.incident_api.payloads import (
    azure_monitor,
    datadog,
    generic,
    grafana,
    pagerduty,
    uptime_kuma,
)
from tests.incident_api.sources.helpers import (
    ensure_service,
    incident,
    new_integration,
    only_incident,
    post,
)


async def test_grafana_documented_notification_opens_and_resolves(
    api: Any, operator: httpx.AsyncClient
) -> None:
    key = (await new_integration(operator, "grafana"))["key"]

    fired = await post(api, "/v1/ingest/grafana", grafana.firing(), key=key)

    assert fired.status_code == 202, fired.text
    assert fired.json()["alerts"] == 2
    (incident_id,) = fired.json()["incidents"]
    opened = await incident(operator, incident_id)
    assert opened["service"] == "email"
    assert opened["status"] == "investigating"
    assert opened["title"] == "This alert was triggered for zone us-1"
    assert opened["started_at"] == "2021-10-12T07:51:03.157076Z"
    assert {a["fingerprint"] for a in opened["alerts"]} == {"c6eadffa33fcdf37", "bc97ff14869b13e3"}
    assert all(a["source"] == "grafana" for a in opened["alerts"])

    cleared = await post(api, "/v1/ingest/grafana", grafana.resolved(), key=key)

    assert cleared.status_code == 202, cleared.text
    closed = await incident(operator, incident_id)
    assert closed["status"] == "resolved"
    assert closed["resolved_at"] == "2021-10-12T08:20:03.157076Z"


async def test_pagerduty_documented_events_trigger_acknowledge_resolve(
    api: Any, operator: httpx.AsyncClient
) -> None:
    await new_integration(operator, "pagerduty", key=pagerduty.ROUTING_KEY)

    triggered = await post(api, "/v2/enqueue", pagerduty.trigger())

    assert triggered.status_code == 202, triggered.text
    assert triggered.json() == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "srv01/mysql",
    }
    opened = await only_incident(operator)
    assert opened["title"] == "DISK at 99% on machine prod-datapipe03.example.com"
    # Dated when received (the sender's clock is not ours); its timestamp kept as a label.
    assert opened["started_at"] > "2020"
    (alert,) = opened["alerts"]
    assert alert["labels"]["pagerduty_timestamp"] == "2015-07-17T08:42:58.315000+00:00"
    assert alert["fingerprint"] == "srv01/mysql"
    assert alert["labels"]["source"] == "prod-datapipe03.example.com"
    assert alert["labels"]["component"] == "mysql"
    assert alert["labels"]["group"] == "prod-datapipe"
    assert alert["labels"]["free space"] == "1%"
    assert alert["labels"]["load avg"] == "0.75"

    acknowledged = await post(api, "/v1/ingest/pagerduty", pagerduty.acknowledge())

    assert acknowledged.status_code == 202, acknowledged.text
    assert acknowledged.json()["dedup_key"] == "srv01/mysql"
    seen = await incident(operator, opened["id"])
    assert seen["acknowledged_at"] is not None
    assert seen["status"] != "resolved"

    resolved = await post(api, "/v2/enqueue", pagerduty.resolve())

    assert resolved.status_code == 202, resolved.text
    assert (await incident(operator, opened["id"]))["status"] == "resolved"


async def test_datadog_template_body_opens_and_resolves(
    api: Any, operator: httpx.AsyncClient
) -> None:
    key = (await new_integration(operator, "datadog"))["key"]

    fired = await post(api, "/v1/ingest/datadog", datadog.triggered(), key=key)

    assert fired.status_code == 202, fired.text
    (incident_id,) = fired.json()["incidents"]
    opened = await incident(operator, incident_id)
    assert opened["title"] == "Host is Down"
    assert opened["started_at"] == "2014-07-29T19:37:52Z"
    (alert,) = opened["alerts"]
    assert alert["labels"]["availability-zone"] == "us-east-1a"
    assert alert["labels"]["monitor_id"] == "1234"

    cleared = await post(api, "/v1/ingest/datadog", datadog.recovered(), key=key)

    assert cleared.status_code == 202, cleared.text
    closed = await incident(operator, incident_id)
    assert closed["status"] == "resolved"
    assert closed["resolved_at"] == "2014-07-29T19:42:52Z"


async def test_uptime_kuma_down_then_up(api: Any, operator: httpx.AsyncClient) -> None:
    await ensure_service(operator, "email", "Email")
    # No default service: the monitor's "service" tag routes the alert.
    key = (await new_integration(operator, "uptime-kuma", default_service=None))["key"]

    tested = await post(api, "/v1/ingest/uptime-kuma", uptime_kuma.test_message(), key=key)
    fired = await post(api, "/v1/ingest/uptime-kuma", uptime_kuma.down(), key=key)

    assert tested.status_code == 202, tested.text
    assert tested.json()["alerts"] == 0
    assert fired.status_code == 202, fired.text
    (incident_id,) = fired.json()["incidents"]
    opened = await incident(operator, incident_id)
    assert opened["service"] == "email"
    assert opened["title"] == "Test is down"
    assert opened["started_at"] == "2024-09-24T23:51:35.527000Z"
    assert opened["alerts"][0]["labels"]["message"] == "getaddrinfo ENOTFOUND test.com"

    cleared = await post(api, "/v1/ingest/uptime-kuma", uptime_kuma.up(), key=key)

    assert cleared.status_code == 202, cleared.text
    closed = await incident(operator, incident_id)
    assert closed["status"] == "resolved"
    assert closed["resolved_at"] == "2024-09-25T00:01:35.527000Z"


async def test_azure_monitor_documented_sample_fired_then_resolved(
    api: Any, operator: httpx.AsyncClient
) -> None:
    key = (await new_integration(operator, "azure-monitor"))["key"]

    # An action group cannot send headers: the key travels in the URL.
    fired = await post(api, "/v1/ingest/azure-monitor", azure_monitor.fired(), params={"key": key})

    assert fired.status_code == 202, fired.text
    (incident_id,) = fired.json()["incidents"]
    opened = await incident(operator, incident_id)
    assert opened["title"] == "WCUS-R2-Gen2"
    assert opened["started_at"] == "2019-03-22T13:58:24.371321Z"
    assert opened["alerts"][0]["labels"]["Key1"] == "Value1"
    assert opened["alerts"][0]["severity"] == "info"

    cleared = await post(
        api, "/v1/ingest/azure-monitor", azure_monitor.resolved(), params={"key": key}
    )

    assert cleared.status_code == 202, cleared.text
    closed = await incident(operator, incident_id)
    assert closed["status"] == "resolved"
    assert closed["resolved_at"] == "2019-03-22T14:03:16.224631Z"


async def test_generic_documented_examples_batch_and_single_object(
    api: Any, operator: httpx.AsyncClient
) -> None:
    key = (await new_integration(operator, "generic", default_service=None))["key"]
    await ensure_service(operator, "email", "Email")

    fired = await post(api, "/v1/ingest/generic", generic.firing(), key=key)

    assert fired.status_code == 202, fired.text
    (incident_id,) = fired.json()["incidents"]
    opened = await incident(operator, incident_id)
    assert opened["service"] == "email"
    assert opened["title"] == "Outgoing mail is not being delivered"
    assert opened["alerts"][0]["fingerprint"] == "zabbix-event-4711"

    cleared = await post(api, "/v1/ingest/generic", generic.resolved(), key=key)

    assert cleared.status_code == 202, cleared.text
    assert cleared.json()["alerts"] == 1
    closed = await incident(operator, incident_id)
    assert closed["status"] == "resolved"
    assert closed["resolved_at"] == "2025-11-24T10:20:00Z"
