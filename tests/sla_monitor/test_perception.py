"""Perception through the real worker and broker, on a controllable clock: answers fill the
ledger's perceived column (the latest answer of each respondent counts, once), and a
perception-gap report asked for on the SLA topic, or read on sla-monitor's port, puts it
beside the month's facts.

Incident A of the Email service, Monday 2 March 2026 (UTC): opened and alerting from 10:00,
users told at 10:05 (first communication within 15 minutes: met) and again at 10:25
(update within 30 minutes: met), resolved at 10:30. March has 44 640 minutes: 30 of them
down is 99.932796 %, above the desired 99.9 %. Three respondents felt it lasted 2, 3 and
4 hours (median 3 h, six times the 30 measured minutes) and were kept informed 2, 3 and 2
out of 7 (mean 2.33): a communication gap.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from candor_shared.contract import (
    CloudEvent,
    FeedbackReceived,
    PerceptionReport,
    PerceptionReportPublished,
    PerceptionReportRequested,
    Topics,
)
from candor_shared.db import transaction
from candor_shared.worker import Worker
from candor_sla_monitor.perception import service
from candor_sla_monitor.perception.models import FeedbackAnswer, PerceivedDowntime
from candor_sla_monitor.reports.service import report_of
from tests.conftest import eventually
from tests.kafka_helpers import read_events
from tests.sla_monitor.deadline_helpers import (
    TestClock,
    agreement,
    incident,
    notice,
    opened_at,
    resolved_at,
    send,
    stamped,
)
from tests.sla_monitor.helpers import (
    SERVICE,
    alert_fired,
    alert_resolved,
    at,
    serving_worker,
    sessions_of,
    wait_handled,
)

A = "0195f0c2-aaaa-7000-8000-0000000000a1"
TERMS = {"major": {"first_communication_within": "PT15M", "update_every": "PT30M"}}
OBJECTIVE = {"adequate_percent": 99.5, "desired_percent": 99.9, "window": "calendar_month"}
MIN = timedelta(minutes=1)
R1, R2, R3 = (f"0195f0c2-0000-7000-8000-00000000f00{n}" for n in (1, 2, 3))


def feedback(
    respondent: str, *, kept_informed: int, minutes: int | None, answered: str
) -> CloudEvent[Any]:
    """An answer about incident A, as incident-api publishes it (stamped when given)."""
    data = FeedbackReceived(
        incident_id=A,
        service=SERVICE,
        respondent=respondent,
        kept_informed=kept_informed,
        disruption=6,
        adequate_percent=99.0,
        desired_percent=99.9,
        perceived_downtime=None if minutes is None else minutes * MIN,
        answered_at=at(answered),
    )
    return stamped(data, A, answered)


async def march_with_incident_a(worker: Worker) -> None:
    """The agreement and incident A, told at 10:05 and 10:25, handled by the ledger."""
    await send(worker, "catalog", agreement(TERMS, availability=OBJECTIVE))
    # The terms first: deadlines are planned when the incident's events come.
    await wait_handled(worker, 1)
    opened = incident(A, version=1, opened="10:00")
    await send(worker, "incident", opened_at(opened, "10:00"), alert_fired(A, starts="10:00"))
    await send(worker, "delivery", notice(A, "10:05", kind="opened"), notice(A, "10:25"))
    await send(
        worker,
        "incident",
        alert_resolved(A, starts="10:00", ends="10:30"),
        resolved_at(incident(A, version=2, opened="10:00", resolved="10:30"), "10:30"),
    )
    await wait_handled(worker, 7)


async def perceived_row(worker: Worker) -> PerceivedDowntime | None:
    async with sessions_of(worker)() as session:
        found: PerceivedDowntime | None = await session.get(PerceivedDowntime, A)
        return found


async def answers(worker: Worker) -> dict[str, FeedbackAnswer]:
    async with sessions_of(worker)() as session:
        rows = await session.scalars(select(FeedbackAnswer))
        return {row.respondent: row for row in rows}


async def test_answers_fill_the_perceived_column_the_latest_of_each_respondent_once(
    sla_settings: Any,
) -> None:
    clock = TestClock("10:00")
    async with serving_worker(sla_settings, clock=clock) as worker:
        await send(worker, "catalog", agreement(TERMS, availability=OBJECTIVE))
        first = feedback(R1, kept_informed=6, minutes=30, answered="2026-03-03T09:00:00Z")
        await send(
            worker,
            "incident",
            first,
            feedback(R2, kept_informed=3, minutes=180, answered="2026-03-03T09:05:00Z"),
            feedback(R3, kept_informed=2, minutes=None, answered="2026-03-03T09:10:00Z"),
            # R1 changes their mind: this answer replaces their first.
            feedback(R1, kept_informed=2, minutes=240, answered="2026-03-04T08:00:00Z"),
            # An answer R2 gave before the one kept, arriving late: ignored.
            feedback(R2, kept_informed=7, minutes=1, answered="2026-03-03T08:00:00Z"),
            # The same event again (a redelivery): handled once.
            first,
        )
        await wait_handled(worker, 6)

        row = await perceived_row(worker)
        assert row is not None
        assert (row.respondents, row.perceived_answers) == (3, 2)
        # Durations said: 240 (R1's latest) and 180 (R2): median 210 minutes.
        assert row.perceived_seconds == 210 * 60
        assert row.kept_informed_mean == (2 + 3 + 2) / 3
        assert row.disruption_mean == 6.0
        kept = await answers(worker)
        assert {r: (a.kept_informed, a.perceived_seconds) for r, a in kept.items()} == {
            R1: (2, 240 * 60),
            R2: (3, 180 * 60),
            R3: (2, None),
        }


async def test_answers_racing_about_one_incident_are_all_counted(sla_monitor: Worker) -> None:
    """Eight answers recorded at once, each in its own transaction (on PostgreSQL really
    concurrent): the incident's row lock makes each recount see the answers before it."""
    sessions = sessions_of(sla_monitor)

    async def record(n: int) -> None:
        answered = f"2026-03-03T09:0{n}:00Z"
        data = feedback(f"r{n}", kept_informed=n % 7 + 1, minutes=10 * n, answered=answered)
        async with transaction(sessions) as session:
            assert isinstance(data.data, FeedbackReceived)
            await service.record_feedback(session=session, feedback=data.data, at=at(answered))

    await asyncio.gather(*(record(n) for n in range(1, 9)))

    row = await perceived_row(sla_monitor)
    assert row is not None
    assert (row.respondents, row.perceived_answers) == (8, 8)
    # 10, 20, ... 80 minutes: the median is 45.
    assert row.perceived_seconds == 45 * 60


async def test_a_perception_report_is_asked_for_on_the_sla_topic_and_read_on_the_port(
    sla_settings: Any,
) -> None:
    clock = TestClock("10:00")
    async with serving_worker(sla_settings, clock=clock) as worker:
        await march_with_incident_a(worker)
        await send(
            worker,
            "incident",
            feedback(R1, kept_informed=2, minutes=120, answered="2026-03-03T09:00:00Z"),
            feedback(R2, kept_informed=3, minutes=180, answered="2026-03-03T09:05:00Z"),
            feedback(R3, kept_informed=2, minutes=240, answered="2026-03-03T09:10:00Z"),
        )
        await wait_handled(worker, 10)
        clock.set("2026-04-01T12:00:00Z")

        request = PerceptionReportRequested(service=SERVICE, period="2026-03", requested_by="ada")
        await send(worker, "sla", stamped(request, SERVICE.id, "2026-04-01T12:00:00Z"))

        topic = Topics(sla_settings.kafka_topic_prefix).sla

        async def published() -> list[PerceptionReportPublished]:
            events = await read_events(sla_settings.kafka_bootstrap, topic, count=100, timeout=1)
            return [e.data for e in events if isinstance(e.data, PerceptionReportPublished)]

        (event,) = await eventually(published, timeout=30)
        assert event.requested_by == "ada"
        report = event.report
        assert (report.period, report.final, report.generated_at) == (
            "2026-03",
            True,
            at("2026-04-01T12:00:00Z"),
        )
        assert report.availability_percent == pytest.approx(100 * (1 - 30 / 44640))
        assert report.zone == "above"
        assert (report.measured_downtime, report.declared_downtime) == (30 * MIN, 30 * MIN)
        assert report.perceived_downtime == 180 * MIN
        assert report.measured_downtime_answered == 30 * MIN
        assert report.perceived_exceeds_measured is True
        assert {row.term: (row.met, row.breached) for row in report.communication} == {
            "first_communication": (1, 0),
            "update": (1, 0),
        }
        assert report.communication_share_met == 1.0
        assert report.answers == 3
        assert report.kept_informed_mean == pytest.approx(7 / 3)
        assert (report.facts, report.perception) == ("good", "poor")
        assert report.flags == ["communication_gap"]
        (only,) = report.incidents
        assert (only.id, only.respondents, only.perceived_downtime) == (A, 3, 180 * MIN)

        # The month's report carries the ledger's perceived column too.
        async with sessions_of(worker)() as session:
            monthly = await report_of(
                session=session, service=SERVICE, period="2026-03", now=clock()
            )
        assert monthly.perceived_downtime == 180 * MIN

        # The same report, made on the spot on sla-monitor's port.
        base = f"http://127.0.0.1:{sla_settings.sla_monitor_port}"
        async with httpx.AsyncClient(base_url=base) as client:
            response = await client.get(
                "/v1/services/email/perception", params={"month": "2026-03"}
            )
            assert response.status_code == 200, response.text
            assert PerceptionReport.model_validate(response.json()) == report
            # Without a month: the current one (April, so far: no incident, nobody answered).
            current = (await client.get("/v1/services/email/perception")).json()
            assert (current["period"], current["perception"], current["flags"]) == (
                "2026-04",
                "unknown",
                [],
            )
            assert (await client.get("/v1/services/nope/perception")).status_code == 404
            for month in ("2026-13", "March", "2026-05"):
                response = await client.get(
                    "/v1/services/email/perception", params={"month": month}
                )
                assert response.status_code == 422, (month, response.text)
                assert "query.month" in response.json()["detail"]
