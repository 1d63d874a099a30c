"""End to end: alerts posted to incident-api become outages in sla-monitor's ledger."""

from __future__ import annotations

from typing import Any

import httpx

from candor_shared.intervals import Window
from candor_shared.worker import Worker
from candor_sla_monitor.ledger import service
from tests.conftest import eventually
from tests.payloads import alertmanager
from tests.sla_monitor.helpers import alert_intervals, at, outages, sessions_of

FIRING_AT = "2026-03-02T08:00:00Z"


async def setup_email(operator: httpx.AsyncClient) -> tuple[str, str]:
    """Create the Email service and an Alertmanager integration; return its id and the key."""
    response = await operator.post("/v1/services", json={"slug": "email", "name": "Email"})
    assert response.status_code in (200, 201), response.text
    service_id: str = response.json()["id"]
    response = await operator.post(
        "/v1/integrations",
        json={"name": "prom", "source": "alertmanager", "default_service": "email"},
    )
    assert response.status_code == 201, response.text
    key: str = response.json()["key"]
    return service_id, key


async def post_alert(api: Any, key: str, payload: dict[str, Any]) -> None:
    """POST an Alertmanager payload with the integration key; incident-api accepts it."""
    async with api.client(token=key) as client:
        response = await client.post("/v1/ingest/alertmanager", json=payload)
    assert response.status_code == 202, response.text


async def test_firing_then_resolved_alert_records_the_outage_with_exact_times(
    api: Any, operator: httpx.AsyncClient, sla_monitor: Worker
) -> None:
    service_id, key = await setup_email(operator)

    await post_alert(api, key, alertmanager(starts_at=FIRING_AT))

    [outage] = await eventually(lambda: outages(sla_monitor))
    incident = (await operator.get("/v1/incidents")).json()["items"][0]
    assert outage.incident_id == incident["id"]
    assert (outage.service_id, outage.service_slug) == (service_id, "email")
    assert outage.impact == "major"
    assert (outage.started_at, outage.ended_at, outage.last_version) == (at("08:00"), None, 1)

    await post_alert(
        api,
        key,
        alertmanager(status="resolved", starts_at=FIRING_AT, ends_at="2026-03-02T08:45:00Z"),
    )

    [outage] = await eventually(lambda: _ended(sla_monitor), timeout=15)
    assert (outage.started_at, outage.ended_at) == (at("08:00"), at("08:45"))
    assert outage.last_version == 2
    [interval] = await eventually(lambda: _closed_intervals(sla_monitor, 1))
    assert (interval.source, interval.fingerprint) == ("alertmanager", "c6b2f1e0a7d34b55")
    assert (interval.starts_at, interval.ends_at) == (at("08:00"), at("08:45"))
    assert interval.severity == "critical"
    assert interval.incident_id == incident["id"]


async def test_two_overlapping_alerts_are_one_outage_and_count_once(
    api: Any, operator: httpx.AsyncClient, sla_monitor: Worker
) -> None:
    _, key = await setup_email(operator)
    await post_alert(api, key, alertmanager(fingerprint="a1", starts_at=FIRING_AT))
    await post_alert(
        api,
        key,
        alertmanager(fingerprint="b2", alertname="SmtpDown", starts_at="2026-03-02T08:10:00Z"),
    )
    await post_alert(
        api,
        key,
        alertmanager(
            fingerprint="a1",
            status="resolved",
            starts_at=FIRING_AT,
            ends_at="2026-03-02T08:30:00Z",
        ),
    )
    await post_alert(
        api,
        key,
        alertmanager(
            fingerprint="b2",
            alertname="SmtpDown",
            status="resolved",
            starts_at="2026-03-02T08:10:00Z",
            ends_at="2026-03-02T08:50:00Z",
        ),
    )

    [outage] = await eventually(lambda: _ended(sla_monitor))
    assert (outage.started_at, outage.ended_at) == (at("08:00"), at("08:50"))
    intervals = await eventually(lambda: _closed_intervals(sla_monitor, 2))
    assert [(i.fingerprint, i.starts_at, i.ends_at) for i in intervals] == [
        ("a1", at("08:00"), at("08:30")),
        ("b2", at("08:10"), at("08:50")),
    ]
    async with sessions_of(sla_monitor)() as session:
        ledger = await service.ledger_of(
            session=session,
            service_slug="email",
            window=Window(at("00:00"), at("2026-03-03T00:00:00+00:00")),
            now=at("2026-03-03T00:00:00+00:00"),
        )
    assert ledger.declared_downtime.total_seconds() == 50 * 60
    assert ledger.measured_downtime.total_seconds() == 50 * 60


async def _ended(worker: Worker) -> list[Any]:
    rows = await outages(worker)
    return rows if rows and all(row.ended_at is not None for row in rows) else []


async def _closed_intervals(worker: Worker, count: int) -> list[Any]:
    rows = await alert_intervals(worker)
    closed = [row for row in rows if row.ends_at is not None]
    return rows if len(closed) == count == len(rows) else []
