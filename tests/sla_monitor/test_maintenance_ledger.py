"""Maintenance from the maintenance topic, through the real worker, into the facts' agreement
period: announced in time it is excluded, announced late it counts as downtime.

"Now" is 9 March 2026, 00:00 UTC; March in Paris began on 28 February at 23:00 UTC, so the
period observed so far lasts 193 hours. Every figure is worked out by hand in the comments.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from candor_shared.contract import (
    CloudEvent,
    EventData,
    MaintenanceCancelled,
    MaintenanceCompleted,
    MaintenanceScheduled,
    MaintenanceSnapshot,
    MaintenanceStarted,
    ServiceRef,
    Topics,
    new_event,
    to_kafka,
)
from candor_shared.kafka import new_producer
from candor_shared.worker import Worker
from candor_sla_monitor.maintenance.models import MaintenanceWindow
from tests.conftest import eventually
from tests.sla_monitor.helpers import (
    SERVICE,
    at,
    consumers_joined,
    opened,
    publish,
    resolved,
    serving_worker,
    sessions_of,
    snapshot,
    wait_handled,
)
from tests.sla_monitor.test_facts import client, publish_catalog, upserted

NOW = at("2026-03-09T00:00:00+00:00")
A = "0195f0c2-aaaa-7000-8000-000000000001"
IN_TIME = "0195f0c2-eeee-7000-8000-000000000001"
LATE = "0195f0c2-eeee-7000-8000-000000000002"
CANCELLED = "0195f0c2-eeee-7000-8000-000000000003"
ELSEWHERE = "0195f0c2-eeee-7000-8000-000000000004"
TO_COME = "0195f0c2-eeee-7000-8000-000000000005"
OBSERVED_MINUTES = 193 * 60
VPN = ServiceRef(id="0195f0c2-0000-7000-8000-000000000002", slug="vpn", name="VPN")

AGREEMENT = {
    "timezone": "Europe/Paris",
    "availability": {"adequate_percent": 99.5, "desired_percent": 99.9},
    "maintenance_notice": "P1D",
}


def window(
    window_id: str,
    *,
    version: int,
    status: str,
    starts: str,
    ends: str,
    announced: str,
    started: str | None = None,
    completed: str | None = None,
    cancelled: str | None = None,
    services: tuple[ServiceRef, ...] = (SERVICE,),
) -> MaintenanceSnapshot:
    """A maintenance window as incident-api's events carry it (times are 2026, UTC)."""

    def moment(text: str | None) -> Any:
        return None if text is None else at(f"2026-{text}:00+00:00")

    return MaintenanceSnapshot.model_validate(
        {
            "id": window_id,
            "version": version,
            "title": "Mail server upgrade",
            "status": status,
            "impact": "major",
            "services": list(services),
            "starts_at": moment(starts),
            "ends_at": moment(ends),
            "announced_at": moment(announced),
            "started_at": moment(started),
            "completed_at": moment(completed),
            "cancelled_at": moment(cancelled),
        }
    )


def event(data: EventData, window_id: str) -> CloudEvent[EventData]:
    return new_event(data, source="/tests", key=window_id)


async def publish_maintenance(worker: Worker, *events: CloudEvent[Any]) -> None:
    """Send ``events`` to the maintenance topic in order, once the worker has joined."""
    await eventually(lambda: consumers_joined(worker), timeout=30)
    producer = new_producer(worker.settings, client_id="tests")
    await producer.start()
    try:
        topic = Topics(worker.settings.kafka_topic_prefix).maintenance
        for item in events:
            key, value, headers = to_kafka(item)
            await producer.send_and_wait(topic, value=value, key=key, headers=headers)
    finally:
        await producer.stop()


async def windows(worker: Worker) -> dict[str, MaintenanceWindow]:
    async with sessions_of(worker)() as session:
        return {row.id: row for row in await session.scalars(select(MaintenanceWindow))}


async def test_maintenance_in_time_is_excluded_and_late_maintenance_counts(
    sla_settings: Any,
) -> None:
    in_time: dict[str, Any] = {
        "starts": "03-04T02:00",
        "ends": "03-04T04:00",
        "announced": "03-01T00:00",
    }
    async with serving_worker(sla_settings, clock=lambda: NOW) as worker:
        await publish_catalog(worker, upserted(1, AGREEMENT))
        await publish(
            worker,
            # A, major: 2 March 08:00-08:50, 50 minutes of downtime.
            opened(snapshot(A, version=1, started="08:00")),
            resolved(snapshot(A, version=2, started="08:00", ended="08:50")),
        )
        await publish_maintenance(
            worker,
            # Announced three days ahead; ran 02:00-03:30 on 4 March. Its newest version
            # arrives first: the older ones must not undo it.
            event(
                MaintenanceCompleted(
                    maintenance=window(
                        IN_TIME,
                        version=3,
                        status="completed",
                        started="03-04T02:00",
                        completed="03-04T03:30",
                        **in_time,
                    )
                ),
                IN_TIME,
            ),
            event(
                MaintenanceScheduled(
                    maintenance=window(IN_TIME, version=1, status="scheduled", **in_time)
                ),
                IN_TIME,
            ),
            event(
                MaintenanceStarted(
                    maintenance=window(
                        IN_TIME, version=2, status="in_progress", started="03-04T02:00", **in_time
                    )
                ),
                IN_TIME,
            ),
            # Announced ten hours ahead of 6 March 20:00-21:00, less than the day agreed: late.
            event(
                MaintenanceScheduled(
                    maintenance=window(
                        LATE,
                        version=1,
                        status="scheduled",
                        starts="03-06T20:00",
                        ends="03-06T21:00",
                        announced="03-06T10:00",
                    )
                ),
                LATE,
            ),
            # Called off: it excludes nothing, and counts nothing, though it was announced late.
            event(
                MaintenanceCancelled(
                    maintenance=window(
                        CANCELLED,
                        version=2,
                        status="cancelled",
                        starts="03-07T01:00",
                        ends="03-07T05:00",
                        announced="03-07T00:00",
                        cancelled="03-07T00:30",
                    )
                ),
                CANCELLED,
            ),
            # Another service's window, and one still to come: neither counts here.
            event(
                MaintenanceScheduled(
                    maintenance=window(
                        ELSEWHERE,
                        version=1,
                        status="scheduled",
                        starts="03-05T01:00",
                        ends="03-05T05:00",
                        announced="03-05T00:00",
                        services=(VPN,),
                    )
                ),
                ELSEWHERE,
            ),
            event(
                MaintenanceScheduled(
                    maintenance=window(
                        TO_COME,
                        version=1,
                        status="scheduled",
                        starts="03-20T01:00",
                        ends="03-20T05:00",
                        announced="03-08T00:00",
                    )
                ),
                TO_COME,
            ),
        )
        await wait_handled(worker, 1 + 2 + 7)

        rows = await windows(worker)
        assert (rows[IN_TIME].version, rows[IN_TIME].status) == (3, "completed")
        assert rows[IN_TIME].completed_at == at("2026-03-04T03:30:00+00:00")
        assert rows[CANCELLED].status == "cancelled"
        assert rows[ELSEWHERE].service_slugs == ["vpn"]

        async with client(sla_settings) as http:
            response = await http.get("/v1/services/email/facts")
        assert response.status_code == 200, response.text
        agreement = response.json()["agreement"]

    # 90 minutes excluded: the period counts 193 h - 1.5 h = 11 490 minutes. Downtime: A's 50
    # minutes and the late window's 60.
    assert agreement["maintenance_excluded_seconds"] == 90 * 60
    assert agreement["availability_percent"] == pytest.approx(
        100 * (1 - 110 / (OBSERVED_MINUTES - 90))
    )  # 99.043
    assert agreement["zone"] == "below"
    # No alert fired, but the late window counts in the measured figure too.
    assert agreement["measured_availability_percent"] == pytest.approx(
        100 * (1 - 60 / (OBSERVED_MINUTES - 90))
    )  # 99.478
    assert agreement["measured_zone"] == "below"
    assert agreement["maintenance"] == [
        {
            "id": IN_TIME,
            "start": "2026-03-04T02:00:00Z",
            "end": "2026-03-04T03:30:00Z",
            "late": False,
            "seconds": 90 * 60,
        },
        {
            "id": LATE,
            "start": "2026-03-06T20:00:00Z",
            "end": "2026-03-06T21:00:00Z",
            "late": True,
            "seconds": 60 * 60,
        },
    ]
