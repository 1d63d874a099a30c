"""Agreements per group of users: the month of ``test_reports`` evaluated against the
service's own agreement and against a stricter agreement with the Finance department.

The group agreement is complete terms, not an overlay: Finance's counts a minor incident in
full (the service's counts a quarter), asks two weeks' notice of maintenance (the service's
one day), 99.9 % adequate (99.5) and acknowledgement of a major incident within 5 minutes
(15). Worked out by hand for March 2026 in Europe/Paris (743 hours = 44,580 minutes):

| | service's own | Finance's |
| --- | --- | --- |
| A (major, 50 min) | 50 | 50 |
| B (minor, 20 min) | 5 | 20 |
| C (critical, 60 min in March) | 60 | 60 |
| maintenance announced 10 days ahead (2 h) | excluded | late: 120 |
| maintenance announced 1 hour ahead (30 min) | late: 30 | late: 30 |
| declared downtime | 145 of 44,460 | 280 of 44,580 |
| availability | 99.674 %: within | 99.372 %: below |
| A acknowledged after 10 minutes | met (15) | breached (5) |
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from candor_shared.contract import (
    CloudEvent,
    EventData,
    GroupRef,
    ServiceUpserted,
    SlaBreached,
    SlaBurnRateAlert,
    SlaReportRequested,
    Topics,
    from_kafka,
    new_event,
)
from candor_sla_monitor.budget import service as budget
from candor_sla_monitor.budget.models import BudgetAlert
from candor_sla_monitor.deadlines.models import IncidentDeadline
from candor_sla_monitor.models import OutboxRecord
from candor_sla_monitor.reports.models import MonthlyReport
from candor_sla_monitor.worker import create_worker
from tests.conftest import HeldClock, RunningWorker, eventually
from tests.kafka_helpers import read_raw
from tests.sla_monitor.helpers import (
    SERVICE,
    at,
    migrated_sessions,
    serving_worker,
    sessions_of,
    store_agreement,
    store_open_outage,
    wait_handled,
)
from tests.sla_monitor.test_reports import (
    AGREEMENT,
    A,
    B,
    C,
    check_march,
    published_reports,
    send,
    the_month_by_hand,
    wait_passes,
)

FINANCE = GroupRef(id="0195f0c2-f1f1-7000-8000-0000000000f1", name="Finance department")
FINANCE_TERMS: dict[str, Any] = {
    "timezone": "Europe/Paris",
    "availability": {"adequate_percent": 99.9, "desired_percent": 99.95},
    "maintenance_notice": "P14D",
    "terms": {
        "major": {
            "acknowledge_within": "PT5M",
            "first_communication_within": "PT30M",
            "restore_within": "PT1H",
        },
        "critical": {"acknowledge_within": "PT5M", "restore_within": "PT2H"},
    },
}
MINUTE = timedelta(minutes=1)
BEFORE_THE_MONTH = at("2026-03-01T00:00:00+00:00")
MONTH_MINUTES = 743 * 60


def with_finance() -> CloudEvent[EventData]:
    """Email with its own agreement and Finance's, newer than the one the month sends."""
    data = ServiceUpserted.model_validate(
        {
            "id": SERVICE.id,
            "slug": SERVICE.slug,
            "name": SERVICE.name,
            "agreement": AGREEMENT,
            "group_agreements": {FINANCE.id: FINANCE_TERMS},
            "group_names": {FINANCE.id: FINANCE.name},
            "version": 2,
        }
    )
    return new_event(data, source="/tests", key=SERVICE.id)


async def the_month_with_finance(worker: Any) -> None:
    """Finance's agreement first (so that its deadlines are planned), then the month."""
    await send(worker, lambda topics: topics.catalog, with_finance())
    await wait_handled(worker, 1)
    await the_month_by_hand(worker)  # its own version 1 of the service changes nothing
    await wait_handled(worker, 15)


def check_march_for_finance(report: Any) -> None:
    assert report.group == FINANCE
    assert report.service == SERVICE
    assert report.final is True
    assert (report.adequate_percent, report.desired_percent) == (99.9, 99.95)
    assert report.declared_downtime == 280 * MINUTE
    assert report.excluded_maintenance == timedelta(0)
    assert report.availability_percent == pytest.approx(100 * (1 - 280 / MONTH_MINUTES))
    assert report.zone == "below"
    budget = report.error_budget
    assert budget is not None
    assert budget.allowed == timedelta(minutes=44.58)
    assert budget.consumed == 280 * MINUTE
    assert [(i.id, i.downtime) for i in report.incidents] == [
        (A, 50 * MINUTE),
        (B, 20 * MINUTE),
        (C, 60 * MINUTE),
    ]
    assert [(i.id, i.breached) for i in report.incidents] == [
        (A, ["acknowledge"]),
        (B, []),
        (C, ["acknowledge", "restore"]),
    ]
    assert [
        (c.term, c.applicable, c.met, c.breached, c.pending, c.share_met) for c in report.compliance
    ] == [
        ("acknowledge", 2, 0, 2, 0, 0.0),
        ("first_communication", 1, 1, 0, 0, 1.0),
        ("update", 0, 0, 0, 0, None),
        ("restore", 2, 1, 1, 0, 0.5),
    ]
    assert [(m.excluded, m.late) for m in report.maintenance] == [(False, True), (False, True)]


def requested(period: str, group: GroupRef | None) -> CloudEvent[Any]:
    data = SlaReportRequested(service=SERVICE, period=period, requested_by="alice", group=group)
    return new_event(data, source="/tests", key=SERVICE.id)


async def breaches(settings: Any) -> set[tuple[str, str | None, str]]:
    records = await read_raw(
        settings.kafka_bootstrap, Topics(settings.kafka_topic_prefix).sla, count=None
    )
    events = [from_kafka(r.key, r.value, r.headers) for r in records if r.value is not None]
    return {
        (
            e.data.deadline.incident_id,
            None if e.data.deadline.group is None else e.data.deadline.group.name,
            e.data.deadline.term,
        )
        for e in events
        if isinstance(e.data, SlaBreached)
    }


async def test_each_agreement_has_its_own_report_deadlines_and_breaches(sla_settings: Any) -> None:
    # Before the month while its facts arrive, so that no deadline fires ahead of the fact
    # that meets it (the acknowledgement, the first notice); then the month is over.
    clock = HeldClock(BEFORE_THE_MONTH)
    running = RunningWorker(create_worker(sla_settings, serve_http=False, clock=clock))
    await running.start()
    try:
        worker = running.worker
        await the_month_with_finance(worker)
        clock.now = at("2026-04-01T10:00:00+00:00")
        unknown = GroupRef(id="0195f0c2-0000-7000-8000-00000000dead", name="Nobody")
        await send(
            worker,
            lambda topics: topics.sla,
            requested("2026-03", unknown),  # no such agreement: dropped
            requested("2026-03", FINANCE),
            requested("2026-03", None),
        )
        reports = await eventually(
            lambda: _at_least(published_reports(sla_settings), 2), timeout=30
        )
        expected = {
            (A, "Finance department", "acknowledge"),
            (C, None, "acknowledge"),
            (C, None, "restore"),
            (C, "Finance department", "acknowledge"),
            (C, "Finance department", "restore"),
        }
        fired = await eventually(lambda: _superset(breaches(sla_settings), expected), timeout=30)
        async with sessions_of(worker)() as session:
            rows = list(
                await session.scalars(
                    select(IncidentDeadline).where(IncidentDeadline.incident_id == A)
                )
            )
    finally:
        await running.stop()
    by_group = {report.report.group: report.report for report in reports}
    assert set(by_group) == {FINANCE, None}
    check_march(by_group[None])
    check_march_for_finance(by_group[FINANCE])
    assert fired == expected  # A kept the service's own 15 minutes, broke Finance's 5
    # Each agreement has its own deadlines, ids apart, saying whose promise they are.
    assert sorted((row.id, row.group_name, row.outcome) for row in rows) == sorted(
        [
            (f"{A}:acknowledge:1", None, "met"),
            (f"{A}:first_communication:1", None, "met"),
            (f"{A}:restore:1", None, "met"),
            (f"{A}:{FINANCE.id}:acknowledge:1", FINANCE.name, "breached"),
            (f"{A}:{FINANCE.id}:first_communication:1", FINANCE.name, "met"),
            (f"{A}:{FINANCE.id}:restore:1", FINANCE.name, "met"),
        ]
    )


async def _at_least(found: Any, count: int) -> Any:
    reports = await found
    return reports if len(reports) >= count else None


async def _superset(found: Any, expected: set[Any]) -> Any:
    fired = await found
    return fired if fired >= expected else None


async def test_the_monthly_schedule_publishes_a_final_report_per_agreement(
    sla_settings: Any,
) -> None:
    settings = sla_settings.model_copy(
        update={"report_poll_seconds": 0.05, "report_final_delay_seconds": 600}
    )
    clock = HeldClock(at("2026-03-20T12:00:00+00:00"))
    running = RunningWorker(create_worker(settings, serve_http=False, clock=clock))
    await running.start()
    try:
        worker = running.worker
        await the_month_with_finance(worker)
        await wait_passes(2)
        clock.now = at("2026-03-31T22:10:00+00:00")
        reports = await eventually(lambda: _at_least(published_reports(settings), 2), timeout=30)
        await wait_passes(3)
        async with sessions_of(worker)() as session:
            owed = {
                (row.group_id, row.period): row.published_at
                for row in await session.scalars(select(MonthlyReport))
            }
    finally:
        await running.stop()
    assert len(await published_reports(settings)) == 2  # once each
    by_group = {report.report.group: report.report for report in reports}
    check_march(by_group[None])
    check_march_for_finance(by_group[FINANCE])
    assert owed == {
        ("", "2026-03"): at("2026-03-31T22:10:00+00:00"),
        (FINANCE.id, "2026-03"): at("2026-03-31T22:10:00+00:00"),
        ("", "2026-04"): None,
        (FINANCE.id, "2026-04"): None,
    }


async def test_facts_budget_and_deadlines_name_the_group(sla_settings: Any) -> None:
    # 10 March 23:00 UTC: the first 240 local hours of March; A and B happened, the
    # maintenance is still to come. Own: A 50 + B 5; Finance's: A 50 + B 20.
    clock = HeldClock(BEFORE_THE_MONTH)
    async with serving_worker(sla_settings, clock=clock) as worker:
        await the_month_with_finance(worker)
        clock.now = at("2026-03-10T23:00:00+00:00")
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{sla_settings.sla_monitor_port}"
        ) as client:
            base = f"/v1/services/{SERVICE.slug}"
            own_facts = await client.get(f"{base}/facts")
            finance_facts = await client.get(f"{base}/facts", params={"group": FINANCE.id})
            own_budget = await client.get(f"{base}/budget")
            finance_budget = await client.get(f"{base}/budget", params={"group": FINANCE.id})
            unknown = [
                await client.get(f"{base}/facts", params={"group": "nobody"}),
                await client.get(f"{base}/budget", params={"group": "nobody"}),
            ]
            deadlines = await client.get(f"/v1/incidents/{A}/deadlines")
    assert [answer.status_code for answer in unknown] == [404, 404]
    observed = 240 * 60
    assert own_facts.json()["group"] is None
    assert own_facts.json()["agreement"]["availability_percent"] == pytest.approx(
        100 * (1 - 55 / observed)
    )
    assert finance_facts.status_code == 200, finance_facts.text
    assert finance_facts.json()["group"] == {"id": FINANCE.id, "name": FINANCE.name}
    assert finance_facts.json()["agreement"]["availability_percent"] == pytest.approx(
        100 * (1 - 70 / observed)
    )
    assert finance_facts.json()["agreement"]["zone"] == "below"
    assert own_facts.json()["windows"] == finance_facts.json()["windows"]  # the same facts
    # Budgets: 0.5 % of the month without the 2 hours announced in time; 0.1 % of it all.
    assert own_budget.json()["group"] is None
    assert own_budget.json()["allowed_seconds"] == pytest.approx(222.3 * 60)
    assert own_budget.json()["consumed_seconds"] == pytest.approx(55 * 60)
    assert finance_budget.json()["group"] == {"id": FINANCE.id, "name": FINANCE.name}
    assert finance_budget.json()["allowed_seconds"] == pytest.approx(44.58 * 60)
    assert finance_budget.json()["consumed_seconds"] == pytest.approx(70 * 60)
    assert finance_budget.json()["at_risk"] is True
    listed = {
        (d["term"], None if d["group"] is None else d["group"]["name"]): d["state"]
        for d in deadlines.json()["deadlines"]
    }
    assert listed[("acknowledge", None)] == "met"
    assert listed[("acknowledge", FINANCE.name)] == "breached"


async def test_burn_rate_alerts_of_a_group_agreement_carry_the_group(sla_settings: Any) -> None:
    """One major outage from 10:00 on 2 March, seen at 10:05 (as in test_budget_worker):
    against Finance's 99.9 % both pages fire (1h/5m burns 16.7 and 200, 6h/30m 13.9 and
    166.7); against the service's own 99 % the same downtime burns a tenth as fast (1.7,
    1.4), and nothing fires. Each agreement keeps its own alert states."""
    async with migrated_sessions(sla_settings) as sessions:
        async with sessions() as session, session.begin():
            await store_agreement(
                session,
                {"availability": {"adequate_percent": 99.0}},
                group_agreements={
                    FINANCE.id: {
                        "name": FINANCE.name,
                        "terms": {"availability": {"adequate_percent": 99.9}},
                    }
                },
            )
            await store_open_outage(
                session, "0195f0c2-aaaa-7000-8000-0000000000b1", since="2026-03-02T10:00:00+00:00"
            )
        published = await budget.evaluate_all(
            sessions=sessions, now=at("2026-03-02T10:05:00+00:00"), at_risk_share=0.75
        )
        again = await budget.evaluate_all(
            sessions=sessions, now=at("2026-03-02T10:06:00+00:00"), at_risk_share=0.75
        )
        async with sessions() as session:
            rows = list(await session.scalars(select(OutboxRecord)))
            states = {
                (row.group_id, row.alert, row.firing)
                for row in await session.scalars(select(BudgetAlert))
            }
    assert (published, again) == (2, 0)
    alerts = [SlaBurnRateAlert.model_validate(json.loads(row.value or b"")) for row in rows]
    assert sorted((a.group, a.status, a.factor, a.objective_percent) for a in alerts) == [
        (FINANCE, "firing", 6.0, 99.9),
        (FINANCE, "firing", 14.4, 99.9),
    ]
    assert states == {(FINANCE.id, "burn_rate:1h/5m", True), (FINANCE.id, "burn_rate:6h/30m", True)}
