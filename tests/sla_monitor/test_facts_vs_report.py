"""The facts endpoint and the month's report tell the same availability for the same period.

Both count the agreement's current calendar month up to now (declared outages weighted by
impact, maintenance in time excluded, late maintenance as downtime): asked at the same
moment, ``GET /v1/services/{slug}/facts`` and the report of that month must agree, or an
operator holding both would have two answers to "how available was it".

March 2026 of ``test_reports`` (Europe/Paris), asked on 31 March at 21:30 UTC (23:30 in
Paris): C (critical) has been down for its first 30 minutes. Counted: A 50 + B 5 + C 30 +
the late maintenance 30 = 115 minutes; measured: the alerts' 50 + 30 and the late 30 = 110
minutes; the period observed so far is 743 hours less 30 minutes, less the 2 hours excluded:
44,430 minutes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from candor_sla_monitor.reports.service import report_of
from tests.conftest import HeldClock
from tests.sla_monitor.helpers import SERVICE, at, serving_worker, sessions_of
from tests.sla_monitor.test_reports import the_month_by_hand

MINUTE = timedelta(minutes=1)
OBSERVED_MINUTES = 743 * 60 - 30 - 120


async def test_facts_and_the_report_of_the_month_agree(sla_settings: Any) -> None:
    clock = HeldClock(at("2026-03-31T21:30:00+00:00"))
    async with serving_worker(sla_settings, clock=clock) as worker:
        await the_month_by_hand(worker)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{sla_settings.sla_monitor_port}"
        ) as client:
            answer = await client.get(f"/v1/services/{SERVICE.slug}/facts")
        async with sessions_of(worker)() as session:
            report = await report_of(
                session=session, service=SERVICE, period="2026-03", now=clock()
            )
    assert answer.status_code == 200, answer.text
    agreement = answer.json()["agreement"]

    assert report.declared_downtime == 115 * MINUTE
    assert report.measured_downtime == 110 * MINUTE
    assert report.excluded_maintenance == timedelta(hours=2)
    assert report.availability_percent == pytest.approx(100 * (1 - 115 / OBSERVED_MINUTES))

    assert agreement["period_start"] == "2026-02-28T23:00:00Z"
    assert agreement["observed_until"] == "2026-03-31T21:30:00Z"
    assert agreement["maintenance_excluded_seconds"] == report.excluded_maintenance.seconds
    assert agreement["availability_percent"] == pytest.approx(report.availability_percent)
    assert agreement["zone"] == report.zone
    assert agreement["measured_availability_percent"] == pytest.approx(
        100 * (1 - report.measured_downtime / (OBSERVED_MINUTES * MINUTE))
    )
