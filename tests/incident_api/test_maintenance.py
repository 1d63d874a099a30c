"""Maintenance windows through the API: scheduling, changes, manual transitions, listing,
and the answers to requests that cannot be honoured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from candor_shared.contract.maintenance import (
    MaintenanceCancelled,
    MaintenanceCompleted,
    MaintenanceScheduled,
    MaintenanceStarted,
    MaintenanceUpdated,
)
from tests.kafka_helpers import read_events

MAINTENANCE = "candor.maintenance.v1"


def _iso(value: datetime) -> str:
    return value.isoformat()


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def _services(operator: httpx.AsyncClient, *slugs: str) -> None:
    for slug in slugs:
        response = await operator.post("/v1/services", json={"slug": slug, "name": slug.title()})
        assert response.status_code in (200, 201), response.text


def _window(
    *, start_in: timedelta = timedelta(days=1), hours: float = 2, **fields: Any
) -> dict[str, Any]:
    starts_at = datetime.now(UTC) + start_in
    return {
        "title": "Mail server upgrade",
        "description": "Webmail will not connect meanwhile.",
        "services": ["email"],
        "starts_at": _iso(starts_at),
        "ends_at": _iso(starts_at + timedelta(hours=hours)),
        **fields,
    }


async def _schedule(operator: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await operator.post("/v1/maintenance", json=_window(**fields))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_scheduling_answers_the_window_with_its_etag_and_publishes_it(
    operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    await _services(operator, "email", "vpn")
    # Given in +01:00, kept in UTC.
    starts_at = datetime(2031, 3, 1, 20, 0, tzinfo=UTC)
    body = _window(services=["vpn", "email", "email"], impact="minor")
    body["starts_at"] = "2031-03-01T21:00:00+01:00"
    body["ends_at"] = "2031-03-01T23:30:00+01:00"
    before = datetime.now(UTC)

    response = await operator.post("/v1/maintenance", json=body)

    assert response.status_code == 201, response.text
    window = response.json()
    assert response.headers["etag"] == f'W/"{window["id"]}-1"'
    assert response.headers["location"] == f"/v1/maintenance/{window['id']}"
    assert window["status"] == "scheduled"
    assert window["services"] == ["email", "vpn"]
    assert window["impact"] == "minor"
    assert _time(window["starts_at"]) == starts_at
    assert _time(window["ends_at"]) == starts_at + timedelta(hours=2, minutes=30)
    assert before <= _time(window["announced_at"]) <= datetime.now(UTC)
    assert window["created_by"] == "admin"
    assert window["version"] == 1

    fetched = await operator.get(f"/v1/maintenance/{window['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == window
    assert fetched.headers["etag"] == response.headers["etag"]

    [event] = await read_events(broker, f"{topic_prefix}{MAINTENANCE}", count=1)
    assert isinstance(event.data, MaintenanceScheduled)
    assert event.partitionkey == window["id"]
    snapshot = event.data.maintenance
    assert (snapshot.id, snapshot.version, snapshot.status) == (window["id"], 1, "scheduled")
    assert [s.slug for s in snapshot.services] == ["email", "vpn"]
    assert [s.name for s in snapshot.services] == ["Email", "Vpn"]
    assert snapshot.starts_at == starts_at
    assert snapshot.announced_at == _time(window["announced_at"])


async def test_an_earlier_announcement_is_kept_and_impact_defaults_to_major(
    operator: httpx.AsyncClient,
) -> None:
    await _services(operator, "email")
    announced = datetime.now(UTC).replace(microsecond=0) - timedelta(days=7)

    window = await _schedule(operator, announced_at=_iso(announced))

    assert _time(window["announced_at"]) == announced
    assert window["impact"] == "major"


async def test_changing_the_wording_keeps_the_announcement_and_moving_it_re_announces(
    operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    await _services(operator, "email", "vpn")
    announced = datetime.now(UTC).replace(microsecond=0) - timedelta(days=7)
    window = await _schedule(operator, announced_at=_iso(announced))
    path = f"/v1/maintenance/{window['id']}"
    etag = (await operator.get(path)).headers["etag"]

    reworded = await operator.patch(
        path,
        json={"title": "Mail upgrade", "services": ["vpn", "email"]},
        headers={"If-Match": etag},
    )
    assert reworded.status_code == 200, reworded.text
    assert reworded.json()["title"] == "Mail upgrade"
    assert reworded.json()["services"] == ["email", "vpn"]
    assert _time(reworded.json()["announced_at"]) == announced
    assert reworded.json()["version"] == 2
    assert reworded.headers["etag"] == f'W/"{window["id"]}-2"'

    new_start = _time(window["starts_at"]) + timedelta(days=1)
    before = datetime.now(UTC)
    moved = await operator.patch(
        path,
        json={"starts_at": _iso(new_start), "ends_at": _iso(new_start + timedelta(hours=1))},
        headers={"If-Match": reworded.headers["etag"]},
    )
    assert moved.status_code == 200, moved.text
    assert _time(moved.json()["starts_at"]) == new_start
    assert before <= _time(moved.json()["announced_at"]) <= datetime.now(UTC)
    assert moved.json()["version"] == 3

    unchanged = await operator.patch(path, json={"title": "Mail upgrade"})
    assert unchanged.status_code == 200
    assert unchanged.json()["version"] == 3

    events = await read_events(broker, f"{topic_prefix}{MAINTENANCE}", count=3)
    assert [type(e.data) for e in events] == [
        MaintenanceScheduled,
        MaintenanceUpdated,
        MaintenanceUpdated,
    ]
    assert [e.data.maintenance.version for e in events] == [1, 2, 3]  # type: ignore[attr-defined]
    assert events[2].data.maintenance.announced_at == _time(moved.json()["announced_at"])  # type: ignore[attr-defined]


async def test_a_change_with_a_stale_if_match_is_refused_and_nothing_changes(
    operator: httpx.AsyncClient,
) -> None:
    await _services(operator, "email")
    window = await _schedule(operator)
    path = f"/v1/maintenance/{window['id']}"
    stale = (await operator.get(path)).headers["etag"]
    assert (await operator.patch(path, json={"title": "First"})).status_code == 200

    response = await operator.patch(path, json={"title": "Second"}, headers={"If-Match": stale})

    assert response.status_code == 412
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["etag"] == f'W/"{window["id"]}-2"'
    assert (await operator.get(path)).json()["title"] == "First"
    refused = await operator.post(f"{path}/cancel", headers={"If-Match": stale})
    assert refused.status_code == 412


async def test_an_operator_starts_and_completes_a_window_by_hand(
    operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    await _services(operator, "email")
    window = await _schedule(operator)
    path = f"/v1/maintenance/{window['id']}"
    before = datetime.now(UTC)

    started = await operator.post(f"{path}/start")
    assert started.status_code == 200, started.text
    assert started.json()["status"] == "in_progress"
    assert before <= _time(started.json()["started_at"]) <= datetime.now(UTC)
    assert started.headers["etag"] == f'W/"{window["id"]}-2"'

    completed = await operator.post(f"{path}/complete")
    assert completed.status_code == 200, completed.text
    assert completed.json()["status"] == "completed"
    assert completed.json()["completed_at"] is not None
    assert completed.json()["version"] == 3

    events = await read_events(broker, f"{topic_prefix}{MAINTENANCE}", count=3)
    assert [type(e.data) for e in events] == [
        MaintenanceScheduled,
        MaintenanceStarted,
        MaintenanceCompleted,
    ]
    assert events[2].data.maintenance.status == "completed"  # type: ignore[attr-defined]


async def test_cancelling_a_scheduled_window(
    operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    await _services(operator, "email")
    window = await _schedule(operator)
    path = f"/v1/maintenance/{window['id']}"

    cancelled = await operator.post(f"{path}/cancel")

    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancelled_at"] is not None
    assert cancelled.json()["version"] == 2
    events = await read_events(broker, f"{topic_prefix}{MAINTENANCE}", count=2)
    assert [type(e.data) for e in events] == [MaintenanceScheduled, MaintenanceCancelled]
    assert events[1].data.maintenance.cancelled_at is not None  # type: ignore[attr-defined]


async def test_transitions_the_status_does_not_allow_are_409_naming_the_status(
    operator: httpx.AsyncClient,
) -> None:
    await _services(operator, "email")
    window = await _schedule(operator)
    path = f"/v1/maintenance/{window['id']}"

    def refused(response: httpx.Response, status: str) -> None:
        assert response.status_code == 409, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert f"is {status}" in response.json()["detail"]

    refused(await operator.post(f"{path}/complete"), "scheduled")
    assert (await operator.post(f"{path}/start")).status_code == 200
    refused(await operator.post(f"{path}/start"), "in_progress")
    refused(await operator.post(f"{path}/cancel"), "in_progress")
    refused(await operator.patch(path, json={"title": "Later"}), "in_progress")
    assert (await operator.post(f"{path}/complete")).status_code == 200
    for action in ("start", "complete", "cancel"):
        refused(await operator.post(f"{path}/{action}"), "completed")

    other = await _schedule(operator)
    assert (await operator.post(f"/v1/maintenance/{other['id']}/cancel")).status_code == 200
    refused(await operator.post(f"/v1/maintenance/{other['id']}/start"), "cancelled")
    assert (await operator.get(path)).json()["version"] == 3


async def test_invalid_windows_are_422_naming_the_field(operator: httpx.AsyncClient) -> None:
    await _services(operator, "email")
    now = datetime.now(UTC)

    async def detail_of(body: dict[str, Any]) -> str:
        response = await operator.post("/v1/maintenance", json=body)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        detail: str = response.json()["detail"]
        return detail

    end_before_start = _window()
    end_before_start["ends_at"] = _iso(now + timedelta(hours=1))
    assert (await detail_of(end_before_start)).startswith("body.ends_at:")

    unknown = await detail_of(_window(services=["email", "payroll", "hr"]))
    assert unknown.startswith("body.services:")
    assert "'hr', 'payroll'" in unknown

    long_ago = await detail_of(_window(start_in=-timedelta(hours=1)))
    assert long_ago.startswith("body.starts_at:")

    future_announcement = _window(announced_at=_iso(now + timedelta(hours=1)))
    assert (await detail_of(future_announcement)).startswith("body.announced_at:")

    naive = _window()
    naive["starts_at"] = naive["starts_at"][:19]
    assert (await detail_of(naive)).startswith("body.starts_at:")

    assert (await detail_of(_window(services=[]))).startswith("body.services:")
    assert (await detail_of(_window(impact="total"))).startswith("body.impact:")
    assert (await detail_of({**_window(), "status": "completed"})).startswith("body.status:")

    window = await _schedule(operator)
    path = f"/v1/maintenance/{window['id']}"
    response = await operator.patch(
        path, json={"ends_at": _iso(_time(window["starts_at"]) - timedelta(minutes=1))}
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("body.ends_at:")
    response = await operator.patch(path, json={"services": ["nope"]})
    assert response.status_code == 422
    assert response.json()["detail"].startswith("body.services:")
    assert (await operator.get(path)).json()["version"] == 1
    assert (await operator.get("/v1/maintenance?from=0001-01-01T00:00:00%2B05:00")).status_code == (
        422
    )


async def test_windows_are_listed_newest_first_with_filters_and_cursor(
    operator: httpx.AsyncClient,
) -> None:
    await _services(operator, "email", "vpn")
    now = datetime.now(UTC)
    first = await _schedule(operator, start_in=timedelta(days=1), hours=2)
    second = await _schedule(operator, start_in=timedelta(days=2), hours=2, services=["vpn"])
    third = await _schedule(operator, start_in=timedelta(days=3), hours=2)
    assert (await operator.post(f"/v1/maintenance/{third['id']}/cancel")).status_code == 200

    async def ids(**params: str) -> list[str]:
        response = await operator.get("/v1/maintenance", params=params)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await ids() == [third["id"], second["id"], first["id"]]
    assert await ids(status="scheduled") == [second["id"], first["id"]]
    assert await ids(service="email") == [third["id"], first["id"]]
    assert await ids(service="vpn", status="scheduled") == [second["id"]]
    assert await ids(service="nothing") == []
    # Overlapping [from, to): from day 2's second hour to before day 3's window starts.
    day2 = now + timedelta(days=2)
    assert await ids(
        **{"from": _iso(day2 + timedelta(hours=1)), "to": _iso(day2 + timedelta(hours=20))}
    ) == [second["id"]]
    assert await ids(**{"to": _iso(now + timedelta(days=1, minutes=1))}) == [first["id"]]
    assert await ids(**{"from": _iso(now + timedelta(days=3, hours=3))}) == []

    page = await operator.get("/v1/maintenance?limit=2")
    assert [item["id"] for item in page.json()["items"]] == [third["id"], second["id"]]
    cursor = page.json()["next_cursor"]
    rest = await operator.get("/v1/maintenance", params={"limit": 2, "cursor": cursor})
    assert [item["id"] for item in rest.json()["items"]] == [first["id"]]
    assert rest.json()["next_cursor"] is None


async def test_unknown_windows_are_404_and_every_endpoint_needs_a_token(
    operator: httpx.AsyncClient, api: Any
) -> None:
    missing = "/v1/maintenance/01938c6e-7a10-7c3e-8f4b-2a9d5e1f0c11"
    assert (await operator.get(missing)).status_code == 404
    assert (await operator.post(f"{missing}/start")).status_code == 404
    assert (await operator.patch(missing, json={"title": "x"})).status_code == 404

    async with api.client(token=None) as anonymous:
        assert (await anonymous.get("/v1/maintenance")).status_code == 401
        assert (await anonymous.post("/v1/maintenance", json=_window())).status_code == 401
        assert (await anonymous.post(f"{missing}/cancel")).status_code == 401
