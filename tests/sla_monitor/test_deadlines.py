"""Deadlines on a controllable clock: each event at its minute, once, through the real broker.

Times are on Monday 2 March 2026, UTC. The agreement's major terms: acknowledge within 20
minutes, first communication within 40, updates every hour, restore within 4 hours; the
update-due lead is 5 minutes and a deadline is at risk when 75 % of its time is consumed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from candor_dev.ports import free_port
from candor_shared.contract import Topics
from candor_sla_monitor.settings import SlaSettings
from candor_sla_monitor.worker import create_worker
from tests.conftest import RunningWorker, eventually
from tests.kafka_helpers import read_events
from tests.sla_monitor.deadline_helpers import (
    Fired,
    TestClock,
    agreement,
    deadline_rows,
    fired,
    fired_on_topic,
    incident,
    notice,
    opened_at,
    resolved_at,
    scheduler_of,
    send,
    updated_at,
)
from tests.sla_monitor.helpers import at, outages, serving_worker, wait_handled

A = "0195f0c2-aaaa-7000-8000-00000000000a"
NAMES = {A: "A"}
MAJOR = {
    "acknowledge_within": "PT20M",
    "first_communication_within": "PT40M",
    "update_every": "PT1H",
    "restore_within": "PT4H",
}


@pytest.fixture
def settings(make_settings: Callable[..., Any]) -> SlaSettings:
    settings: SlaSettings = make_settings(
        SlaSettings, "sla-monitor", sla_monitor_port=free_port(), deadline_poll_seconds=0.1
    )
    return settings


@pytest.fixture
async def worker(settings: SlaSettings) -> AsyncIterator[tuple[RunningWorker, TestClock]]:
    clock = TestClock("08:00")
    running = RunningWorker(create_worker(settings, serve_http=False, clock=clock))
    await running.start()
    try:
        yield running, clock
    finally:
        await running.stop()


def F(when: str, deadline: str, kind: str) -> Fired:
    return Fired(at(when), deadline, kind)


# What must fire, worked out by hand. Incident A: trouble since 07:50, opened 08:00.
# - acknowledge: 08:00 -> due 08:20 (at risk 08:15); acknowledged 08:10: nothing fires.
# - first communication: 08:00 -> due 08:40 (at risk 08:30, update due 08:35); users first
#   hear at 08:50 (a public update): at risk, update due and breached (at 08:41, once its
#   due minute is over) fire, met 10 min late.
# - update round 1: 08:00 -> due 09:00 (at risk 08:45, update due 08:55); met by the 08:50
#   update: only at risk fires.
# - update round 2: 08:50 -> due 09:50 (at risk 09:35, update due 09:45); a holding notice is
#   delivered at 09:46: at risk and update due fire, met in time.
# - update round 3: 09:46 -> due 10:46 (at risk 10:31); resolved at 10:20: cancelled.
# - restore: 07:50 -> due 11:50 (at risk 10:50); resolved 10:20: met, nothing fires.
EXPECTED = [
    F("08:30", "A:first_communication:1", "at_risk"),
    F("08:35", "A:first_communication:1", "update_due"),
    F("08:41", "A:first_communication:1", "breached"),
    F("08:45", "A:update:1", "at_risk"),
    F("09:35", "A:update:2", "at_risk"),
    F("09:45", "A:update:2", "update_due"),
]


async def test_each_event_fires_at_its_minute_once(
    worker: tuple[RunningWorker, TestClock],
) -> None:
    running, clock = worker
    sla = running.worker
    await send(sla, "catalog", agreement({"major": MAJOR}))
    await wait_handled(sla, 1)
    first = incident(A, version=1, opened="08:00", started="07:50")
    acknowledged = incident(A, version=2, opened="08:00", started="07:50", acknowledged="08:10")
    told = incident(A, version=3, opened="08:00", started="07:50", acknowledged="08:10")
    done = incident(
        A, version=4, opened="08:00", started="07:50", acknowledged="08:10", resolved="10:20"
    )
    public_update = updated_at(told, "08:50", message="We are restarting the mail relays.")
    holding = notice(A, "09:46", kind="holding", notice_id="n-holding")
    facts = {
        "08:00": [("incident", opened_at(first, "08:00"))],
        "08:10": [("incident", updated_at(acknowledged, "08:10", kind="acknowledged"))],
        # Redelivered facts change nothing: the same event again, the same notice again.
        "08:50": [("incident", public_update), ("incident", public_update)],
        "09:46": [("delivery", holding), ("delivery", notice(A, "09:46", notice_id="n-holding"))],
        "10:20": [("incident", resolved_at(done, "10:20"))],
    }
    sent = 1
    scheduler = scheduler_of(sla)
    minute = at("08:00")
    while minute <= at("12:00"):
        clock.set(minute)
        for topic, event in facts.get(minute.strftime("%H:%M"), []):
            await send(sla, topic, event)
            sent += 1
        # The inbox skips the redelivered update: one handled event fewer than sent at 08:50.
        await wait_handled(sla, sent - (1 if minute >= at("08:50") else 0))
        await scheduler.run_once()
        rows = await deadline_rows(sla)
        assert fired(rows, NAMES) == {f for f in EXPECTED if f.when <= minute}, minute
        minute += timedelta(minutes=1)

    by_id = {row.id.removeprefix(f"{A}:"): row for row in rows}
    outcomes = {name: (row.outcome, row.met_at) for name, row in by_id.items()}
    assert outcomes == {
        "acknowledge:1": ("met", at("08:10")),
        "first_communication:1": ("breached", at("08:50")),
        "update:1": ("met", at("08:50")),
        "update:2": ("met", at("09:46")),
        "update:3": ("cancelled", None),
        "restore:1": ("met", at("10:20")),
    }
    assert by_id["update:3"].ended_at == at("10:20")
    assert all(row.next_fire_at is None for row in rows)

    # The topic holds each event once, stamped with the minute it fired.
    topic = Topics(sla.settings.kafka_topic_prefix).sla
    events = await read_events(
        sla.settings.kafka_bootstrap, topic, count=len(EXPECTED) + 1, timeout=3
    )
    assert fired_on_topic(events, NAMES) == EXPECTED
    by_kind = {(e.data.deadline.deadline_id.rsplit(":", 2)[1], e.type): e.data for e in events}
    breach = by_kind[("first_communication", "candor.sla.breached.v1")]
    # Published at 08:41, once the due minute 08:40 was over: a minute late, still unmet.
    assert (breach.by, breach.met_at) == (timedelta(minutes=1), None)
    assert breach.deadline.allowed == timedelta(minutes=40)
    assert breach.deadline.service.name == "Email"
    due = by_kind[("first_communication", "candor.sla.update_due.v1")]
    assert (due.lead, due.last_communication_at) == (timedelta(minutes=5), None)
    risk = by_kind[("first_communication", "candor.sla.at_risk.v1")]
    assert (risk.scope, risk.consumed, risk.threshold) == ("deadline", 0.75, 0.75)


async def test_a_change_of_impact_moves_pending_deadlines_and_none_cancels_them(
    worker: tuple[RunningWorker, TestClock],
) -> None:
    running, clock = worker
    sla = running.worker
    # Minor: acknowledge within an hour; critical: within 8 minutes.
    await send(
        sla,
        "catalog",
        agreement(
            {"minor": {"acknowledge_within": "PT1H"}, "critical": {"acknowledge_within": "PT8M"}}
        ),
    )
    await wait_handled(sla, 1)
    await send(
        sla, "incident", opened_at(incident(A, version=1, opened="08:00", impact="minor"), "08:00")
    )
    await wait_handled(sla, 2)
    [row] = await deadline_rows(sla)
    assert (row.impact, row.due_at, row.at_risk_at) == ("minor", at("09:00"), at("08:45"))

    # At 08:10 the incident turns critical: its 8 minutes ran out at 08:08, so the breach
    # fires at the next pass, 2 minutes late.
    clock.set("08:10")
    raised = incident(A, version=2, opened="08:00", impact="critical")
    await send(sla, "incident", updated_at(raised, "08:10", kind="impact"))
    await wait_handled(sla, 3)
    await scheduler_of(sla).run_once()
    [row] = await deadline_rows(sla)
    assert (row.impact, row.due_at, row.outcome) == ("critical", at("08:08"), "breached")
    assert row.breached_published_at == at("08:10")
    assert row.at_risk_published_at is None  # at risk is old news once breached

    # Back to minor: the breach stands (it was decided under the critical terms).
    lowered = incident(A, version=3, opened="08:00", impact="minor")
    await send(sla, "incident", updated_at(lowered, "08:12", kind="impact"))
    await wait_handled(sla, 4)
    [row] = await deadline_rows(sla)
    assert (row.impact, row.due_at, row.outcome) == ("critical", at("08:08"), "breached")

    # A second incident of impact "none" gets no deadline; one lowered to none is cancelled.
    b = "0195f0c2-bbbb-7000-8000-00000000000b"
    await send(
        sla,
        "incident",
        opened_at(incident(b, version=1, opened="08:20", impact="minor"), "08:20"),
        updated_at(incident(b, version=2, opened="08:20", impact="none"), "08:30", kind="impact"),
    )
    await wait_handled(sla, 6)
    rows = {row.incident_id: row for row in await deadline_rows(sla)}
    assert (rows[b].outcome, rows[b].ended_at, rows[b].next_fire_at) == (
        "cancelled",
        at("08:30"),
        None,
    )


async def test_the_operator_view_lists_an_incidents_deadlines(settings: SlaSettings) -> None:
    clock = TestClock("08:30")
    async with serving_worker(settings, clock=clock) as sla:
        await send(sla, "catalog", agreement({"major": MAJOR}))
        await wait_handled(sla, 1)
        await send(
            sla,
            "incident",
            opened_at(incident(A, version=1, opened="08:00", started="07:50"), "08:00"),
            notice(A, "08:05", kind="opened"),
        )
        await wait_handled(sla, 3)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{settings.sla_monitor_port}"
        ) as client:
            response = await client.get(f"/v1/incidents/{A}/deadlines")
            missing = await client.get("/v1/incidents/nobody/deadlines")
            too_long = await client.get(f"/v1/incidents/{'x' * 65}/deadlines")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["service"], body["impact"], body["open"]) == ("email", "major", True)
    assert body["communications"] == ["2026-03-02T08:05:00Z"]
    states = {
        (d["term"], d["round"]): (d["state"], d["allowed"], d["due_at"]) for d in body["deadlines"]
    }
    assert states == {
        # Unacknowledged at 08:30, due at 08:20: breached, though no pass has published it.
        ("acknowledge", 1): ("breached", "PT20M", "2026-03-02T08:20:00Z"),
        ("first_communication", 1): ("met", "PT40M", "2026-03-02T08:40:00Z"),
        ("update", 1): ("met", "PT1H", "2026-03-02T09:00:00Z"),
        ("update", 2): ("pending", "PT1H", "2026-03-02T09:05:00Z"),
        ("restore", 1): ("pending", "PT4H", "2026-03-02T11:50:00Z"),
    }
    assert [d["term"] for d in body["deadlines"]] == [
        "acknowledge",
        "first_communication",
        "update",
        "update",
        "restore",
    ]
    assert missing.status_code == 404
    assert "nobody" in missing.json()["detail"]
    assert too_long.status_code == 422


async def test_a_stopped_worker_fires_what_fell_due_once_when_it_is_back(
    settings: SlaSettings,
) -> None:
    clock = TestClock("08:00")
    first = RunningWorker(create_worker(settings, serve_http=False, clock=clock))
    await first.start()
    try:
        await send(first.worker, "catalog", agreement({"major": MAJOR}))
        await wait_handled(first.worker, 1)
        await send(
            first.worker, "incident", opened_at(incident(A, version=1, opened="08:00"), "08:00")
        )
        await wait_handled(first.worker, 2)
        await eventually(lambda: _count_rows(first.worker, 4))
    finally:
        await first.stop()

    # Down from 08:00 to 08:30: acknowledge fell due at 08:20 (its at-risk moment, 08:15,
    # passed too, but the breach says more); first communication is at risk since 08:30.
    clock.set("08:30")
    topic = Topics(settings.kafka_topic_prefix).sla
    for restart in range(2):
        again = RunningWorker(create_worker(settings, serve_http=False, clock=clock))
        await again.start()
        try:
            await scheduler_of(again.worker).run_once()
            events = await read_events(settings.kafka_bootstrap, topic, count=3, timeout=5)
        finally:
            await again.stop()
        assert fired_on_topic(events, NAMES) == [
            F("08:30", "A:acknowledge:1", "breached"),
            F("08:30", "A:first_communication:1", "at_risk"),
        ], f"after restart {restart + 1}"
    [breach] = [e.data for e in events if e.type == "candor.sla.breached.v1"]
    assert (breach.by, breach.deadline.due_at) == (timedelta(minutes=10), at("08:20"))


async def _count_rows(worker: Any, count: int) -> bool:
    return len(await deadline_rows(worker)) == count


async def test_a_business_hours_deadline_waits_over_the_easter_weekend(
    worker: tuple[RunningWorker, TestClock],
) -> None:
    running, clock = worker
    sla = running.worker
    hours = {
        "timezone": "Europe/Paris",
        "days": ["mon", "tue", "wed", "thu", "fri"],
        "start": "09:00",
        "end": "17:00",
        "holidays": "FR",
    }
    terms = {"acknowledge_within": "PT1H", "update_every": "PT1H", "business_hours_only": True}
    await send(sla, "catalog", agreement({"major": terms}, business_hours=hours))
    await wait_handled(sla, 1)
    # Opened on Good Friday, 3 April 2026, at 16:30 in Paris (14:30 UTC): 30 business
    # minutes that day; Easter Monday is a public holiday in France; the clocks run again on
    # Tuesday 7 April at 09:00 Paris (07:00 UTC). Both deadlines fall due 30 minutes later,
    # at 07:30 UTC (breached once that minute is over, 07:31); at risk after 45 business
    # minutes (07:15), update due 5 minutes early.
    clock.set("2026-04-03T14:30:00+00:00")
    opened = incident(A, version=1, opened="2026-04-03T14:30:00+00:00")
    await send(sla, "incident", opened_at(opened, "2026-04-03T14:30:00+00:00"))
    await wait_handled(sla, 2)
    expected = [
        F("2026-04-07T07:15:00+00:00", "A:acknowledge:1", "at_risk"),
        F("2026-04-07T07:15:00+00:00", "A:update:1", "at_risk"),
        F("2026-04-07T07:25:00+00:00", "A:update:1", "update_due"),
        F("2026-04-07T07:31:00+00:00", "A:acknowledge:1", "breached"),
        F("2026-04-07T07:31:00+00:00", "A:update:1", "breached"),
    ]
    for now in (
        "2026-04-03T15:30:00+00:00",  # an hour later: due, were it not for business hours
        "2026-04-03T16:00:00+00:00",  # closing time in Paris
        "2026-04-04T12:00:00+00:00",
        "2026-04-06T08:00:00+00:00",  # Easter Monday
        "2026-04-07T07:14:00+00:00",
        "2026-04-07T07:15:00+00:00",
        "2026-04-07T07:24:00+00:00",
        "2026-04-07T07:25:00+00:00",
        "2026-04-07T07:29:00+00:00",
        "2026-04-07T07:30:00+00:00",
        "2026-04-07T07:31:00+00:00",
    ):
        clock.set(now)
        await scheduler_of(sla).run_once()
        assert fired(await deadline_rows(sla), NAMES) == {
            f for f in expected if f.when <= at(now)
        }, now
    rows = {row.term: row for row in await deadline_rows(sla)}
    assert rows["acknowledge"].business_hours_only
    assert rows["acknowledge"].due_at == at("2026-04-07T07:30:00+00:00")
    topic = Topics(sla.settings.kafka_topic_prefix).sla
    events = await read_events(sla.settings.kafka_bootstrap, topic, count=len(expected))
    assert fired_on_topic(events, NAMES) == sorted(expected)
    risk = next(e.data for e in events if e.type == "candor.sla.at_risk.v1")
    assert (risk.consumed, risk.deadline.business_hours_only) == (0.75, True)


async def test_a_term_of_millions_of_days_is_kept_to_ten_years_and_loses_no_outage(
    worker: tuple[RunningWorker, TestClock],
) -> None:
    # The contract takes any duration from a minute up. 999,999,999 days from 08:00 is past
    # year 9999 (and, in seconds, past the database's integer): the incident's handler
    # failed, the event went to the dead-letter topic, and its outage left the ledger too.
    running, _ = worker
    huge = {"acknowledge_within": "P999999999D", "restore_within": "PT4H"}
    await send(running.worker, "catalog", agreement({"major": huge}))
    await wait_handled(running.worker, 1)
    await send(
        running.worker, "incident", opened_at(incident(A, version=1, opened="08:00"), "08:00")
    )
    await wait_handled(running.worker, 2)

    rows = {row.term: row for row in await deadline_rows(running.worker)}
    assert rows["acknowledge"].due_at == at("08:00") + timedelta(days=3660)
    assert rows["acknowledge"].allowed_seconds == 3660 * 24 * 3600
    assert rows["restore"].due_at == at("12:00")
    assert [outage.incident_id for outage in await outages(running.worker)] == [A]
