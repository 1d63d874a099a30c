"""Monthly reports through the real worker and broker: a month worked out by hand, on demand;
the monthly schedule publishing each final report once, also across a restart.

March 2026 in Europe/Paris runs from 28 February 23:00 UTC to 31 March 22:00 UTC: 743 hours,
one less than 31 days, as the clocks went forward on 29 March. The same figures are expected
on SQLite and on PostgreSQL (run this module with CANDOR_TEST_DATABASE_URL set).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select

from candor_shared.contract import (
    CloudEvent,
    EventData,
    MaintenanceScheduled,
    MaintenanceSnapshot,
    NoticeDelivered,
    ServiceReport,
    ServiceUpserted,
    SlaReportPublished,
    SlaReportRequested,
    Topics,
    from_kafka,
    new_event,
    to_kafka,
)
from candor_shared.kafka import new_producer
from candor_shared.worker import Worker
from candor_sla_monitor.reports.models import MonthlyReport
from candor_sla_monitor.worker import create_worker
from tests.conftest import HeldClock, RunningWorker, eventually
from tests.kafka_helpers import read_raw
from tests.sla_monitor.helpers import (
    SERVICE,
    alert_fired,
    alert_resolved,
    at,
    consumers_joined,
    opened,
    resolved,
    sessions_of,
    snapshot,
    wait_handled,
)

A = "0195f0c2-aaaa-7000-8000-0000000000a1"
B = "0195f0c2-bbbb-7000-8000-0000000000b2"
C = "0195f0c2-cccc-7000-8000-0000000000c3"
IN_TIME = "0195f0c2-eeee-7000-8000-0000000000e1"
LATE = "0195f0c2-eeee-7000-8000-0000000000e2"
MINUTE = timedelta(minutes=1)
MARCH_HOURS = 743

AGREEMENT: dict[str, Any] = {
    "timezone": "Europe/Paris",
    "availability": {"adequate_percent": 99.5, "desired_percent": 99.9},
    "downtime_fraction": {"minor": 0.25},
    "maintenance_notice": "P1D",
    "terms": {
        "major": {
            "acknowledge_within": "PT15M",
            "first_communication_within": "PT30M",
            "restore_within": "PT1H",
        },
        "critical": {"acknowledge_within": "PT5M", "restore_within": "PT2H"},
    },
}


def upserted(agreement: dict[str, Any] | None = AGREEMENT) -> CloudEvent[EventData]:
    data = ServiceUpserted.model_validate(
        {"id": SERVICE.id, "slug": SERVICE.slug, "name": SERVICE.name, "agreement": agreement}
    )
    return new_event(data, source="/tests", key=SERVICE.id)


def maintenance(window_id: str, *, starts: str, ends: str, announced: str) -> CloudEvent[Any]:
    """A window of Email scheduled (times are full ISO 8601 strings)."""
    data = MaintenanceScheduled(
        maintenance=MaintenanceSnapshot.model_validate(
            {
                "id": window_id,
                "version": 1,
                "title": "Mail server upgrade",
                "status": "scheduled",
                "impact": "major",
                "services": [SERVICE],
                "starts_at": at(starts),
                "ends_at": at(ends),
                "announced_at": at(announced),
            }
        )
    )
    return new_event(data, source="/tests", key=window_id)


def requested(period: str) -> CloudEvent[Any]:
    data = SlaReportRequested(service=SERVICE, period=period, requested_by="alice")
    return new_event(data, source="/tests", key=SERVICE.id)


async def send(worker: Worker, topic: Callable[[Topics], str], *events: CloudEvent[Any]) -> None:
    """Send ``events`` in order to one of the worker's topics, once its consumers joined."""
    await eventually(lambda: consumers_joined(worker), timeout=30)
    producer = new_producer(worker.settings, client_id="tests")
    await producer.start()
    try:
        name = topic(Topics(worker.settings.kafka_topic_prefix))
        for event in events:
            key, value, headers = to_kafka(event)
            await producer.send_and_wait(name, value=value, key=key, headers=headers)
    finally:
        await producer.stop()


async def published_reports(settings: Any) -> list[SlaReportPublished]:
    """Every report on the SLA topic so far, oldest first (read up to the topic's end
    offsets: a fixed reading time lost records when two suites shared the machine)."""
    records = await read_raw(
        settings.kafka_bootstrap, Topics(settings.kafka_topic_prefix).sla, count=None
    )
    events = [from_kafka(r.key, r.value, r.headers) for r in records if r.value is not None]
    reports = [event.data for event in events if isinstance(event.data, SlaReportPublished)]
    return sorted(reports, key=lambda data: data.report.generated_at)


async def the_month_by_hand(worker: Worker) -> None:
    """The facts of March 2026 whose report is worked out in the test below."""
    # The agreement first, so that the incidents' deadlines are planned against it.
    await send(worker, lambda topics: topics.catalog, upserted())
    await wait_handled(worker, 1)
    await send(
        worker,
        lambda topics: topics.maintenance,
        # Announced ten days ahead: 2 hours excluded from downtime and from the month.
        maintenance(
            IN_TIME,
            starts="2026-03-15T02:00:00+00:00",
            ends="2026-03-15T04:00:00+00:00",
            announced="2026-03-05T02:00:00+00:00",
        ),
        # Announced one hour ahead, less than the day agreed: 30 minutes of downtime.
        maintenance(
            LATE,
            starts="2026-03-20T03:00:00+00:00",
            ends="2026-03-20T03:30:00+00:00",
            announced="2026-03-20T02:00:00+00:00",
        ),
    )
    acknowledged = snapshot(A, version=2, started="08:00", ended="08:50").model_copy(
        update={"acknowledged_at": at("08:10")}
    )
    await send(
        worker,
        lambda topics: topics.incident,
        # A, major, 2 March 08:00-08:50 UTC: 50 minutes; two alerts measure 50 minutes.
        opened(snapshot(A, version=1, started="08:00")),
        resolved(acknowledged),
        alert_fired(A, starts="08:00", fingerprint="a1"),
        alert_resolved(A, starts="08:00", ends="08:30", fingerprint="a1"),
        alert_fired(A, starts="08:10", fingerprint="b2"),
        alert_resolved(A, starts="08:10", ends="08:50", fingerprint="b2"),
        # B, minor, 5 March 10:00-10:20: 20 minutes counting a quarter, 5 minutes.
        resolved(
            snapshot(
                B,
                version=2,
                started="2026-03-05T10:00:00+00:00",
                ended="2026-03-05T10:20:00+00:00",
                impact="minor",
            )
        ),
        # C, critical, 31 March 21:00 UTC to 1 April 01:00: 60 minutes fall in March (local
        # midnight is 22:00 UTC in summer time); its alert measures the same hour.
        resolved(
            snapshot(
                C,
                version=2,
                started="2026-03-31T21:00:00+00:00",
                ended="2026-04-01T01:00:00+00:00",
                impact="critical",
            )
        ),
        alert_fired(C, starts="2026-03-31T21:00:00+00:00", fingerprint="c1"),
        alert_resolved(
            C,
            starts="2026-03-31T21:00:00+00:00",
            ends="2026-04-01T01:00:00+00:00",
            fingerprint="c1",
        ),
    )
    # Users of A were first told at 08:20, within the 30 minutes promised.
    await send(
        worker,
        lambda topics: topics.delivery,
        new_event(
            NoticeDelivered(
                incident_id=A,
                service_slug=SERVICE.slug,
                kind="opened",
                notice_id="notice-a-opened",
                first_delivered_at=at("08:20"),
                recipients=3,
            ),
            source="/tests",
            key=A,
        ),
    )
    # 1 catalog + 2 maintenance + 10 incident-topic events + 1 delivery fact.
    await wait_handled(worker, 14)


def check_march(report: ServiceReport) -> None:
    """The report of March 2026 as worked out by hand."""
    assert report.service == SERVICE
    assert report.period == "2026-03"
    assert report.timezone == "Europe/Paris"
    assert report.starts_at == at("2026-02-28T23:00:00+00:00")
    assert report.ends_at == at("2026-03-31T22:00:00+00:00")
    assert report.observed_until == report.ends_at
    assert report.final is True
    assert (report.adequate_percent, report.desired_percent) == (99.5, 99.9)
    # Counted: A 50 + B 5 + C 60 + late maintenance 30 = 145 minutes, over the month
    # without the 2 hours excluded: 741 hours = 44,460 minutes.
    assert report.declared_downtime == 145 * MINUTE
    assert report.excluded_maintenance == timedelta(hours=2)
    assert report.availability_percent == pytest.approx(100 * (1 - 145 / 44_460))  # 99.674
    assert report.zone == "within"
    # Measured: the alerts' 50 + 60 minutes, and the late maintenance's 30.
    assert report.measured_downtime == 140 * MINUTE
    # The budget: 0.5 % of 741 hours = 222.3 minutes; 145 used, 77.3 left.
    budget = report.error_budget
    assert budget is not None
    assert budget.allowed == timedelta(minutes=222.3)
    assert budget.consumed == 145 * MINUTE
    assert budget.remaining == timedelta(minutes=77.3)
    assert budget.consumed_share == pytest.approx(145 / 222.3)  # 0.652
    assert [(i.id, i.impact, i.downtime) for i in report.incidents] == [
        (A, "major", 50 * MINUTE),
        (B, "minor", 5 * MINUTE),
        (C, "critical", 60 * MINUTE),
    ]
    assert report.incidents[0].acknowledged_at == at("08:10")
    assert report.incidents[0].first_communication_at == at("08:20")
    # The promises: A (major) acknowledged after 10 minutes of 15, users told after 20 of
    # 30, restored after 50 of 60; C (critical) never acknowledged (5 minutes promised)
    # and restored after 4 hours of 2. B (minor) had no terms.
    assert [(i.id, i.breached) for i in report.incidents] == [
        (A, []),
        (B, []),
        (C, ["acknowledge", "restore"]),
    ]
    assert [
        (c.term, c.applicable, c.met, c.breached, c.pending, c.share_met) for c in report.compliance
    ] == [
        ("acknowledge", 2, 1, 1, 0, 0.5),
        ("first_communication", 1, 1, 0, 0, 1.0),
        ("update", 0, 0, 0, 0, None),
        ("restore", 2, 1, 1, 0, 0.5),
    ]
    assert [(m.id, m.excluded, m.late, m.notice) for m in report.maintenance] == [
        (IN_TIME, True, False, timedelta(days=10)),
        (LATE, False, True, timedelta(hours=1)),
    ]
    # One figure per local day; the 29th lasted 23 hours, the 15th lost its 2 hours of
    # maintenance from the day as well as from the downtime.
    assert [d.day for d in report.daily] == [date(2026, 3, n) for n in range(1, 32)]
    by_day = {d.day.day: d.percent for d in report.daily}
    assert by_day[2] == pytest.approx(100 * (1 - 50 / 1440))  # 96.53
    assert by_day[5] == pytest.approx(100 * (1 - 5 / 1440))  # 99.65
    assert by_day[15] == 100.0
    assert by_day[20] == pytest.approx(100 * (1 - 30 / 1440))  # 97.92
    assert by_day[31] == pytest.approx(100 * (1 - 60 / 1440))  # 95.83
    untouched = set(range(1, 32)) - {2, 5, 20, 31}
    assert {by_day[day] for day in untouched} == {100.0}


async def march_on_request(settings: Any, clock: HeldClock) -> list[SlaReportPublished]:
    """March by hand sent to a worker telling ``clock``'s time, and March's report requested:
    what the worker published."""
    running = RunningWorker(create_worker(settings, serve_http=False, clock=clock))
    await running.start()
    try:
        await the_month_by_hand(running.worker)
        await send(running.worker, lambda topics: topics.sla, requested("2026-03"))
        reports: list[SlaReportPublished] = await eventually(
            lambda: published_reports(settings), timeout=30
        )
    finally:
        await running.stop()
    return reports


async def test_a_month_worked_out_by_hand_on_demand(sla_settings: Any) -> None:
    reports = await march_on_request(sla_settings, HeldClock(at("2026-04-01T10:00:00+00:00")))
    assert len(reports) == 1
    assert reports[0].requested_by == "alice"
    check_march(reports[0].report)


async def test_a_report_of_the_month_so_far_is_not_final(sla_settings: Any) -> None:
    # 10 March, 23:00 UTC: the first 10 local days of March, 239 hours (one less than 10
    # days, as March began at 23:00 UTC on the 28th), are observed.
    clock = HeldClock(at("2026-03-10T23:00:00+00:00"))
    reports = await march_on_request(sla_settings, clock)
    report = reports[0].report
    assert report.final is False
    assert report.observed_until == clock.now
    # A's 50 minutes and B's 5 over 240 hours (1 March 00:00 Paris to 11 March 00:00).
    assert report.declared_downtime == 55 * MINUTE
    assert report.availability_percent == pytest.approx(100 * (1 - 55 / (240 * 60)))
    assert report.zone == "within"
    assert len(report.daily) == 10
    # The maintenance to come is listed already, and the budget is the whole month's.
    assert [m.id for m in report.maintenance] == [IN_TIME, LATE]
    assert report.error_budget is not None
    assert report.error_budget.allowed == timedelta(minutes=222.3)


async def test_a_request_for_a_month_not_begun_publishes_nothing(sla_settings: Any) -> None:
    clock = HeldClock(at("2026-03-10T23:00:00+00:00"))
    running = RunningWorker(create_worker(sla_settings, serve_http=False, clock=clock))
    await running.start()
    try:
        worker = running.worker
        await send(worker, lambda topics: topics.catalog, upserted())
        await send(worker, lambda topics: topics.sla, requested("2026-05"), requested("2026-02"))
        reports = await eventually(lambda: published_reports(sla_settings), timeout=30)
    finally:
        await running.stop()
    # The request for May was dropped; February's, behind it on the same key, was answered:
    # a month before the service had any outage reads 100 %, from the ledger's facts.
    assert [(r.report.period, r.report.final) for r in reports] == [("2026-02", True)]
    assert reports[0].report.availability_percent == 100.0


def passes() -> float:
    return REGISTRY.get_sample_value("candor_report_schedule_passes_total") or 0.0


async def wait_passes(more: int) -> None:
    """Wait until the monthly schedule has looked ``more`` times from now on."""
    target = passes() + more
    await eventually(lambda: passes() >= target, timeout=30)


async def schedule_rows(worker: Worker) -> dict[str, MonthlyReport]:
    async with sessions_of(worker)() as session:
        rows = await session.scalars(select(MonthlyReport))
        return {row.period: row for row in rows}


async def test_the_monthly_final_report_is_published_once_even_across_a_restart(
    sla_settings: Any,
) -> None:
    settings = sla_settings.model_copy(
        update={"report_poll_seconds": 0.05, "report_final_delay_seconds": 600}
    )
    clock = HeldClock(at("2026-03-20T12:00:00+00:00"))
    first = RunningWorker(create_worker(settings, serve_http=False, clock=clock))
    await first.start()
    try:
        worker = first.worker
        await the_month_by_hand(worker)
        # Seen in March: the schedule owes March's final report.
        rows = await eventually(lambda: schedule_rows(worker))
        assert rows["2026-03"].published_at is None
        assert rows["2026-03"].due_at == at("2026-03-31T22:10:00+00:00")

        # The month closed at 22:00 UTC, but its late events get 10 minutes.
        clock.now = at("2026-03-31T22:05:00+00:00")
        await wait_passes(2)
        assert (await schedule_rows(worker))["2026-03"].published_at is None

        clock.now = at("2026-03-31T22:10:00+00:00")
        rows = await eventually(lambda: _published(schedule_rows(worker), "2026-03"), timeout=30)
        # April is owed next.
        assert rows["2026-04"].published_at is None
        assert rows["2026-04"].due_at == at("2026-04-30T22:10:00+00:00")
        reports = await eventually(lambda: published_reports(settings), timeout=30)
    finally:
        await first.stop()

    assert len(reports) == 1
    assert reports[0].requested_by is None
    report = reports[0].report
    assert report.generated_at == at("2026-03-31T22:10:00+00:00")
    # Every figure is the month's final one: C's end lies after the month, of which only
    # its March hour counts.
    check_march(report)

    # A restart (same database) an hour later finds the report published: nothing again.
    clock.now = at("2026-03-31T23:10:00+00:00")
    second = RunningWorker(create_worker(settings, serve_http=False, clock=clock))
    await second.start()
    try:
        await wait_passes(3)
        rows = await schedule_rows(second.worker)
    finally:
        await second.stop()
    assert rows["2026-03"].published_at == at("2026-03-31T22:10:00+00:00")
    assert len(await published_reports(settings)) == 1


async def _published(rows: Any, period: str) -> dict[str, MonthlyReport] | None:
    found: dict[str, MonthlyReport] = await rows
    row = found.get(period)
    return found if row is not None and row.published_at is not None else None
