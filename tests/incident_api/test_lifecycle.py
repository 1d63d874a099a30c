"""Incidents from first alert to resolution: operators' actions, flapping, notification
delay, impact through dependencies, and a storm that stays one incident per service."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from candor_incident_api.incidents.models import Alert, TimelineEntry
from candor_shared.contract import (
    AlertFired,
    AlertResolved,
    IncidentOpened,
    IncidentReopened,
    IncidentResolved,
    IncidentUpdated,
)
from tests.conftest import eventually
from tests.incident_api.helpers import post_alert, setup_email
from tests.kafka_helpers import read_events
from tests.payloads import alertmanager

INCIDENTS = "candor.incident.v1"


async def _service(operator: httpx.AsyncClient, slug: str, **spec: Any) -> None:
    body = {"name": slug.title(), **spec}
    response = await operator.put(f"/v1/services/{slug}", json=body)
    assert response.status_code in (200, 201), response.text


async def test_an_operator_runs_an_incident_from_opening_to_reopening(
    operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    await _service(operator, "email")
    opened = await operator.post(
        "/v1/incidents",
        json={
            "service": "email",
            "title": "Email cannot be sent",
            "public_message": "Sending email fails. We are looking into it.",
            "internal_note": "seen by the helpdesk first",
        },
    )
    assert opened.status_code == 201, opened.text
    incident = opened.json()
    path = f"/v1/incidents/{incident['id']}"
    assert opened.headers["location"] == path
    assert incident["acknowledged_by"] == "admin"
    assert [i["service"] for i in incident["impacts"]] == ["email"]

    second = await operator.post("/v1/incidents", json={"service": "email", "title": "again"})
    assert second.status_code == 409
    assert incident["id"] in second.json()["detail"]

    etag = (await operator.get(path)).headers["etag"]
    update = {
        "status": "identified",
        "public_message": "A full disk stops outgoing mail; we are freeing space.",
        "next_update_at": "2099-01-01T10:30:00Z",
    }
    updated = await operator.post(f"{path}/updates", json=update, headers={"If-Match": etag})
    stale = await operator.post(f"{path}/updates", json=update, headers={"If-Match": etag})
    empty = await operator.post(f"{path}/updates", json={})

    assert updated.status_code == 200, updated.text
    assert updated.json()["status"] == "identified"
    assert updated.json()["next_update_at"] == "2099-01-01T10:30:00Z"
    assert updated.headers["etag"] != etag
    assert stale.status_code == 412
    assert empty.status_code == 422

    resolved = await operator.post(
        f"{path}/resolve", json={"summary": "Disk freed; queued mail delivered."}
    )
    again = await operator.post(f"{path}/resolve", json={"summary": "twice"})
    reopened = await operator.post(f"{path}/reopen", json={"public_message": "It is back."})

    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["summary"] == "Disk freed; queued mail delivered."
    assert again.status_code == 409
    assert reopened.status_code == 200, reopened.text
    assert (reopened.json()["status"], reopened.json()["reopened"]) == ("investigating", 1)

    entries = (await operator.get(f"{path}/timeline")).json()["items"]
    assert [e["kind"] for e in entries] == ["opened", "update", "resolved", "reopened"]
    assert entries[0]["internal_note"] == "seen by the helpdesk first"
    assert entries[1]["public_message"].startswith("A full disk")
    events = await read_events(broker, f"{topic_prefix}{INCIDENTS}", count=4)
    assert [type(e.data) for e in events] == [
        IncidentOpened,
        IncidentUpdated,
        IncidentResolved,
        IncidentReopened,
    ]
    assert events[0].data.opened_by == "operator"  # type: ignore[attr-defined]
    versions = [e.data.incident.version for e in events]  # type: ignore[attr-defined]
    assert versions == sorted(versions)
    assert len(set(versions)) == 4


async def test_an_alert_incident_is_acknowledged_once(
    api: Any, operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    key = await setup_email(operator)
    incident_id = (await post_alert(api, key, alertmanager())).json()["incidents"][0]
    path = f"/v1/incidents/{incident_id}"

    first = await operator.post(f"{path}/acknowledge")
    second = await operator.post(f"{path}/acknowledge")

    assert first.status_code == second.status_code == 200
    assert first.json()["acknowledged_at"] == second.json()["acknowledged_at"]
    assert first.json()["acknowledged_by"] == "admin"
    events = await read_events(broker, f"{topic_prefix}{INCIDENTS}", count=3)
    assert [type(e.data) for e in events] == [IncidentOpened, AlertFired, IncidentUpdated]
    assert events[-1].data.kind == "acknowledged"  # type: ignore[attr-defined]


async def test_an_alert_firing_again_within_the_flap_window_reopens_the_incident(
    api: Any, operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    await _service(operator, "email", flap_window_seconds=600)
    key = await setup_email(operator)
    first = await post_alert(api, key, alertmanager(starts_at="2026-11-23T09:58:00Z"))
    await post_alert(
        api,
        key,
        alertmanager(
            status="resolved", starts_at="2026-11-23T09:58:00Z", ends_at="2026-11-23T10:00:00Z"
        ),
    )

    # Five minutes later: within the window, the same incident comes back.
    back = await post_alert(api, key, alertmanager(starts_at="2026-11-23T10:05:00Z"))

    assert back.json()["incidents"] == first.json()["incidents"]
    incident = (await operator.get(f"/v1/incidents/{back.json()['incidents'][0]}")).json()
    assert (incident["status"], incident["reopened"], incident["resolved_at"]) == (
        "investigating",
        1,
        None,
    )
    listed = (await operator.get("/v1/incidents", params={"service": "email"})).json()
    assert len(listed["items"]) == 1
    events = await read_events(broker, f"{topic_prefix}{INCIDENTS}", count=6)
    reopened = [e.data for e in events if isinstance(e.data, IncidentReopened)]
    assert len(reopened) == 1
    assert reopened[0].previous_resolved_at.isoformat().startswith("2026-11-23T10:00:00")


async def test_an_alert_firing_again_after_the_flap_window_opens_a_new_incident(
    api: Any, operator: httpx.AsyncClient
) -> None:
    await _service(operator, "email", flap_window_seconds=60)
    key = await setup_email(operator)
    first = await post_alert(api, key, alertmanager(starts_at="2026-11-23T09:58:00Z"))
    await post_alert(
        api,
        key,
        alertmanager(
            status="resolved", starts_at="2026-11-23T09:58:00Z", ends_at="2026-11-23T10:00:00Z"
        ),
    )

    later = await post_alert(api, key, alertmanager(starts_at="2026-11-23T10:05:00Z"))

    assert later.json()["incidents"] != first.json()["incidents"]


async def test_an_incident_that_clears_within_the_notification_delay_is_not_broadcast(
    api: Any, operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    await _service(operator, "email", notification_delay_seconds=3600)
    await _service(operator, "vpn")
    key = await setup_email(operator, default_service=None)
    fired = await post_alert(api, key, alertmanager())
    held = (await operator.get(f"/v1/incidents/{fired.json()['incidents'][0]}")).json()
    assert (held["broadcast"], held["notify_at"] is not None) == (False, True)

    await post_alert(api, key, alertmanager(status="resolved", ends_at="2026-11-23T10:00:00Z"))
    # A later incident elsewhere marks the point by which everything before was published.
    await post_alert(api, key, alertmanager(service="vpn", fingerprint="vpn-1"))

    recorded = (await operator.get(f"/v1/incidents/{held['id']}")).json()
    assert (recorded["status"], recorded["broadcast"]) == ("resolved", False)
    events = await read_events(broker, f"{topic_prefix}{INCIDENTS}", count=5, timeout=4)
    kinds = [(type(e.data).__name__, e.partitionkey) for e in events]
    assert ("IncidentOpened", held["id"]) not in kinds
    assert ("IncidentResolved", held["id"]) not in kinds
    assert ("AlertFired", held["id"]) in kinds
    assert ("AlertResolved", held["id"]) in kinds
    timeline = (await operator.get(f"/v1/incidents/{held['id']}/timeline")).json()["items"]
    assert timeline[-1]["data"]["broadcast"] is False


async def test_an_incident_still_standing_after_the_delay_is_broadcast(
    api: Any, operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    await _service(operator, "email", notification_delay_seconds=1)
    key = await setup_email(operator)
    incident_id = (await post_alert(api, key, alertmanager())).json()["incidents"][0]

    async def broadcast() -> bool:
        found = (await operator.get(f"/v1/incidents/{incident_id}")).json()
        return bool(found["broadcast"])

    await eventually(broadcast)
    entries = (await operator.get(f"/v1/incidents/{incident_id}/timeline")).json()["items"]
    assert entries[0]["actor"] == "integration:prom"  # the integration's name
    events = await read_events(broker, f"{topic_prefix}{INCIDENTS}", count=2)
    assert [type(e.data) for e in events] == [AlertFired, IncidentOpened]
    kinds = [
        e["kind"]
        for e in (await operator.get(f"/v1/incidents/{incident_id}/timeline")).json()["items"]
    ]
    assert kinds == ["opened", "alert.fired", "broadcast"]


async def test_an_outage_shows_on_every_service_that_depends_on_it(
    api: Any, operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    await _service(operator, "network", components=[{"slug": "core", "name": "Core network"}])
    await _service(
        operator,
        "email",
        impact_wording={"minor": "Email may be slow to arrive."},
        depends_on=[{"service": "network", "component": "core", "impact": "minor"}],
    )
    await _service(operator, "webmail", depends_on=[{"service": "email"}])
    key = await setup_email(operator, default_service=None)
    payload = alertmanager(service="network", severity="critical")
    payload["alerts"][0]["labels"]["component"] = "core"

    incident_id = (await post_alert(api, key, payload)).json()["incidents"][0]

    incident = (await operator.get(f"/v1/incidents/{incident_id}")).json()
    impacts = {i["service"]: i for i in incident["impacts"]}
    assert set(impacts) == {"network", "email", "webmail"}
    assert impacts["network"]["impact"] == "major"
    assert impacts["network"]["components"] == ["core"]
    assert (impacts["email"]["impact"], impacts["email"]["via"]) == ("minor", "network")
    assert impacts["email"]["wording"] == "Email may be slow to arrive."
    assert (impacts["webmail"]["impact"], impacts["webmail"]["via"]) == ("minor", "email")
    [opened] = [
        e.data
        for e in await read_events(broker, f"{topic_prefix}{INCIDENTS}", count=2)
        if isinstance(e.data, IncidentOpened)
    ]
    assert [i.service.slug for i in opened.incident.impacts] == ["network", "email", "webmail"]
    assert opened.incident.component == "core"


async def test_a_storm_of_5000_alerts_stays_one_incident_per_service(
    api: Any, operator: httpx.AsyncClient
) -> None:
    for slug in ("email", "vpn", "payroll"):
        await _service(operator, slug)
    key = await setup_email(operator, default_service=None)
    services = ("email", "vpn", "payroll")
    # 200 fingerprints over 3 services, each notified 25 times: 5,000 alerts in 100 payloads.
    alerts = [
        alertmanager(service=services[f % 3], fingerprint=f"fp-{f}")["alerts"][0]
        for _ in range(25)
        for f in range(200)
    ]
    payloads = [{**alertmanager(), "alerts": alerts[i : i + 50]} for i in range(0, 5000, 50)]

    async with api.client(token=key) as client:
        semaphore = asyncio.Semaphore(20)

        async def post(payload: dict[str, Any]) -> httpx.Response:
            async with semaphore:
                return await client.post("/v1/ingest/alertmanager", json=payload)

        responses = await asyncio.gather(*(post(p) for p in payloads))

    assert {r.status_code for r in responses} == {202}
    listed = (await operator.get("/v1/incidents", params={"limit": 200})).json()["items"]
    assert sorted(i["service"] for i in listed) == sorted(services)
    async with api.app.state.candor.sessions() as session:
        received = await session.scalar(select(func.sum(Alert.received)))
        fired = await session.scalar(
            select(func.count(func.distinct(TimelineEntry.data["fingerprint"].as_string()))).where(
                TimelineEntry.kind == "alert.fired"
            )
        )
    assert received == 5000
    assert fired == 200
    assert all(i["firing_alerts"] > 0 for i in listed)
    assert sum(i["firing_alerts"] for i in listed) == 200


async def test_alerts_during_announced_maintenance_are_recorded_not_broadcast(
    api: Any, operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    await _service(operator, "email")
    key = await setup_email(operator)
    now = datetime.now(UTC)
    window = await operator.post(
        "/v1/maintenance",
        json={
            "title": "Mail server upgrade",
            "services": ["email"],
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(hours=2)).isoformat(),
        },
    )
    assert window.status_code == 201, window.text
    # It starts now: in effect whether or not the scheduler has marked it started yet.

    incident_id = (await post_alert(api, key, alertmanager())).json()["incidents"][0]

    incident = (await operator.get(f"/v1/incidents/{incident_id}")).json()
    assert incident["broadcast"] is False
    assert datetime.fromisoformat(incident["notify_at"]) == datetime.fromisoformat(
        window.json()["ends_at"]
    )
    kinds = [
        e["kind"]
        for e in (await operator.get(f"/v1/incidents/{incident_id}/timeline")).json()["items"]
    ]
    assert "maintenance" in kinds
    # Published: the alert (measured facts), not an opened incident.
    events = await read_events(broker, f"{topic_prefix}{INCIDENTS}", count=2, timeout=3)
    assert [type(e.data) for e in events] == [AlertFired]


async def test_a_viewer_reads_incidents_but_cannot_run_them(
    api: Any, operator: httpx.AsyncClient
) -> None:
    await _service(operator, "email")
    opened = await operator.post("/v1/incidents", json={"service": "email", "title": "Down"})
    path = f"/v1/incidents/{opened.json()['id']}"
    issued = await operator.post("/v1/tokens", json={"name": "Helpdesk", "role": "viewer"})
    assert issued.status_code == 201, issued.text

    async with api.client(token=issued.json()["token"]) as viewer:
        read = await viewer.get(path)
        attempts = [
            await viewer.post(f"{path}/updates", json={"public_message": "hello"}),
            await viewer.post(f"{path}/acknowledge"),
            await viewer.post(f"{path}/resolve", json={"summary": "done"}),
            await viewer.post("/v1/incidents", json={"service": "email", "title": "x"}),
        ]

    assert read.status_code == 200
    assert [a.status_code for a in attempts] == [403, 403, 403, 403]
    timeline = (await operator.get(f"{path}/timeline")).json()["items"]
    assert [e["kind"] for e in timeline] == ["opened"]


async def test_a_flap_within_one_request_reopens_the_same_incident(
    api: Any, operator: httpx.AsyncClient
) -> None:
    await _service(operator, "email", flap_window_seconds=900)
    key = await setup_email(operator)
    fired = alertmanager(starts_at="2026-11-23T09:58:00Z")["alerts"][0]
    cleared = alertmanager(
        status="resolved", starts_at="2026-11-23T09:58:00Z", ends_at="2026-11-23T10:00:00Z"
    )["alerts"][0]
    again = alertmanager(starts_at="2026-11-23T10:01:00Z")["alerts"][0]

    response = await post_alert(api, key, {**alertmanager(), "alerts": [fired, cleared, again]})

    assert response.status_code == 202, response.text
    assert len(set(response.json()["incidents"])) == 1
    listed = (await operator.get("/v1/incidents")).json()["items"]
    assert [(i["status"], i["reopened"]) for i in listed] == [("investigating", 1)]


async def test_a_flap_during_maintenance_stays_held_back(
    api: Any, operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    await _service(operator, "email", flap_window_seconds=900)
    key = await setup_email(operator)
    now = datetime.now(UTC)
    window = await operator.post(
        "/v1/maintenance",
        json={
            "title": "Mail server upgrade",
            "services": ["email"],
            "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(hours=2)).isoformat(),
        },
    )
    assert window.status_code == 201, window.text
    first = await post_alert(api, key, alertmanager(starts_at=now.isoformat()))
    await post_alert(
        api,
        key,
        alertmanager(
            status="resolved",
            starts_at=now.isoformat(),
            ends_at=(now + timedelta(minutes=1)).isoformat(),
        ),
    )

    back = await post_alert(
        api, key, alertmanager(starts_at=(now + timedelta(minutes=2)).isoformat())
    )

    assert back.json()["incidents"] == first.json()["incidents"]
    incident = (await operator.get(f"/v1/incidents/{back.json()['incidents'][0]}")).json()
    assert (incident["reopened"], incident["broadcast"]) == (1, False)
    events = await read_events(broker, f"{topic_prefix}{INCIDENTS}", count=4, timeout=3)
    assert not [e for e in events if not isinstance(e.data, AlertFired | AlertResolved)]


async def test_an_incident_an_operator_opened_outlives_an_alert_that_clears(
    api: Any, operator: httpx.AsyncClient
) -> None:
    await _service(operator, "email")
    key = await setup_email(operator)
    opened = await operator.post("/v1/incidents", json={"service": "email", "title": "Down"})

    joined = await post_alert(api, key, alertmanager())
    await post_alert(api, key, alertmanager(status="resolved", ends_at="2026-11-23T10:00:00Z"))

    assert joined.json()["incidents"] == [opened.json()["id"]]
    incident = (await operator.get(f"/v1/incidents/{opened.json()['id']}")).json()
    assert (incident["status"], incident["firing_alerts"]) == ("investigating", 0)


async def test_a_service_feels_the_worst_impact_over_all_its_dependency_paths(
    api: Any, operator: httpx.AsyncClient
) -> None:
    await _service(operator, "network")
    await _service(operator, "identity", depends_on=[{"service": "network"}])
    # Through the network directly only a little; through sign-in, fully.
    await _service(
        operator,
        "email",
        depends_on=[{"service": "network", "impact": "minor"}, {"service": "identity"}],
    )
    key = await setup_email(operator, default_service=None)

    incident_id = (await post_alert(api, key, alertmanager(service="network"))).json()["incidents"][
        0
    ]

    impacts = {
        i["service"]: i
        for i in (await operator.get(f"/v1/incidents/{incident_id}")).json()["impacts"]
    }
    assert (impacts["email"]["impact"], impacts["email"]["via"]) == ("major", "identity")


async def test_times_out_of_storable_range_are_422_not_500(operator: httpx.AsyncClient) -> None:
    # Year 1 with a positive offset is year 0 in UTC: Python cannot even convert it.
    listed = await operator.get(
        "/v1/incidents", params={"opened_before": "0001-01-01T00:00:00+05:00"}
    )
    await _service(operator, "email")
    opened = await operator.post(
        "/v1/incidents",
        json={"service": "email", "title": "x", "next_update_at": "9999-12-31T23:00:00-05:00"},
    )

    assert listed.status_code == 422, listed.text
    assert "out of range" in listed.text
    assert opened.status_code == 422, opened.text
