"""A simulated month: March 2026 on a controllable clock, five incidents of the Email service.

Every right answer is worked out by hand below: the events the deadlines fire and their
minutes, which terms each incident broke, the month's compliance per term, and the
availability the facts endpoint reports.

The agreement (timezone UTC; adequate 99.5 %, desired 99.9 % over the calendar month; a minor
incident counts half its time as downtime):

| impact   | acknowledge | first communication | update every | restore |
| -------- | ----------- | ------------------- | ------------ | ------- |
| minor    | 1 h         | 2 h                 | -            | 1 day   |
| major    | 20 min      | 40 min              | 1 h          | 4 h     |
| critical | 8 min       | 20 min              | 40 min       | 2 h     |

Update due 5 minutes before first-communication and update deadlines; at risk at 75 %.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from candor_dev.ports import free_port
from candor_shared.contract import CloudEvent, Topics
from candor_shared.intervals import Window
from candor_sla_monitor.deadlines.compliance import breached_terms, deadlines_in, term_compliance
from candor_sla_monitor.settings import SlaSettings
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
    reopened_at,
    resolved_at,
    scheduler_of,
    send,
    updated_at,
)
from tests.sla_monitor.helpers import at, serving_worker, sessions_of, wait_handled

A = "0195f0c2-0a0a-7000-8000-00000000000a"
B = "0195f0c2-0b0b-7000-8000-00000000000b"
C = "0195f0c2-0c0c-7000-8000-00000000000c"
D = "0195f0c2-0d0d-7000-8000-00000000000d"
E = "0195f0c2-0e0e-7000-8000-00000000000e"
NAMES = {A: "A", B: "B", C: "C", D: "D", E: "E"}
TERMS = {
    "minor": {
        "acknowledge_within": "PT1H",
        "first_communication_within": "PT2H",
        "restore_within": "P1D",
    },
    "major": {
        "acknowledge_within": "PT20M",
        "first_communication_within": "PT40M",
        "update_every": "PT1H",
        "restore_within": "PT4H",
    },
    "critical": {
        "acknowledge_within": "PT8M",
        "first_communication_within": "PT20M",
        "update_every": "PT40M",
        "restore_within": "PT2H",
    },
}
OBJECTIVE = {"adequate_percent": 99.5, "desired_percent": 99.9, "window": "calendar_month"}
MINUTE = timedelta(minutes=1)


def t(day: int, hhmm: str) -> str:
    """``hhmm`` UTC on ``day`` March 2026."""
    return f"2026-03-{day:02d}T{hhmm}:00+00:00"


def F(day: int, hhmm: str, deadline: str, kind: str) -> Fired:
    return Fired(at(t(day, hhmm)), deadline, kind)


def month_of_facts() -> dict[datetime, list[tuple[str, CloudEvent[Any]]]]:
    """What happens in March, by the minute it happens, with what each deadline makes of it."""
    facts: dict[str, list[tuple[str, CloudEvent[Any]]]] = {}

    def on(when: str, topic: str, event: CloudEvent[Any]) -> None:
        facts.setdefault(when, []).append((topic, event))

    # A, major, 2 March: trouble since 08:55, opened 09:00.
    # - acknowledge 09:00 -> 09:20 (at risk 09:15): acknowledged 09:12, met.
    # - first communication 09:00 -> 09:40: the opening notice at 09:05, met.
    # - update 1: 09:00 -> 10:00, met 09:05. Update 2: 09:05 -> 10:05 (at risk 09:50,
    #   update due 10:00): the public update at 09:58 meets it; AT RISK 09:50.
    # - update 3: 09:58 -> 10:58 (at risk 10:43, update due 10:53): the holding notice only
    #   at 11:03: AT RISK 10:43, UPDATE DUE 10:53, BREACHED 10:59 — a breach is published
    #   once the due minute is over (met 5 minutes late).
    # - update 4: 11:03 -> 12:03 (at risk 11:48): resolved 11:30, cancelled.
    # - restore 08:55 -> 12:55 (at risk 11:55): resolved 11:30, met.
    a = {"opened": t(2, "09:00"), "started": t(2, "08:55")}
    on(t(2, "09:00"), "incident", opened_at(incident(A, version=1, **a), t(2, "09:00")))
    on(t(2, "09:05"), "delivery", notice(A, t(2, "09:05"), kind="opened"))
    acked = {**a, "acknowledged": t(2, "09:12")}
    on(
        t(2, "09:12"),
        "incident",
        updated_at(incident(A, version=2, **acked), t(2, "09:12"), kind="acknowledged"),
    )
    on(
        t(2, "09:58"),
        "incident",
        updated_at(incident(A, version=3, **acked), t(2, "09:58"), message="Relays restarting."),
    )
    on(t(2, "11:03"), "delivery", notice(A, t(2, "11:03"), kind="holding"))
    on(
        t(2, "11:30"),
        "incident",
        resolved_at(incident(A, version=4, **acked, resolved=t(2, "11:30")), t(2, "11:30")),
    )

    # B, minor, 10 March 14:00, never acknowledged; users first hear at 16:30; resolved 17:00.
    # - acknowledge 14:00 -> 15:00: AT RISK 14:45, BREACHED 15:01 (never met).
    # - first communication 14:00 -> 16:00: AT RISK 15:30, UPDATE DUE 15:55, BREACHED 16:01
    #   (met 30 minutes late). No update term for minor incidents.
    # - restore 14:00 -> 11 March 14:00 (at risk 11 March 08:00): met 17:00.
    b = {"opened": t(10, "14:00"), "impact": "minor"}
    on(t(10, "14:00"), "incident", opened_at(incident(B, version=1, **b), t(10, "14:00")))
    on(t(10, "16:30"), "delivery", notice(B, t(10, "16:30"), kind="opened"))
    on(
        t(10, "17:00"),
        "incident",
        resolved_at(incident(B, version=2, **b, resolved=t(10, "17:00")), t(10, "17:00")),
    )

    # C, critical, 20 March: trouble since 21:30, opened 21:40.
    # - acknowledge 21:40 -> 21:48: acknowledged 21:45, met.
    # - first communication 21:40 -> 22:00: the opening notice 21:50, met.
    # - update 1: 21:40 -> 22:20, met 21:50. Update 2: 21:50 -> 22:30 (at risk 22:20): public
    #   update 22:22, AT RISK 22:20. Update 3: 22:22 -> 23:02 (at risk 22:52): public update
    #   22:56, AT RISK 22:52. Update 4: 22:56 -> 23:36 (at risk 23:26): holding notice 23:20,
    #   met. Update 5: 23:20 -> 00:00: resolved 23:40, cancelled.
    # - restore 21:30 -> 23:30 (at risk 23:00): AT RISK 23:00, BREACHED 23:31 (met 23:40).
    c = {"opened": t(20, "21:40"), "started": t(20, "21:30"), "impact": "critical"}
    on(t(20, "21:40"), "incident", opened_at(incident(C, version=1, **c), t(20, "21:40")))
    c_acked = {**c, "acknowledged": t(20, "21:45")}
    on(
        t(20, "21:45"),
        "incident",
        updated_at(incident(C, version=2, **c_acked), t(20, "21:45"), kind="acknowledged"),
    )
    on(t(20, "21:50"), "delivery", notice(C, t(20, "21:50"), kind="opened"))
    for version, when in ((3, "22:22"), (4, "22:56")):
        on(
            t(20, when),
            "incident",
            updated_at(incident(C, version=version, **c_acked), t(20, when), message="Still on."),
        )
    on(t(20, "23:20"), "delivery", notice(C, t(20, "23:20"), kind="holding"))
    on(
        t(20, "23:40"),
        "incident",
        resolved_at(incident(C, version=5, **c_acked, resolved=t(20, "23:40")), t(20, "23:40")),
    )

    # D, major, 28 March 12:00, resolved 12:10 before anything fell due: acknowledge, first
    # communication and update 1 cancelled (no events); restore met.
    d = {"opened": t(28, "12:00")}
    on(t(28, "12:00"), "incident", opened_at(incident(D, version=1, **d), t(28, "12:00")))
    on(
        t(28, "12:10"),
        "incident",
        resolved_at(incident(D, version=2, **d, resolved=t(28, "12:10")), t(28, "12:10")),
    )

    # E, major, 30 March 08:00: acknowledged 08:05, notice 08:10, resolved 08:30, back at
    # 08:50 (reopened), notice 08:52, resolved for good 09:40.
    # - acknowledge and first communication met in the first episode: no new round after.
    # - update 1: 08:00 -> 09:00, met 08:10. Update 2: 08:10 -> 09:10, cancelled at 08:30.
    # - update 3 (the reopening): 08:50 -> 09:50, met 08:52. Update 4: 08:52 -> 09:52
    #   (at risk 09:37): AT RISK 09:37, then resolved 09:40: cancelled.
    # - restore 08:00 -> 12:00: not restored at 08:30 after all; met 09:40.
    e = {"opened": t(30, "08:00")}
    e_acked = {**e, "acknowledged": t(30, "08:05")}
    on(t(30, "08:00"), "incident", opened_at(incident(E, version=1, **e), t(30, "08:00")))
    on(
        t(30, "08:05"),
        "incident",
        updated_at(incident(E, version=2, **e_acked), t(30, "08:05"), kind="acknowledged"),
    )
    on(t(30, "08:10"), "delivery", notice(E, t(30, "08:10"), kind="opened"))
    on(
        t(30, "08:30"),
        "incident",
        resolved_at(incident(E, version=3, **e_acked, resolved=t(30, "08:30")), t(30, "08:30")),
    )
    on(
        t(30, "08:50"),
        "incident",
        reopened_at(
            incident(E, version=4, **e_acked, reopened=1), t(30, "08:50"), previous=t(30, "08:30")
        ),
    )
    on(t(30, "08:52"), "delivery", notice(E, t(30, "08:52"), kind="reopened"))
    on(
        t(30, "09:40"),
        "incident",
        resolved_at(
            incident(E, version=5, **e_acked, resolved=t(30, "09:40"), reopened=1), t(30, "09:40")
        ),
    )
    return {at(when): events for when, events in facts.items()}


EXPECTED = [
    F(2, "09:50", "A:update:2", "at_risk"),
    F(2, "10:43", "A:update:3", "at_risk"),
    F(2, "10:53", "A:update:3", "update_due"),
    F(2, "10:59", "A:update:3", "breached"),
    F(10, "14:45", "B:acknowledge:1", "at_risk"),
    F(10, "15:01", "B:acknowledge:1", "breached"),
    F(10, "15:30", "B:first_communication:1", "at_risk"),
    F(10, "15:55", "B:first_communication:1", "update_due"),
    F(10, "16:01", "B:first_communication:1", "breached"),
    F(20, "22:20", "C:update:2", "at_risk"),
    F(20, "22:52", "C:update:3", "at_risk"),
    F(20, "23:00", "C:restore:1", "at_risk"),
    F(20, "23:31", "C:restore:1", "breached"),
    F(30, "09:37", "E:update:4", "at_risk"),
]

# Declared downtime in March, weighted: A 08:55-11:30 = 155 min; B 14:00-17:00 = 180 min,
# minor, half: 90; C 21:30-23:40 = 130; D 12:00-12:10 = 10; E 08:00-09:40 = 100 (a reopened
# incident is one outage from its start). 485 minutes. Observed until 31 March 23:00: 30 days
# and 23 hours = 44,580 minutes. Availability 100 * (1 - 485 / 44580) = 98.91207 %: below.
NOW_AT_END = at(t(31, "23:00"))
AVAILABILITY = 100 * (1 - 485 / 44580)


@pytest.fixture
def settings(make_settings: Callable[..., Any]) -> SlaSettings:
    built: SlaSettings = make_settings(
        SlaSettings, "sla-monitor", sla_monitor_port=free_port(), deadline_poll_seconds=0.2
    )
    return built


async def test_a_month_of_incidents_fires_what_was_worked_out_by_hand(
    settings: SlaSettings,
) -> None:
    clock = TestClock(t(1, "00:00"))
    facts = month_of_facts()
    async with serving_worker(settings, clock=clock) as sla:
        await send(
            sla,
            "catalog",
            agreement(
                TERMS,
                timezone="UTC",
                availability=OBJECTIVE,
                downtime_fraction={"minor": 0.5},
            ),
        )
        handled = 1
        await wait_handled(sla, handled)
        scheduler = scheduler_of(sla)

        # Visit every minute something happens, every instant a deadline names (and the
        # minute before it), and every six hours besides; at each, what has fired must be
        # exactly what was worked out to fire by then.
        visits = set(facts) | {f.when for f in EXPECTED} | {f.when - MINUTE for f in EXPECTED}
        visits |= {at(t(1, "00:00")) + timedelta(hours=6 * n) for n in range(4 * 31)}
        visits.add(NOW_AT_END)
        seen: set[datetime] = set()
        while visits:
            now = min(visits)
            visits.discard(now)
            seen.add(now)
            clock.set(now)
            for topic, event in facts.get(now, []):
                await send(sla, topic, event)
                handled += 1
            await wait_handled(sla, handled)
            await scheduler.run_once()
            rows = await deadline_rows(sla)
            assert fired(rows, NAMES) == {f for f in EXPECTED if f.when <= now}, now
            for row in rows:
                for instant in (row.update_due_at, row.at_risk_at, row.due_at):
                    if instant is not None and now < instant <= NOW_AT_END:
                        visits |= {m for m in (instant, instant - MINUTE) if m > now} - seen

        topic = Topics(settings.kafka_topic_prefix).sla
        events = await read_events(
            settings.kafka_bootstrap, topic, count=len(EXPECTED) + 1, timeout=5
        )
        assert fired_on_topic(events, NAMES) == EXPECTED

        async with sessions_of(sla)() as session:
            records = await deadlines_in(
                session, "email", Window(at(t(1, "00:00")), at("2026-04-01T00:00:00+00:00"))
            )
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{settings.sla_monitor_port}"
        ) as client:
            answer = (await client.get("/v1/services/email/facts")).json()

    assert {NAMES[incident]: terms for incident, terms in breached_terms(records).items()} == {
        "A": ["update"],
        "B": ["acknowledge", "first_communication"],
        "C": ["restore"],
    }
    # Per incident, cancelled rounds aside: acknowledge A, C, E met, B breached (D was
    # resolved before it fell due); the same for first communication; updates: A breached,
    # C and E met (B had no update term, D only a cancelled round); restore: all five apply,
    # C breached.
    assert [
        (c.term, c.applicable, c.met, c.breached, c.pending, c.share_met)
        for c in term_compliance(records)
    ] == [
        ("acknowledge", 4, 3, 1, 0, 0.75),
        ("first_communication", 4, 3, 1, 0, 0.75),
        ("update", 3, 2, 1, 0, 2 / 3),
        ("restore", 5, 4, 1, 0, 0.8),
    ]
    late = {
        (NAMES[r.incident_id], r.term, r.round): r.late_by
        for r in records
        if r.outcome == "breached"
    }
    assert late == {
        ("A", "update", 3): timedelta(minutes=5),
        ("B", "acknowledge", 1): timedelta(hours=2),  # never met: ran until resolved, 17:00
        ("B", "first_communication", 1): timedelta(minutes=30),
        ("C", "restore", 1): timedelta(minutes=10),
    }
    agreement_facts = answer["agreement"]
    assert agreement_facts["observed_until"] == "2026-03-31T23:00:00Z"
    assert agreement_facts["availability_percent"] == pytest.approx(AVAILABILITY, abs=1e-4)
    assert agreement_facts["zone"] == "below"
