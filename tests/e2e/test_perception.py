"""End to end through the real broker: users answer the feedback form in incident-api, the
answers reach sla-monitor's perceived ledger, and the perception-gap report an operator asks
incident-api for reflects them — a communication gap on one service, the reverse on another.

March 2026 (UTC, 44 640 minutes); both services agree adequate 99.5 % and desired 99.9 %.
sla-monitor tells the time by a clock the test holds at 1 April, after the month.

- Email: down 10:00-10:30 on 10 March by its alerts: 30 minutes, 99.932796 %, above the
  zone — good facts. Its three followers were kept informed 2, 3 and 2 (mean 2.33) and felt
  it lasted 2, 3 and 4 hours (median 3 h, six times the 30 measured minutes): poor
  perception — a communication gap.
- Payroll: down 08:00-14:00 on 12 March: 6 hours, 99.193548 %, below adequate — poor facts.
  Its two followers were kept informed 6 and 7 (mean 6.5) and felt 5 h and 6 h (median
  5 h 30, not above the measured 6 h): good perception — perception better than facts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from candor_dev.ports import free_port
from candor_incident_api.settings import ApiSettings
from candor_shared.contract import PerceptionReport
from candor_shared.feedback import feedback_token
from candor_sla_monitor.ledger.models import Outage
from candor_sla_monitor.perception.models import PerceivedDowntime
from candor_sla_monitor.settings import SlaSettings
from candor_sla_monitor.worker import create_worker
from tests.conftest import ADMIN_TOKEN, RunningApi, RunningWorker, eventually
from tests.incident_api.test_reports import SvgPage
from tests.payloads import alertmanager
from tests.sla_monitor.deadline_helpers import TestClock

SECRET = "e2e-feedback-secret"
AGREEMENT = {
    "timezone": "UTC",
    "availability": {"adequate_percent": 99.5, "desired_percent": 99.9},
}
MIN = timedelta(minutes=1)
MARCH_MINUTES = 31 * 24 * 60


@pytest.fixture
def api_settings(make_settings: Callable[..., Any]) -> Any:
    """incident-api signing feedback links with the test's secret."""
    return make_settings(
        ApiSettings,
        "incident-api",
        admin_token=ADMIN_TOKEN,
        api_port=free_port(),
        unsubscribe_secret=SECRET,
    )


@pytest.fixture
def clock() -> TestClock:
    return TestClock("2026-04-01T12:00:00Z")


@pytest.fixture
async def sla(make_settings: Callable[..., Any], clock: TestClock) -> AsyncIterator[RunningWorker]:
    """sla-monitor on the test's broker, topics and clock."""
    settings = make_settings(SlaSettings, "sla-monitor", sla_monitor_port=free_port())
    running = RunningWorker(create_worker(settings, serve_http=False, clock=clock))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def outage(
    api: RunningApi, operator: httpx.AsyncClient, slug: str, name: str, starts: str, ends: str
) -> str:
    """The service, with its agreement and a monitoring integration, down from ``starts``
    to ``ends`` by one alert; returns the incident's id."""
    response = await operator.post(
        "/v1/services", json={"slug": slug, "name": name, "agreement": AGREEMENT}
    )
    assert response.status_code == 201, response.text
    response = await operator.post(
        "/v1/integrations",
        json={"name": f"prom-{slug}", "source": "alertmanager", "default_service": slug},
    )
    assert response.status_code == 201, response.text
    async with api.client(token=response.json()["key"]) as monitoring:
        for payload in (
            alertmanager(service=slug, fingerprint=f"fp-{slug}", starts_at=starts),
            alertmanager(
                status="resolved",
                service=slug,
                fingerprint=f"fp-{slug}",
                starts_at=starts,
                ends_at=ends,
            ),
        ):
            response = await monitoring.post("/v1/ingest/alertmanager", json=payload)
            assert response.is_success, response.text
    incidents = (await operator.get("/v1/incidents")).json()["items"]
    (incident,) = [item for item in incidents if item["service"] == slug]
    return str(incident["id"])


async def follower(operator: httpx.AsyncClient, address: str, slug: str) -> str:
    response = await operator.post("/v1/subscribers", json={"email": address, "services": [slug]})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def answer(
    anyone: httpx.AsyncClient, incident_id: str, subscriber_id: str, *, kept: int, minutes: int
) -> None:
    """Open the link from the report, then send the form as a browser would."""
    path = f"/feedback/{feedback_token(incident_id, subscriber_id, SECRET)}"
    assert (await anyone.get(path)).status_code == 200
    response = await anyone.post(
        path,
        data={
            "kept_informed": str(kept),
            "disruption": "5",
            "adequate_percent": "99",
            "desired_percent": "99.9",
            "perceived_minutes": str(minutes),
            "comment": "",
        },
    )
    assert response.status_code == 200, response.text


async def perceived(sla: RunningWorker, incident_id: str, respondents: int) -> bool:
    async with sla.sessions() as session:
        row = await session.get(PerceivedDowntime, incident_id)
        return row is not None and row.respondents == respondents


async def perception_report(
    operator: httpx.AsyncClient, slug: str, *, answers: int
) -> PerceptionReport:
    """Ask for March's perception report, and read it once it counts ``answers``."""
    response = await operator.post(f"/v1/reports/{slug}/perception", params={"month": "2026-03"})
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/v1/reports/{slug}/perception?month=2026-03"

    async def served() -> PerceptionReport | None:
        got = await operator.get(response.headers["location"])
        if got.status_code != 200:
            return None
        report = PerceptionReport.model_validate(got.json())
        return report if report.answers == answers else None

    report: PerceptionReport = await eventually(served, timeout=30)
    return report


async def test_feedback_reaches_the_perceived_ledger_and_the_perception_report(
    api: RunningApi, operator: httpx.AsyncClient, sla: RunningWorker, clock: TestClock
) -> None:
    email = await outage(
        api, operator, "email", "Email", "2026-03-10T10:00:00Z", "2026-03-10T10:30:00Z"
    )
    payroll = await outage(
        api, operator, "payroll", "Payroll", "2026-03-12T08:00:00Z", "2026-03-12T14:00:00Z"
    )
    ana, ben, cleo = [
        await follower(operator, f"{name}@example.org", "email") for name in ("ana", "ben", "cleo")
    ]
    dan, eve = [
        await follower(operator, f"{name}@example.org", "payroll") for name in ("dan", "eve")
    ]

    async def outages_ended() -> bool:
        async with sla.sessions() as session:
            rows = await session.scalars(select(Outage).where(Outage.ended_at.is_not(None)))
            return len(list(rows)) == 2

    await eventually(outages_ended, timeout=30)

    # Before anyone answered: the facts alone, perception unknown, nothing flagged.
    before = await perception_report(operator, "email", answers=0)
    assert (before.facts, before.perception, before.flags) == ("good", "unknown", [])

    async with api.client(token=None) as anyone:
        # Ana first says she was well informed, then thinks again: her second answer counts.
        await answer(anyone, email, ana, kept=7, minutes=30)
        await answer(anyone, email, ana, kept=2, minutes=120)
        await answer(anyone, email, ben, kept=3, minutes=180)
        await answer(anyone, email, cleo, kept=2, minutes=240)
        await answer(anyone, payroll, dan, kept=6, minutes=300)
        await answer(anyone, payroll, eve, kept=7, minutes=360)
    await eventually(lambda: perceived(sla, email, 3), timeout=30)
    await eventually(lambda: perceived(sla, payroll, 2), timeout=30)
    async with sla.sessions() as session:
        row = await session.get(PerceivedDowntime, email)
        assert row is not None
        assert (row.perceived_seconds, row.kept_informed_mean) == (180 * 60, 7 / 3)

    # A later report replaces the one made before the answers.
    clock.set("2026-04-01T13:00:00Z")
    gap = await perception_report(operator, "email", answers=3)
    assert gap.final is True
    assert gap.availability_percent == pytest.approx(100 * (1 - 30 / MARCH_MINUTES))
    assert gap.zone == "above"
    assert (gap.measured_downtime, gap.declared_downtime) == (30 * MIN, 30 * MIN)
    assert (gap.perceived_downtime, gap.measured_downtime_answered) == (180 * MIN, 30 * MIN)
    assert gap.perceived_exceeds_measured is True
    assert gap.kept_informed_mean == pytest.approx(7 / 3)
    assert (gap.expected_adequate_percent, gap.expected_desired_percent) == (99.0, 99.9)
    assert (gap.facts, gap.perception) == ("good", "poor")
    assert gap.flags == ["communication_gap"]
    assert [(i.id, i.respondents) for i in gap.incidents] == [(email, 3)]

    reverse = await perception_report(operator, "payroll", answers=2)
    assert reverse.availability_percent == pytest.approx(100 * (1 - 360 / MARCH_MINUTES))
    assert reverse.zone == "below"
    assert (reverse.measured_downtime, reverse.perceived_downtime) == (360 * MIN, 330 * MIN)
    assert reverse.perceived_exceeds_measured is False
    assert reverse.kept_informed_mean == 6.5
    assert (reverse.facts, reverse.perception) == ("poor", "good")
    assert reverse.flags == ["perception_better_than_facts"]

    # The page: three bars on one scale, the flag, the mean on the 1-7 scale.
    response = await operator.get(
        "/v1/reports/email/perception", params={"month": "2026-03"}, headers={"Accept": "text/html"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    page = SvgPage()
    page.feed(response.text)
    page.close()
    assert page.errors == []
    bars = {
        name: page.with_class("rect", "bar", name) for name in ("measured", "declared", "perceived")
    }
    assert {name: [float(b["data-minutes"]) for b in found] for name, found in bars.items()} == {
        "measured": [30.0],
        "declared": [30.0],
        "perceived": [180.0],
    }
    # Perceived is six times as long as measured, and drawn so.
    assert float(bars["perceived"][0]["width"]) == pytest.approx(
        6 * float(bars["measured"][0]["width"]), rel=1e-3
    )
    assert "Communication gap" in page.text_by_id["flag-communication_gap"]
    (mean,) = page.with_class("circle", "mean")
    assert float(mean["data-mean"]) == pytest.approx(7 / 3)
    assert page.text_by_id["facts"].strip() == "Good"
    assert page.text_by_id["perception"].strip() == "Poor"
