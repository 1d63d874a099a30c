"""incident-api asks sla-monitor for perception-gap reports (POST, through its outbox), keeps
the newest of each month from the SLA topic, and serves it as JSON and as a page; bad input
gets 4xx with what to send.

Reports here are put on the SLA topic by the test, as sla-monitor would publish them; the
way through sla-monitor is in tests/e2e/test_perception.py.
"""

from __future__ import annotations

from typing import Any

import httpx

from candor_shared.contract import (
    CloudEvent,
    PerceptionReport,
    PerceptionReportPublished,
    PerceptionReportRequested,
    ServiceRef,
    Topics,
    new_event,
    to_kafka,
)
from candor_shared.kafka import new_producer
from tests.conftest import RunningApi, eventually
from tests.incident_api.test_reports import SvgPage, create_email
from tests.kafka_helpers import read_events

EXAMPLE = PerceptionReport.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]


def march(service: ServiceRef, *, generated: str, flags: list[str]) -> PerceptionReport:
    """March's perception report as sla-monitor would make it (the schema's example)."""
    return PerceptionReport.model_validate(
        {**EXAMPLE, "service": service, "generated_at": generated, "flags": flags}
    )


async def publish(api: RunningApi, *reports: PerceptionReport) -> None:
    producer = new_producer(api.settings, client_id="tests")
    await producer.start()
    try:
        topic = Topics(api.settings.kafka_topic_prefix).sla
        for report in reports:
            event: CloudEvent[Any] = new_event(
                PerceptionReportPublished(report=report, requested_by="ada"),
                source="/tests",
                key=report.service.id,
            )
            key, value, headers = to_kafka(event)
            await producer.send_and_wait(topic, value=value, key=key, headers=headers)
    finally:
        await producer.stop()


async def test_asking_publishes_the_request_on_the_sla_topic(
    api: RunningApi, operator: httpx.AsyncClient
) -> None:
    email = await create_email(operator)

    response = await operator.post("/v1/reports/email/perception", params={"month": "2026-03"})

    assert response.status_code == 202, response.text
    assert response.json() == {
        "service": "email",
        "period": "2026-03",
        "requested_by": "admin",
        "report_url": "/v1/reports/email/perception?month=2026-03",
    }
    assert response.headers["location"] == "/v1/reports/email/perception?month=2026-03"
    topic = Topics(api.settings.kafka_topic_prefix).sla

    async def requested() -> list[CloudEvent[Any]]:
        events = await read_events(api.settings.kafka_bootstrap, topic, count=10, timeout=1)
        return [e for e in events if isinstance(e.data, PerceptionReportRequested)]

    (event,) = await eventually(requested, timeout=20)
    assert event.partitionkey == email.id
    assert (event.data.service, event.data.period, event.data.requested_by) == (
        email,
        "2026-03",
        "admin",
    )


async def test_the_newest_report_of_the_month_is_kept_and_served(
    api: RunningApi, operator: httpx.AsyncClient
) -> None:
    email = await create_email(operator)
    response = await operator.get("/v1/reports/email/perception", params={"month": "2026-03"})
    assert response.status_code == 404
    assert "POST /v1/reports/email/perception?month=2026-03" in response.json()["detail"]

    newer = march(email, generated="2026-04-03T08:00:00Z", flags=["communication_gap"])
    older = march(email, generated="2026-04-02T08:00:00Z", flags=[])
    await publish(api, newer, older)

    async def served() -> Any:
        got = await operator.get("/v1/reports/email/perception", params={"month": "2026-03"})
        return got if got.status_code == 200 else None

    answer = await eventually(served, timeout=20)
    assert answer.headers["vary"] == "Accept"
    # The older report, arriving last, did not replace the newer one.
    assert PerceptionReport.model_validate(answer.json()) == newer

    page_response = await operator.get(
        "/v1/reports/email/perception",
        params={"month": "2026-03"},
        headers={"Accept": "text/html"},
    )
    assert page_response.status_code == 200
    page = SvgPage()
    page.feed(page_response.text)
    page.close()
    assert page.errors == []
    assert "Communication gap" in page.text_by_id["flag-communication_gap"]
    assert [b["data-minutes"] for b in page.with_class("rect", "bar", "perceived")] == ["180.0"]
    assert "2.33 of 7" in page.text_by_id["kept-informed"]


async def test_bad_requests_say_what_to_send(api: RunningApi, operator: httpx.AsyncClient) -> None:
    await create_email(operator)
    for month in ("2026-13", "03-2026", "1970-12", "9999-01"):
        for method in ("GET", "POST"):
            response = await operator.request(
                method, "/v1/reports/email/perception", params={"month": month}
            )
            assert response.status_code == 422, (method, month, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert "month" in response.json()["detail"]
    for method in ("GET", "POST"):
        response = await operator.request(method, "/v1/reports/nope/perception")
        assert response.status_code == 404
    async with api.client(token=None) as anyone:
        assert (await anyone.get("/v1/reports/email/perception")).status_code == 401
    response = await operator.post("/v1/tokens", json={"name": "vera", "role": "viewer"})
    assert response.status_code == 201, response.text
    async with api.client(token=response.json()["token"]) as viewer:
        assert (await viewer.post("/v1/reports/email/perception")).status_code == 403
        assert (await viewer.get("/v1/reports/email/perception")).status_code == 404
