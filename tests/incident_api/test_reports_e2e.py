"""End to end through the real broker: an operator asks incident-api for this month's report,
sla-monitor makes it from what incident-api published, incident-api serves it as JSON and as
a page with one bar per day so far."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import select

from candor_shared.contract import ServiceReport
from candor_shared.worker import Worker
from candor_sla_monitor.agreements.models import Agreement
from candor_sla_monitor.ledger.models import Outage
from tests.conftest import RunningApi, eventually
from tests.incident_api.test_reports import AGREEMENT, SvgPage
from tests.payloads import alertmanager
from tests.sla_monitor.helpers import sessions_of


def z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def _ready(worker: Worker) -> bool:
    """sla-monitor knows the agreement and the outage has ended."""
    async with sessions_of(worker)() as session:
        agreement = await session.scalar(select(Agreement).where(Agreement.service_slug == "email"))
        outage = await session.scalar(select(Outage).where(Outage.ended_at.is_not(None)))
        return agreement is not None and agreement.terms is not None and outage is not None


async def test_a_report_asked_of_incident_api_is_made_by_sla_monitor_and_served(
    api: RunningApi, operator: httpx.AsyncClient, sla_monitor: Worker
) -> None:
    response = await operator.post(
        "/v1/services", json={"slug": "email", "name": "Email", "agreement": AGREEMENT}
    )
    assert response.status_code == 201, response.text
    response = await operator.post(
        "/v1/integrations",
        json={"name": "prom", "source": "alertmanager", "default_service": "email"},
    )
    assert response.status_code == 201, response.text
    key = response.json()["key"]
    # Half a minute down, ending a moment ago.
    now = datetime.now(UTC).replace(microsecond=0)
    starts, ends = z(now - timedelta(seconds=60)), z(now - timedelta(seconds=30))
    async with api.client(token=key) as monitoring:
        for payload in (
            alertmanager(starts_at=starts),
            alertmanager(status="resolved", starts_at=starts, ends_at=ends),
        ):
            assert (await monitoring.post("/v1/ingest/alertmanager", json=payload)).is_success
    incident_id = (await operator.get("/v1/incidents")).json()["items"][0]["id"]
    await eventually(lambda: _ready(sla_monitor), timeout=30)

    response = await operator.post("/v1/reports/email")
    assert response.status_code == 202, response.text
    period = response.json()["period"]
    local_now = datetime.now(UTC).astimezone(ZoneInfo("Europe/Paris"))
    assert period == f"{local_now.year:04d}-{local_now.month:02d}"

    async def served() -> Any:
        got = await operator.get("/v1/reports/email", params={"month": period})
        return got if got.status_code == 200 else None

    answer = await eventually(served, timeout=30)
    report = ServiceReport.model_validate(answer.json())
    assert (report.service.slug, report.period, report.final) == ("email", period, False)
    assert report.timezone == "Europe/Paris"
    assert (report.adequate_percent, report.desired_percent) == (99.5, 99.9)
    assert [incident.id for incident in report.incidents] == [incident_id]
    assert report.declared_downtime == timedelta(seconds=30)
    assert report.measured_downtime == timedelta(seconds=30)
    # One figure per local day so far: today is the month's last one.
    assert [day.day for day in report.daily][-1] == report.observed_until.astimezone(
        ZoneInfo("Europe/Paris")
    ).date()
    assert len(report.daily) == report.daily[-1].day.day

    response = await operator.get(
        "/v1/reports/email", params={"month": period}, headers={"Accept": "text/html"}
    )
    assert response.status_code == 200, response.text
    page = SvgPage()
    page.feed(response.text)
    page.close()
    assert page.errors == []
    assert len(page.with_class("rect", "day")) == len(report.daily)
    assert len(page.with_class("line", "level", "adequate")) == 1
    assert len(page.with_class("line", "level", "desired")) == 1
