"""Bad input gets a clear 4xx and leaves no trace in the database or on Kafka."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.conftest import RunningApi
from tests.incident_api.helpers import post_alert, row_counts, setup_email
from tests.kafka_helpers import read_events
from tests.payloads import alertmanager


@pytest.fixture
async def small_api(api_settings: Any) -> AsyncIterator[RunningApi]:
    """incident-api with a 4 KiB body limit."""
    running = RunningApi(api_settings.model_copy(update={"max_body_bytes": 4096}))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def assert_no_trace(api: RunningApi, broker: str, topic_prefix: str) -> None:
    counts = await row_counts(api)
    assert counts["incidents"] == 0
    assert counts["alerts"] == 0
    events = await read_events(broker, f"{topic_prefix}candor.incident.v1", count=1, timeout=2)
    assert events == []


async def test_malformed_payloads_get_422_naming_the_field(
    small_api: RunningApi, broker: str, topic_prefix: str
) -> None:
    async with small_api.client() as operator:
        key = await setup_email(operator)
    wrong_status = alertmanager()
    wrong_status["alerts"][0]["status"] = "burning"
    naive_time = alertmanager(starts_at="2026-11-23T09:58:00")
    wrong_version = alertmanager()
    wrong_version["version"] = "3"
    no_alerts = alertmanager()
    no_alerts["alerts"] = []
    cases: list[tuple[Any, str]] = [
        (wrong_status, "body.alerts.0.status"),
        (naive_time, "body.alerts.0.startsAt"),
        (wrong_version, "body.version"),
        (no_alerts, "body.alerts"),
        ({"version": "4", "status": "firing"}, "body.alerts"),
        (b"{not json", "body"),
        (b"[]", "body"),
    ]
    for payload, field in cases:
        response = await post_alert(small_api, key, payload)
        assert response.status_code == 422, (field, response.text)
        problem = response.json()
        assert response.headers["content-type"] == "application/problem+json"
        assert any(".".join(map(str, e["loc"])).startswith(field) for e in problem["errors"]), (
            field,
            problem,
        )
    await assert_no_trace(small_api, broker, topic_prefix)


async def test_wrong_missing_or_revoked_key_gets_401(
    small_api: RunningApi, broker: str, topic_prefix: str
) -> None:
    async with small_api.client() as operator:
        key = await setup_email(operator)
        integration = (await operator.get("/v1/integrations")).json()["items"][0]
        other = await operator.post(
            "/v1/integrations", json={"name": "old", "source": "alertmanager"}
        )
        await operator.delete(f"/v1/integrations/{other.json()['id']}")
    assert integration["key_prefix"] == key[: len(integration["key_prefix"])]

    responses = [
        await post_alert(small_api, None, alertmanager()),
        await post_alert(small_api, "cndr_ik_" + "x" * 43, alertmanager()),
        await post_alert(small_api, other.json()["key"], alertmanager()),
        await post_alert(small_api, key + "x", alertmanager()),
    ]

    for response in responses:
        assert response.status_code == 401, response.text
        assert response.headers["www-authenticate"] == "Bearer"
    await assert_no_trace(small_api, broker, topic_prefix)


async def test_body_over_limit_gets_413(
    small_api: RunningApi, broker: str, topic_prefix: str
) -> None:
    async with small_api.client() as operator:
        key = await setup_email(operator)
    big = alertmanager(summary="x" * 5000)
    raw = json.dumps(big).encode()

    declared = await post_alert(small_api, key, big)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(raw), 1000):
            yield raw[start : start + 1000]

    async with httpx.AsyncClient(base_url=small_api.url) as client:
        streamed = await client.post(
            "/v1/ingest/alertmanager",
            content=chunks(),
            headers={"authorization": f"Bearer {key}", "content-type": "application/json"},
        )

    assert declared.status_code == 413
    assert streamed.status_code == 413
    assert "4096 bytes" in streamed.json()["detail"]
    await assert_no_trace(small_api, broker, topic_prefix)


async def test_operator_endpoints_refuse_without_token(api: RunningApi) -> None:
    async with api.client(token=None) as anonymous, api.client(token="wrong") as wrong:
        for client in (anonymous, wrong):
            assert (await client.get("/v1/incidents")).status_code == 401
            response = await client.post("/v1/services", json={"slug": "x", "name": "X"})
            assert response.status_code == 401


async def test_bad_cursor_and_unknown_ids_are_clear(operator: httpx.AsyncClient) -> None:
    bad_cursor = await operator.get("/v1/incidents", params={"cursor": "!!!"})
    unknown = await operator.get("/v1/incidents/01a2071c-2483-71e6-bebe-66a6aa42a726")
    not_uuid = await operator.get("/v1/incidents/not-a-uuid")

    assert bad_cursor.status_code == 400
    assert unknown.status_code == 404
    assert not_uuid.status_code == 422


async def test_values_a_database_cannot_store_get_422(
    small_api: RunningApi, broker: str, topic_prefix: str
) -> None:
    async with small_api.client() as operator:
        key = await setup_email(operator)
    nul = alertmanager(summary="mail\u0000down")
    huge_label = alertmanager()
    huge_label["alerts"][0]["labels"]["note"] = "x" * 5000
    year_one_offset = alertmanager(starts_at="0001-01-01T00:00:00+01:00")
    far_future = alertmanager(starts_at="9999-12-31T23:30:00-05:00")
    cases = [
        (nul, "body.alerts.0.annotations"),
        (year_one_offset, "body.alerts.0.startsAt"),
        (far_future, "body.alerts.0.startsAt"),
    ]

    for payload, field in cases:
        response = await post_alert(small_api, key, payload)
        assert response.status_code == 422, (field, response.text)
        assert any(".".join(map(str, e["loc"])) == field for e in response.json()["errors"])
    async with small_api.client(token=key) as client:
        oversized = await client.post("/v1/ingest/alertmanager", json=huge_label)
    assert oversized.status_code in (413, 422)
    await assert_no_trace(small_api, broker, topic_prefix)


async def test_long_severity_is_kept_short_not_refused(api: RunningApi) -> None:
    async with api.client() as operator:
        key = await setup_email(operator)
        response = await post_alert(api, key, alertmanager(severity="s" * 100))
        assert response.status_code == 202, response.text
        incident = (await operator.get(f"/v1/incidents/{response.json()['incidents'][0]}")).json()
    assert incident["alerts"][0]["severity"] == "s" * 32


async def test_time_filters_without_offset_get_422(operator: httpx.AsyncClient) -> None:
    naive = await operator.get("/v1/incidents", params={"opened_after": "2026-01-01T00:00:00"})
    aware = await operator.get("/v1/incidents", params={"opened_after": "2026-01-01T00:00:00Z"})

    assert naive.status_code == 422
    assert "query.opened_after" in naive.json()["detail"]
    assert aware.status_code == 200
