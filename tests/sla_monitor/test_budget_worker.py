"""Burn-rate alerts and the error budget at risk through the real worker and broker, on a
controllable clock: each transition appears once on the SLA topic, across a restart.

Email's objective: 99.9 % over the calendar month, in UTC. March 2026 has 31 days, so the
budget is 0.1 % of 44 640 minutes = 44.64 minutes, and 0.75 of it is 33.48 minutes. One
major outage runs from 10:00 to 10:40 on 2 March; worked out by hand:

- 10:00:30 — the hour holds 0.5 minutes down: (0.5 / 60) / 0.001 = 8.3, below 14.4. Nothing.
- 10:01 — the hour burns (1 / 60) / 0.001 = 16.7 and the 5 minutes (1 / 5) / 0.001 = 200:
  the 1h/5m page fires. The six hours burn (1 / 360) / 0.001 = 2.8, below 6.
- 10:05 — the six hours burn (5 / 360) / 0.001 = 13.9 and the 30 minutes 166.7: the
  6h/30m page fires too.
- 10:20 — sla-monitor restarted: both still fire (333 and 1000; 55.6 and 666.7); nothing new.
- 10:34 — 34 minutes consumed, 34 / 44.64 = 0.762 of the budget: at risk, once.
- 10:45 — the 5 minutes since 10:40 hold nothing: the 1h/5m page resolves. The 30 minutes
  still hold 25 minutes (833): the 6h/30m page keeps firing.
- 11:10 — the 30 minutes since 10:40 hold nothing: the 6h/30m page resolves.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from candor_shared.contract import ServiceRef, SlaAtRisk, SlaBurnRateAlert, Topics
from candor_shared.worker import Worker
from candor_sla_monitor.budget import service as budget
from candor_sla_monitor.budget.models import BudgetAlert
from candor_sla_monitor.models import OutboxRecord
from tests.conftest import HeldClock, eventually
from tests.kafka_helpers import read_events
from tests.sla_monitor.helpers import (
    SERVICE,
    at,
    migrated_sessions,
    opened,
    publish,
    resolved,
    serving_worker,
    sessions_of,
    snapshot,
    store_agreement,
    store_open_outage,
    wait_handled,
)
from tests.sla_monitor.test_facts import publish_catalog, upserted

INCIDENT = "0195f0c2-aaaa-7000-8000-0000000000b1"
OBJECTIVE = {"availability": {"adequate_percent": 99.9}}


def evaluations() -> float:
    return REGISTRY.get_sample_value("candor_budget_evaluations_total") or 0.0


async def rounds(count: int = 2) -> None:
    """Wait until ``count`` whole evaluation rounds have run from now (at the clock's time)."""
    start = evaluations()
    # A round already under way may have read the clock before it was moved: one more.
    await eventually(lambda: evaluations() >= start + count + 1, timeout=30)


async def alert_states(worker: Worker) -> dict[str, bool]:
    async with sessions_of(worker)() as session:
        rows = await session.scalars(select(BudgetAlert))
        return {row.alert: row.firing for row in rows}


async def until_states(worker: Worker, expected: dict[str, bool]) -> None:
    async def reached() -> bool:
        return await alert_states(worker) == expected

    await eventually(reached, timeout=30)


async def get_budget(settings: Any, slug: str = "email") -> httpx.Response:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{settings.sla_monitor_port}") as c:
        return await c.get(f"/v1/services/{slug}/budget")


def described(event: Any) -> tuple[Any, ...]:
    data = event.data
    if isinstance(data, SlaBurnRateAlert):
        return ("burn_rate", f"{data.long_window}/{data.short_window}", data.status, data.at)
    assert isinstance(data, SlaAtRisk)
    return ("at_risk", data.scope, round(data.consumed, 3), data.threshold, data.period_start)


async def test_an_outage_pages_resolves_and_puts_the_budget_at_risk_once_each(
    sla_settings: Any, broker: str
) -> None:
    settings = sla_settings.model_copy(update={"budget_evaluation_seconds": 0.05})
    clock = HeldClock(at("09:59"))
    async with serving_worker(settings, clock=clock) as worker:
        unknown = await get_budget(settings)
        assert unknown.status_code == 404
        assert "no catalog entry" in unknown.json()["detail"]
        await publish_catalog(worker, upserted(1, {"timezone": "UTC"}))
        await wait_handled(worker, 1)
        without = await get_budget(settings)
        assert without.status_code == 404
        assert "no availability objective" in without.json()["detail"]

        await publish_catalog(worker, upserted(2, OBJECTIVE))
        clock.now = at("10:00") + timedelta(seconds=30)
        await publish(worker, opened(snapshot(INCIDENT, version=1, started="10:00")))
        await wait_handled(worker, 3)
        await rounds()
        assert await alert_states(worker) == {}

        clock.now = at("10:01")
        await until_states(worker, {"burn_rate:1h/5m": True})
        clock.now = at("10:05")
        await until_states(worker, {"burn_rate:1h/5m": True, "burn_rate:6h/30m": True})

        response = await get_budget(settings)
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["period_start"], body["period_end"]) == (
            "2026-03-01T00:00:00Z",
            "2026-04-01T00:00:00Z",
        )
        assert body["allowed_seconds"] == pytest.approx(44.64 * 60)
        assert body["consumed_seconds"] == 5 * 60
        assert body["remaining_seconds"] == pytest.approx(39.64 * 60)
        assert body["consumed_share"] == pytest.approx(5 / 44.64)
        assert body["at_risk"] is False
        fast, slow = body["burn_rates"]
        assert (fast["rule"], fast["factor"], fast["firing"]) == ("1h/5m", 14.4, True)
        assert fast["long_burn_rate"] == pytest.approx(5 / 60 / 0.001)
        assert fast["short_burn_rate"] == pytest.approx(1000.0)
        assert (slow["rule"], slow["long_window_seconds"], slow["firing"]) == (
            "6h/30m",
            21600,
            True,
        )

    # Restarted while both pages fire: the table remembers, nothing is published again.
    clock.now = at("10:20")
    async with serving_worker(settings, clock=clock) as worker:
        await rounds()
        assert await alert_states(worker) == {"burn_rate:1h/5m": True, "burn_rate:6h/30m": True}

        clock.now = at("10:34")
        await until_states(
            worker, {"burn_rate:1h/5m": True, "burn_rate:6h/30m": True, "at_risk": True}
        )
        clock.now = at("10:40")
        await publish(
            worker, resolved(snapshot(INCIDENT, version=2, started="10:00", ended="10:40"))
        )
        await wait_handled(worker, 4)
        clock.now = at("10:45")
        await until_states(
            worker, {"burn_rate:1h/5m": False, "burn_rate:6h/30m": True, "at_risk": True}
        )
        clock.now = at("11:10")
        await until_states(
            worker, {"burn_rate:1h/5m": False, "burn_rate:6h/30m": False, "at_risk": True}
        )
        await rounds()
        assert (await get_budget(settings)).json()["at_risk"] is True

        async def outbox_empty() -> bool:
            async with sessions_of(worker)() as session:
                return (await session.scalar(select(OutboxRecord.id).limit(1))) is None

        await eventually(outbox_empty, timeout=30)

    topic = Topics(settings.kafka_topic_prefix).sla
    events = [
        event
        for event in await read_events(broker, topic, count=6, timeout=5)
        if isinstance(event.data, SlaBurnRateAlert | SlaAtRisk)
    ]
    assert [described(event) for event in events] == [
        ("burn_rate", "1:00:00/0:05:00", "firing", at("10:01")),
        ("burn_rate", "6:00:00/0:30:00", "firing", at("10:05")),
        ("at_risk", "error_budget", round(34 / 44.64, 3), 0.75, at("2026-03-01T00:00:00+00:00")),
        ("burn_rate", "1:00:00/0:05:00", "resolved", at("10:45")),
        ("burn_rate", "6:00:00/0:30:00", "resolved", at("11:10")),
    ]
    assert {event.partitionkey for event in events} == {SERVICE.id}
    firing = events[0].data
    assert isinstance(firing, SlaBurnRateAlert)
    assert (firing.service, firing.factor, firing.objective_percent) == (SERVICE, 14.4, 99.9)
    assert firing.long_burn_rate == pytest.approx(1 / 60 / 0.001)
    assert firing.short_burn_rate == pytest.approx(1 / 5 / 0.001)


async def test_racing_evaluations_publish_each_transition_once(sla_settings: Any) -> None:
    """On PostgreSQL the evaluations really run at once; on SQLite they queue for the lock."""
    async with migrated_sessions(sla_settings, pool_size=10) as sessions:
        async with sessions() as session, session.begin():
            await store_agreement(session, OBJECTIVE)
            await store_open_outage(session, INCIDENT, since="10:00")
        # At 10:05 both pages fire (see the module's docstring): two events, whoever wins.
        published = await asyncio.gather(
            *(
                budget.evaluate_all(sessions=sessions, now=at("10:05"), at_risk_share=0.75)
                for _ in range(10)
            )
        )
        assert sum(published) == 2
        async with sessions() as session:
            rows = list(await session.scalars(select(OutboxRecord)))
        assert sorted(row.event_type or "" for row in rows) == [SlaBurnRateAlert.event_type] * 2


async def test_a_service_whose_terms_cannot_be_evaluated_stops_no_other(sla_settings: Any) -> None:
    """Services are evaluated by slug; "aaa" comes first. Its timezone is none that exists:
    stored before the contract checked zones, its terms no longer validate, so it is skipped
    with a warning (``budget.terms_invalid``, not a failure of the round), and Email's pages
    still fire in the same round."""
    failures = REGISTRY.get_sample_value("candor_budget_service_failures_total") or 0.0
    async with migrated_sessions(sla_settings) as sessions:
        async with sessions() as session, session.begin():
            aaa = ServiceRef(id="0195f0c2-0000-7000-8000-0000000000aa", slug="aaa", name="AAA")
            await store_agreement(session, {**OBJECTIVE, "timezone": "Mars/Olympus"}, service=aaa)
            await store_agreement(session, OBJECTIVE)
            await store_open_outage(session, INCIDENT, since="10:00")
        published = await budget.evaluate_all(
            sessions=sessions, now=at("10:05"), at_risk_share=0.75
        )
    assert published == 2  # Email's two pages (see the module's docstring)
    after = REGISTRY.get_sample_value("candor_budget_service_failures_total") or 0.0
    assert after == failures
