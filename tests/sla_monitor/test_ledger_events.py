"""Incident and alert events become outage rows and alert intervals, whatever their order.

Events are put on the broker directly, as incident-api's relay would, so that redelivery
and out-of-order versions can be produced on purpose.
"""

from __future__ import annotations

from candor_shared.worker import Worker
from tests.conftest import eventually
from tests.sla_monitor.helpers import (
    alert_fired,
    alert_intervals,
    alert_resolved,
    at,
    duplicates_skipped,
    opened,
    outages,
    publish,
    resolved,
    snapshot,
    wait_handled,
)

INCIDENT = "0195f0c2-1111-7000-8000-000000000001"


async def test_opened_then_resolved_gives_one_outage_with_its_start_and_end(
    sla_monitor: Worker,
) -> None:
    await publish(
        sla_monitor,
        opened(snapshot(INCIDENT, version=1, started="08:00")),
        resolved(snapshot(INCIDENT, version=2, started="08:00", ended="08:45")),
    )

    await wait_handled(sla_monitor, 2)
    [outage] = await outages(sla_monitor)
    assert outage.incident_id == INCIDENT
    assert outage.service_slug == "email"
    assert outage.impact == "major"
    assert outage.started_at == at("08:00")
    assert outage.ended_at == at("08:45")
    assert outage.last_version == 2


async def test_an_open_incident_has_no_end(sla_monitor: Worker) -> None:
    await publish(sla_monitor, opened(snapshot(INCIDENT, version=1, started="08:00")))

    [outage] = await eventually(lambda: outages(sla_monitor))
    assert outage.started_at == at("08:00")
    assert outage.ended_at is None
    assert outage.last_version == 1


async def test_redelivered_event_is_skipped_and_changes_nothing(sla_monitor: Worker) -> None:
    first = opened(snapshot(INCIDENT, version=1, started="08:00"))
    fired = alert_fired(INCIDENT, starts="08:00")
    skipped_before = duplicates_skipped(sla_monitor)

    await publish(sla_monitor, first, fired, first, fired)

    await eventually(lambda: duplicates_skipped(sla_monitor) == skipped_before + 2)
    [outage] = await outages(sla_monitor)
    assert (outage.started_at, outage.ended_at, outage.last_version) == (at("08:00"), None, 1)
    [interval] = await alert_intervals(sla_monitor)
    assert (interval.starts_at, interval.ends_at) == (at("08:00"), None)


async def test_same_facts_under_new_event_ids_add_no_rows(sla_monitor: Worker) -> None:
    incident = snapshot(INCIDENT, version=2, started="08:00", ended="08:45")

    await publish(
        sla_monitor,
        alert_fired(INCIDENT, starts="08:00"),
        alert_resolved(INCIDENT, starts="08:00", ends="08:45"),
        resolved(incident),
        alert_fired(INCIDENT, starts="08:00"),
        alert_resolved(INCIDENT, starts="08:00", ends="08:50"),
        resolved(incident),
    )

    await wait_handled(sla_monitor, 6)
    [outage] = await outages(sla_monitor)
    assert (outage.started_at, outage.ended_at, outage.last_version) == (
        at("08:00"),
        at("08:45"),
        2,
    )
    [interval] = await alert_intervals(sla_monitor)
    assert (interval.starts_at, interval.ends_at) == (at("08:00"), at("08:45"))


async def test_resolved_arriving_before_opened_still_gives_the_right_row(
    sla_monitor: Worker,
) -> None:
    await publish(
        sla_monitor,
        resolved(snapshot(INCIDENT, version=2, started="08:00", ended="08:45")),
        opened(snapshot(INCIDENT, version=1, started="08:00")),
    )

    await wait_handled(sla_monitor, 2)
    [outage] = await outages(sla_monitor)
    assert outage.ended_at == at("08:45")
    assert outage.last_version == 2


async def test_an_older_version_never_overwrites_a_newer_one(sla_monitor: Worker) -> None:
    # Version 3: a second alert showed the trouble began earlier, and it was critical.
    newest = snapshot(INCIDENT, version=3, started="07:55", ended="09:00", impact="critical")
    stale = snapshot(INCIDENT, version=2, started="08:00", ended="08:30")

    await publish(
        sla_monitor,
        opened(snapshot(INCIDENT, version=1, started="08:00")),
        resolved(newest),
        resolved(stale),
    )

    await wait_handled(sla_monitor, 3)
    [outage] = await outages(sla_monitor)
    assert (outage.started_at, outage.ended_at, outage.impact, outage.last_version) == (
        at("07:55"),
        at("09:00"),
        "critical",
        3,
    )


async def test_alert_resolution_arriving_before_its_firing_gives_a_closed_interval(
    sla_monitor: Worker,
) -> None:
    await publish(
        sla_monitor,
        alert_resolved(INCIDENT, starts="08:00", ends="08:20"),
        alert_fired(INCIDENT, starts="08:00"),
    )

    await wait_handled(sla_monitor, 2)
    [interval] = await alert_intervals(sla_monitor)
    assert (interval.starts_at, interval.ends_at) == (at("08:00"), at("08:20"))
    assert interval.severity == "critical"
    assert interval.incident_id == INCIDENT


async def test_an_alert_firing_again_gets_an_interval_of_its_own(sla_monitor: Worker) -> None:
    later = "0195f0c2-2222-7000-8000-000000000002"

    await publish(
        sla_monitor,
        alert_fired(INCIDENT, starts="08:00"),
        alert_resolved(INCIDENT, starts="08:00", ends="08:20"),
        alert_fired(later, starts="09:00"),
    )

    await wait_handled(sla_monitor, 3)
    intervals = await alert_intervals(sla_monitor)
    assert [(i.incident_id, i.starts_at, i.ends_at) for i in intervals] == [
        (INCIDENT, at("08:00"), at("08:20")),
        (later, at("09:00"), None),
    ]
