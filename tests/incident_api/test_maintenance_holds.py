"""Incidents held back by a maintenance window follow the window: released when it is
completed or cancelled early, moved when it is moved, still held while another window
covers the service, and left alone when they were held for the notification delay only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from candor_incident_api.maintenance.scheduler import MaintenanceScheduler
from candor_shared.contract import IncidentOpened
from tests.conftest import RunningApi, eventually
from tests.incident_api.helpers import post_alert, setup_email
from tests.kafka_helpers import read_events
from tests.payloads import alertmanager

INCIDENTS = "candor.incident.v1"


class MovableClock:
    """A clock that stands still until the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _hold_scheduler(api: RunningApi) -> MaintenanceScheduler:
    """Stop the scheduler's clock a day ago: windows whose start has come stay scheduled
    (still in effect, as when the scheduler lags) until the test moves the clock."""
    scheduler: MaintenanceScheduler = api.app.state.maintenance_scheduler
    scheduler.clock = MovableClock(datetime.now(UTC) - timedelta(days=1))
    return scheduler


async def _email(operator: httpx.AsyncClient, *, delay_seconds: int = 0) -> str:
    key = await setup_email(operator)
    if delay_seconds:
        response = await operator.put(
            "/v1/services/email",
            json={"name": "Email", "notification_delay_seconds": delay_seconds},
        )
        assert response.status_code == 200, response.text
    return key


async def _window(
    operator: httpx.AsyncClient, *, start_in: timedelta, hours: float, impact: str = "major"
) -> dict[str, Any]:
    starts_at = datetime.now(UTC).replace(microsecond=0) + start_in
    response = await operator.post(
        "/v1/maintenance",
        json={
            "title": "Mail server upgrade",
            "services": ["email"],
            "impact": impact,
            "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + timedelta(hours=hours)).isoformat(),
        },
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _incident(operator: httpx.AsyncClient, incident_id: str) -> dict[str, Any]:
    response = await operator.get(f"/v1/incidents/{incident_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _held_incident(api: RunningApi, operator: httpx.AsyncClient, key: str) -> str:
    fired = await post_alert(api, key, alertmanager())
    assert fired.status_code == 202, fired.text
    incident_id: str = fired.json()["incidents"][0]
    assert (await _incident(operator, incident_id))["broadcast"] is False
    return incident_id


async def _maintenance_entries(
    operator: httpx.AsyncClient, incident_id: str, window: dict[str, Any]
) -> list[dict[str, Any]]:
    """The timeline entries recording that ``window`` moved the incident's notify_at."""
    response = await operator.get(f"/v1/incidents/{incident_id}/timeline")
    assert response.status_code == 200, response.text
    return [
        entry
        for entry in response.json()["items"]
        if entry["kind"] == "maintenance"
        and entry["data"].get("window_id") == window["id"]
        and "notify_at" in entry["data"]  # not the note that the incident was held back
    ]


async def _broadcast(operator: httpx.AsyncClient, incident_id: str) -> bool:
    return bool((await _incident(operator, incident_id))["broadcast"])


async def _opened_on_kafka(broker: str, topic: str, incident_id: str) -> list[Any]:
    events = await read_events(broker, topic, count=2, timeout=1)
    return [
        e
        for e in events
        if isinstance(e.data, IncidentOpened) and e.data.incident.id == incident_id
    ]


async def test_completing_a_window_early_tells_users_of_the_incident_it_held_back(
    api: RunningApi, operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    key = await _email(operator)
    window = await _window(operator, start_in=timedelta(0), hours=2)
    incident_id = await _held_incident(api, operator, key)
    assert _time((await _incident(operator, incident_id))["notify_at"]) == _time(window["ends_at"])

    async def started() -> bool:
        response = await operator.get(f"/v1/maintenance/{window['id']}")
        return bool(response.json()["status"] == "in_progress")

    await eventually(started)
    completed = await operator.post(f"/v1/maintenance/{window['id']}/complete")
    assert completed.status_code == 200, completed.text

    await eventually(lambda: _broadcast(operator, incident_id))
    assert await eventually(
        lambda: _opened_on_kafka(broker, f"{topic_prefix}{INCIDENTS}", incident_id)
    )
    [entry] = await _maintenance_entries(operator, incident_id, window)
    assert entry["actor"] == "admin"
    assert _time(entry["data"]["notify_at"]) == _time(completed.json()["completed_at"])


async def test_cancelling_a_window_whose_start_has_come_tells_users_of_the_incident(
    api: RunningApi, operator: httpx.AsyncClient, broker: str, topic_prefix: str
) -> None:
    _hold_scheduler(api)
    key = await _email(operator)
    window = await _window(operator, start_in=timedelta(0), hours=2)
    incident_id = await _held_incident(api, operator, key)

    cancelled = await operator.post(f"/v1/maintenance/{window['id']}/cancel")

    assert cancelled.status_code == 200, cancelled.text
    await eventually(lambda: _broadcast(operator, incident_id))
    assert await eventually(
        lambda: _opened_on_kafka(broker, f"{topic_prefix}{INCIDENTS}", incident_id)
    )
    assert len(await _maintenance_entries(operator, incident_id, window)) == 1


async def test_moving_a_window_later_moves_the_incident_it_holds_back(
    api: RunningApi, operator: httpx.AsyncClient
) -> None:
    _hold_scheduler(api)  # PATCH needs the window still scheduled
    key = await _email(operator, delay_seconds=120)
    window = await _window(operator, start_in=timedelta(0), hours=1)
    incident_id = await _held_incident(api, operator, key)
    delay = timedelta(seconds=120)
    assert _time((await _incident(operator, incident_id))["notify_at"]) == (
        _time(window["ends_at"]) + delay
    )
    later = _time(window["ends_at"]) + timedelta(hours=2)

    moved = await operator.patch(
        f"/v1/maintenance/{window['id']}", json={"ends_at": later.isoformat()}
    )

    assert moved.status_code == 200, moved.text
    incident = await _incident(operator, incident_id)
    assert (incident["broadcast"], _time(incident["notify_at"])) == (False, later + delay)
    [entry] = await _maintenance_entries(operator, incident_id, window)
    assert (entry["actor"], _time(entry["data"]["notify_at"])) == ("admin", later + delay)


async def test_a_window_completed_by_the_scheduler_hands_the_incident_to_the_one_still_running(
    api: RunningApi, operator: httpx.AsyncClient
) -> None:
    key = await _email(operator)
    # The major window wins when the incident opens; the minor one runs on after it.
    first = await _window(operator, start_in=timedelta(0), hours=1, impact="major")
    second = await _window(operator, start_in=timedelta(0), hours=3, impact="minor")
    incident_id = await _held_incident(api, operator, key)
    assert _time((await _incident(operator, incident_id))["notify_at"]) == _time(first["ends_at"])
    scheduler = _hold_scheduler(api)

    scheduler.clock = MovableClock(_time(first["ends_at"]) + timedelta(seconds=1))
    await scheduler.run_once()

    assert (await operator.get(f"/v1/maintenance/{first['id']}")).json()["status"] == "completed"
    incident = await _incident(operator, incident_id)
    assert (incident["broadcast"], _time(incident["notify_at"])) == (
        False,
        _time(second["ends_at"]),
    )
    [entry] = await _maintenance_entries(operator, incident_id, first)
    assert entry["actor"] == "candor"


async def test_an_incident_held_for_the_delay_only_keeps_its_time_when_a_window_is_cancelled(
    api: RunningApi, operator: httpx.AsyncClient
) -> None:
    key = await _email(operator, delay_seconds=600)
    incident_id = await _held_incident(api, operator, key)
    notify_at = (await _incident(operator, incident_id))["notify_at"]
    window = await _window(operator, start_in=timedelta(days=1), hours=1)

    cancelled = await operator.post(f"/v1/maintenance/{window['id']}/cancel")

    assert cancelled.status_code == 200, cancelled.text
    incident = await _incident(operator, incident_id)
    assert (incident["broadcast"], incident["notify_at"]) == (False, notify_at)
    assert await _maintenance_entries(operator, incident_id, window) == []
