"""GET /v1/ledger/{service}: a service's outages and downtime within a window."""

from __future__ import annotations

from typing import Any

import httpx

from candor_shared.contract import ServiceRef
from tests.sla_monitor.helpers import (
    alert_fired,
    alert_resolved,
    at,
    opened,
    publish,
    resolved,
    serving_worker,
    snapshot,
    wait_handled,
)

A = "0195f0c2-aaaa-7000-8000-000000000001"
B = "0195f0c2-bbbb-7000-8000-000000000002"
C = "0195f0c2-cccc-7000-8000-000000000003"
OTHER = "0195f0c2-dddd-7000-8000-000000000004"
WEB = ServiceRef(id="0195f0c2-0000-7000-8000-000000000009", slug="web", name="Web")


def client(settings: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.sla_monitor_port}")


async def test_ledger_counts_declared_and_measured_downtime_until_now(sla_settings: Any) -> None:
    async with serving_worker(sla_settings, clock=lambda: at("10:00")) as worker:
        await publish(
            worker,
            # A: 08:00-08:45, inside the window from 08:30 on.
            opened(snapshot(A, version=1, started="08:00")),
            resolved(snapshot(A, version=2, started="08:00", ended="08:45")),
            alert_fired(A, starts="08:00", fingerprint="a1"),
            alert_resolved(A, starts="08:00", ends="08:30", fingerprint="a1"),
            alert_fired(A, starts="08:15", fingerprint="a2"),
            alert_resolved(A, starts="08:15", ends="08:50", fingerprint="a2"),
            # C: declared without impact, so listed but not counted.
            opened(snapshot(C, version=1, started="09:00", impact="none")),
            resolved(snapshot(C, version=2, started="09:00", ended="09:10", impact="none")),
            # B: still open at 10:00 ("now"), with an alert still firing.
            opened(snapshot(B, version=1, started="09:30", impact="minor")),
            alert_fired(B, starts="09:40", fingerprint="b1"),
            # Another service's outage is not this one's.
            opened(snapshot(OTHER, version=1, started="08:00", service=WEB)),
        )
        await wait_handled(worker, 11)

        async with client(sla_settings) as http:
            response = await http.get(
                "/v1/ledger/email",
                params={"from": "2026-03-02T08:30:00Z", "to": "2026-03-02T12:00:00Z"},
            )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["service"] == "email"
    assert (body["from"], body["to"]) == ("2026-03-02T08:30:00Z", "2026-03-02T12:00:00Z")
    assert body["observed_until"] == "2026-03-02T10:00:00Z"
    # A 08:30-08:45 and B 09:30-10:00.
    assert body["declared_downtime_seconds"] == 45 * 60
    # a2 08:30-08:50 (a1 ends as the window starts) and b1 09:40-10:00.
    assert body["measured_downtime_seconds"] == 40 * 60
    assert body["outages"] == [
        {
            "incident_id": A,
            "impact": "major",
            "started_at": "2026-03-02T08:00:00Z",
            "ended_at": "2026-03-02T08:45:00Z",
        },
        {
            "incident_id": C,
            "impact": "none",
            "started_at": "2026-03-02T09:00:00Z",
            "ended_at": "2026-03-02T09:10:00Z",
        },
        {
            "incident_id": B,
            "impact": "minor",
            "started_at": "2026-03-02T09:30:00Z",
            "ended_at": None,
        },
    ]


BAD_WINDOWS: list[tuple[dict[str, str], str]] = [
    ({"from": "2026-03-02T10:00:00Z", "to": "2026-03-02T10:00:00Z"}, "must be earlier"),
    ({"from": "2026-03-02T11:00:00Z", "to": "2026-03-02T10:00:00Z"}, "must be earlier"),
    ({"from": "2026-03-02T10:00:00", "to": "2026-03-02T11:00:00Z"}, "timezone"),
    ({"from": "yesterday", "to": "2026-03-02T11:00:00Z"}, "datetime"),
    ({"from": "2026-03-02T10:00:00Z"}, "Field required"),
    ({}, "Field required"),
    # Instants before year 1 or after 9999 in UTC cannot be counted (they were a 500).
    ({"from": "0001-01-01T00:00:00+14:00", "to": "2026-03-02T11:00:00Z"}, "UTC"),
    ({"from": "2026-03-02T10:00:00Z", "to": "9999-12-31T23:59:59-14:00"}, "UTC"),
]


async def test_bad_windows_are_refused_with_422_saying_what_is_wrong(sla_settings: Any) -> None:
    # One worker for every case: starting one per case would only repeat the same setup.
    async with serving_worker(sla_settings), client(sla_settings) as http:
        responses = [
            (params, expected, await http.get("/v1/ledger/email", params=params))
            for params, expected in BAD_WINDOWS
        ]

    for params, expected, response in responses:
        assert response.status_code == 422, (params, response.text)
        assert expected in response.text, (params, response.text)


async def test_a_service_without_outages_has_no_downtime(sla_settings: Any) -> None:
    async with (
        serving_worker(sla_settings, clock=lambda: at("10:00")),
        client(sla_settings) as http,
    ):
        response = await http.get(
            "/v1/ledger/unknown",
            params={"from": "2026-03-02T00:00:00+01:00", "to": "2026-03-03T00:00:00+01:00"},
        )

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["from"], body["observed_until"]) == (
        "2026-03-01T23:00:00Z",
        "2026-03-02T10:00:00Z",
    )
    assert body["declared_downtime_seconds"] == body["measured_downtime_seconds"] == 0
    assert body["outages"] == []
