"""Agreements from the catalog topic, and GET /v1/services/{slug}/facts on sla-monitor's port.

Every expected figure is worked out by hand in the comments; "now" is 9 March 2026, 00:00 UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from candor_shared.contract import (
    CloudEvent,
    ServiceDeleted,
    ServiceUpserted,
    Topics,
    new_event,
    to_kafka,
)
from candor_shared.kafka import new_producer
from candor_shared.worker import Worker
from candor_sla_monitor.agreements.models import Agreement
from tests.conftest import eventually
from tests.payloads import alertmanager
from tests.sla_monitor.helpers import (
    SERVICE,
    alert_fired,
    alert_intervals,
    alert_resolved,
    at,
    consumers_joined,
    opened,
    outages,
    publish,
    resolved,
    serving_worker,
    sessions_of,
    snapshot,
    wait_handled,
)
from tests.sla_monitor.test_ledger_from_incident_api import post_alert, setup_email

NOW = at("2026-03-09T00:00:00+00:00")
A = "0195f0c2-aaaa-7000-8000-000000000001"
B = "0195f0c2-bbbb-7000-8000-000000000002"
C = "0195f0c2-cccc-7000-8000-000000000003"
WEEK = 7 * 24 * 3600
# March 2026 in Paris began on 28 February at 23:00 UTC: until now, 8 days and 1 hour.
MARCH_SO_FAR = 193 * 3600

AGREEMENT = {
    "timezone": "Europe/Paris",
    "availability": {"adequate_percent": 99.5, "desired_percent": 99.9},
    "downtime_fraction": {"minor": 0.25},
}


def client(settings: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.sla_monitor_port}")


def upserted(version: int, agreement: dict[str, Any] | None) -> CloudEvent[Any]:
    data = ServiceUpserted.model_validate(
        {
            "id": SERVICE.id,
            "slug": SERVICE.slug,
            "name": SERVICE.name,
            "agreement": agreement,
            "version": version,
        }
    )
    return new_event(data, source="/tests", key=SERVICE.id)


async def publish_catalog(worker: Worker, *events: CloudEvent[Any]) -> None:
    """Send ``events`` to the catalog topic in order, once the worker's consumer has joined."""
    await eventually(lambda: consumers_joined(worker), timeout=30)
    producer = new_producer(worker.settings, client_id="tests")
    await producer.start()
    try:
        topic = Topics(worker.settings.kafka_topic_prefix).catalog
        for event in events:
            key, value, headers = to_kafka(event)
            await producer.send_and_wait(topic, value=value, key=key, headers=headers)
    finally:
        await producer.stop()


async def agreement_rows(worker: Worker) -> list[Agreement]:
    async with sessions_of(worker)() as session:
        return list(await session.scalars(select(Agreement)))


async def test_facts_over_each_window_and_the_agreement_zone(sla_settings: Any) -> None:
    acknowledged = snapshot(A, version=2, started="08:00", ended="08:50").model_copy(
        update={"acknowledged_at": at("08:10")}
    )
    async with serving_worker(sla_settings, clock=lambda: NOW) as worker:
        await publish_catalog(
            worker,
            upserted(2, AGREEMENT),
            upserted(1, None),  # older: must not erase the agreement
        )
        await publish(
            worker,
            # A, major: 2 March 08:00-08:50, acknowledged after 10 minutes; two alerts
            # 08:00-08:30 and 08:10-08:50 measure 50 minutes together.
            opened(snapshot(A, version=1, started="08:00")),
            resolved(acknowledged),
            alert_fired(A, starts="08:00", fingerprint="a1"),
            alert_resolved(A, starts="08:00", ends="08:30", fingerprint="a1"),
            alert_fired(A, starts="08:10", fingerprint="b2"),
            alert_resolved(A, starts="08:10", ends="08:50", fingerprint="b2"),
            # B, minor: 5 March 10:00-10:20, never acknowledged.
            opened(snapshot(B, version=1, started="2026-03-05T10:00:00+00:00", impact="minor")),
            resolved(
                snapshot(
                    B,
                    version=2,
                    started="2026-03-05T10:00:00+00:00",
                    ended="2026-03-05T10:20:00+00:00",
                    impact="minor",
                )
            ),
            alert_resolved(
                B,
                starts="2026-03-05T10:00:00+00:00",
                ends="2026-03-05T10:20:00+00:00",
                fingerprint="c3",
            ),
            # C, major: 20 February 00:00-02:00, in the 30 days but not in the week.
            resolved(
                snapshot(
                    C,
                    version=2,
                    started="2026-02-20T00:00:00+00:00",
                    ended="2026-02-20T02:00:00+00:00",
                )
            ),
            alert_resolved(
                C,
                starts="2026-02-20T00:00:00+00:00",
                ends="2026-02-20T02:00:00+00:00",
                fingerprint="d4",
            ),
        )
        await wait_handled(worker, 13)
        [row] = await agreement_rows(worker)
        assert (row.service_slug, row.version, row.deleted) == ("email", 2, False)
        assert row.terms is not None
        assert row.terms["availability"]["adequate_percent"] == 99.5

        async with client(sla_settings) as http:
            response = await http.get("/v1/services/email/facts")
        assert response.status_code == 200, response.text
        body = response.json()
        week, month, quarter, year = body["windows"]
        assert [w["days"] for w in body["windows"]] == [7, 30, 90, 365]

        # The week: A and B; alerts cover 50 + 20 minutes.
        assert week["to"] == "2026-03-09T00:00:00Z"
        assert week["measured_downtime_seconds"] == 70 * 60
        assert week["uptime_percent"] == pytest.approx(100 * (1 - 4200 / WEEK))
        assert (week["outages"], week["outage_seconds"]) == (2, 70 * 60)
        assert week["mean_time_to_acknowledge_seconds"] == 10 * 60
        assert week["mean_time_to_restore_seconds"] == (50 + 20) / 2 * 60
        assert week["longest_outage"]["incident_id"] == A
        assert week["longest_outage"]["duration_seconds"] == 50 * 60

        # 30 days and more: C too, two hours long.
        for window in (month, quarter, year):
            assert window["outages"] == 3
            assert window["measured_downtime_seconds"] == (50 + 20 + 120) * 60
            assert window["mean_time_to_restore_seconds"] == (50 + 20 + 120) / 3 * 60
            assert window["longest_outage"]["incident_id"] == C
        assert month["uptime_percent"] == pytest.approx(100 * (1 - 190 * 60 / (30 * 86400)))

        # March in Paris so far: A counts 50 minutes, B (minor) a quarter of 20: 55 minutes.
        agreement = body["agreement"]
        assert agreement["period_start"] == "2026-02-28T23:00:00Z"
        assert agreement["period_end"] == "2026-03-31T22:00:00Z"
        assert agreement["availability_percent"] == pytest.approx(
            100 * (1 - 55 * 60 / MARCH_SO_FAR)
        )  # 99.525: between 99.5 and 99.9
        assert agreement["zone"] == "within"
        assert agreement["measured_availability_percent"] == pytest.approx(
            100 * (1 - 70 * 60 / MARCH_SO_FAR)
        )  # 99.396
        assert agreement["measured_zone"] == "below"

        async with client(sla_settings) as http:
            assert (await http.get("/v1/services/nothing/facts")).status_code == 404

        await publish_catalog(
            worker,
            new_event(ServiceDeleted(id=SERVICE.id, slug="email"), source="/t", key=SERVICE.id),
            upserted(3, AGREEMENT),  # late: a deleted service does not come back
        )
        await wait_handled(worker, 15)
        [row] = await agreement_rows(worker)
        assert (row.deleted, row.terms) == (True, None)
        async with client(sla_settings) as http:
            after = (await http.get("/v1/services/email/facts")).json()
        assert after["agreement"] is None
        assert after["windows"][0]["outages"] == 2  # the ledger keeps its facts


async def test_agreement_set_in_incident_api_reaches_the_facts(
    api: Any, operator: httpx.AsyncClient, sla_settings: Any
) -> None:
    async with serving_worker(sla_settings, clock=lambda: NOW) as worker:
        service_id, key = await setup_email(operator)
        response = await operator.put(
            "/v1/services/email/agreement",
            json={
                "timezone": "Europe/Paris",
                "availability": {"adequate_percent": 99.6, "desired_percent": 99.9},
                "downtime_fraction": {"major": 0.5},
            },
        )
        assert response.status_code == 200, response.text

        rows = await eventually(lambda: _with_terms(worker))
        [row] = rows
        assert (row.service_id, row.service_slug, row.name) == (service_id, "email", "Email")
        assert row.terms is not None
        assert row.terms["downtime_fraction"] == {"major": 0.5}
        assert row.terms["availability"]["window"] == "calendar_month"

        # Two alerts, 08:00-08:30 and 08:10-08:50 on 2 March: one major outage of 50 minutes.
        await post_alert(api, key, alertmanager(fingerprint="a1", starts_at="2026-03-02T08:00:00Z"))
        await post_alert(
            api,
            key,
            alertmanager(fingerprint="b2", alertname="SmtpDown", starts_at="2026-03-02T08:10:00Z"),
        )
        # Acknowledged by the operator now (incident-api's own clock): the mean time to
        # acknowledge is then exactly what incident-api says from opening to acknowledgement.
        [incident] = (await operator.get("/v1/incidents")).json()["items"]
        response = await operator.post(f"/v1/incidents/{incident['id']}/acknowledge")
        assert response.status_code == 200, response.text
        detail = response.json()
        time_to_acknowledge = (
            datetime.fromisoformat(detail["acknowledged_at"])
            - datetime.fromisoformat(detail["opened_at"])
        ).total_seconds()
        await post_alert(
            api,
            key,
            alertmanager(
                fingerprint="a1",
                status="resolved",
                starts_at="2026-03-02T08:00:00Z",
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
        await eventually(lambda: _resolved_with_alerts(worker))

        async with client(sla_settings) as http:
            body = (await http.get("/v1/services/email/facts")).json()
        week = body["windows"][0]
        assert week["uptime_percent"] == pytest.approx(100 * (1 - 50 * 60 / WEEK))
        assert (week["outages"], week["outage_seconds"]) == (1, 50 * 60)
        assert week["mean_time_to_restore_seconds"] == 50 * 60
        assert week["mean_time_to_acknowledge_seconds"] == pytest.approx(time_to_acknowledge)
        assert week["longest_outage"]["duration_seconds"] == 50 * 60
        assert week["longest_outage"]["started_at"] == "2026-03-02T08:00:00Z"
        # March in Paris so far (193 hours): half of 50 minutes declared, 50 measured.
        agreement = body["agreement"]
        assert agreement["availability_percent"] == pytest.approx(
            100 * (1 - 25 * 60 / MARCH_SO_FAR)
        )  # 99.784
        assert agreement["zone"] == "within"
        assert agreement["measured_availability_percent"] == pytest.approx(
            100 * (1 - 50 * 60 / MARCH_SO_FAR)
        )  # 99.568
        assert agreement["measured_zone"] == "below"


async def _with_terms(worker: Worker) -> list[Agreement]:
    rows = await agreement_rows(worker)
    return rows if rows and all(row.terms is not None for row in rows) else []


async def _resolved_with_alerts(worker: Worker) -> bool:
    rows = await outages(worker)
    intervals = await alert_intervals(worker)
    return (
        len(rows) == 1
        and rows[0].ended_at is not None
        and len(intervals) == 2
        and all(i.ends_at is not None for i in intervals)
    )
