"""incident-api keeps the reports sla-monitor publishes (newest wins, final never replaced by
provisional), asks for them (POST, through its outbox) and serves them as JSON and as a page
whose SVG chart has one bar per day and the two agreed levels.

Reports here are put on the SLA topic by the test, as sla-monitor would publish them; the
way through sla-monitor is in test_reports_e2e.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, select

from candor_incident_api.consumer import consumer_group
from candor_incident_api.models import InboxRecord
from candor_shared.contract import (
    CloudEvent,
    ServiceRef,
    ServiceReport,
    SlaReportPublished,
    SlaReportRequested,
    Topics,
    new_event,
    to_kafka,
)
from candor_shared.kafka import new_producer
from tests.conftest import RunningApi, eventually
from tests.kafka_helpers import read_events

AGREEMENT = {
    "timezone": "Europe/Paris",
    "availability": {"adequate_percent": 99.5, "desired_percent": 99.9},
}
# Local days of March 2026 with some downtime; the others were fully available.
DOWN = {2: 96.527778, 5: 99.652778, 20: 97.916667, 31: 95.833333}


async def create_email(operator: httpx.AsyncClient) -> ServiceRef:
    response = await operator.post(
        "/v1/services", json={"slug": "email", "name": "Email", "agreement": AGREEMENT}
    )
    assert response.status_code == 201, response.text
    return ServiceRef(id=response.json()["id"], slug="email", name="Email")


def march(
    service: ServiceRef,
    *,
    generated: str,
    final: bool = True,
    percent: float = 99.673864,
    maintenance_id: str = "0195f0c2-eeee-7000-8000-0000000000e1",
) -> ServiceReport:
    """A report of March 2026 as sla-monitor would make it."""
    return ServiceReport.model_validate(
        {
            "service": service,
            "period": "2026-03",
            "timezone": "Europe/Paris",
            "starts_at": "2026-02-28T23:00:00Z",
            "ends_at": "2026-03-31T22:00:00Z",
            "observed_until": "2026-03-31T22:00:00Z",
            "final": final,
            "generated_at": generated,
            "adequate_percent": 99.5,
            "desired_percent": 99.9,
            "availability_percent": percent,
            "zone": "within",
            "measured_downtime": "PT2H20M",
            "declared_downtime": "PT2H25M",
            "excluded_maintenance": "PT2H",
            "error_budget": {
                "allowed": "PT3H42M18S",
                "consumed": "PT2H25M",
                "remaining": "PT1H17M18S",
                "consumed_share": 0.652272,
            },
            "compliance": [
                {
                    "term": "acknowledge",
                    "applicable": 3,
                    "met": 2,
                    "breached": 1,
                    "pending": 0,
                    "share_met": 0.666667,
                },
            ],
            "incidents": [
                {
                    "id": "0195f0c2-aaaa-7000-8000-0000000000a1",
                    "impact": "major",
                    "started_at": "2026-03-02T08:00:00Z",
                    "ended_at": "2026-03-02T08:50:00Z",
                    "downtime": "PT50M",
                    "acknowledged_at": "2026-03-02T08:10:00Z",
                    "breached": ["acknowledge"],
                }
            ],
            "maintenance": [
                {
                    "id": maintenance_id,
                    "title": "",
                    "starts_at": "2026-03-15T02:00:00Z",
                    "ends_at": "2026-03-15T04:00:00Z",
                    "announced_at": "2026-03-05T02:00:00Z",
                    "notice": "P10D",
                    "excluded": True,
                    "late": False,
                }
            ],
            "daily": [
                {"day": date(2026, 3, n).isoformat(), "percent": DOWN.get(n, 100.0)}
                for n in range(1, 32)
            ],
        }
    )


async def publish_reports(api: RunningApi, *reports: ServiceReport) -> None:
    """Put ``reports`` on the SLA topic, keyed by service id, as sla-monitor publishes them."""
    settings = api.settings
    producer = new_producer(settings, client_id="tests")
    await producer.start()
    try:
        topic = Topics(settings.kafka_topic_prefix).sla
        for report in reports:
            event: CloudEvent[Any] = new_event(
                SlaReportPublished(report=report), source="/tests", key=report.service.id
            )
            key, value, headers = to_kafka(event)
            await producer.send_and_wait(topic, value=value, key=key, headers=headers)
    finally:
        await producer.stop()


async def handled(api: RunningApi) -> int:
    """How many SLA-topic events incident-api's consumer has committed."""
    async with api.app.state.candor.sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(InboxRecord)
            .where(InboxRecord.consumer == consumer_group(api.settings))
        )
        return int(count or 0)


async def publish_and_wait(api: RunningApi, report: ServiceReport) -> None:
    before = await handled(api)
    await publish_reports(api, report)

    async def done() -> bool:
        return await handled(api) > before

    await eventually(done, timeout=30)


async def served(operator: httpx.AsyncClient) -> ServiceReport:
    response = await operator.get("/v1/reports/email", params={"month": "2026-03"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return ServiceReport.model_validate(response.json())


async def test_the_newest_report_is_kept_and_a_final_one_is_never_replaced_by_a_provisional(
    api: RunningApi, operator: httpx.AsyncClient
) -> None:
    email = await create_email(operator)
    so_far = march(email, generated="2026-03-10T23:00:00Z", final=False, percent=99.8)
    first_final = march(email, generated="2026-03-31T22:15:00Z", percent=99.67)
    late_provisional = march(email, generated="2026-04-02T09:00:00Z", final=False, percent=99.9)
    second_final = march(email, generated="2026-04-03T09:00:00Z", percent=99.66)
    older_final = march(email, generated="2026-03-31T22:10:00Z", percent=99.1)

    await publish_and_wait(api, so_far)
    assert await served(operator) == so_far
    await publish_and_wait(api, first_final)
    assert await served(operator) == first_final
    # Newer, but not final: the final report stays.
    await publish_and_wait(api, late_provisional)
    assert await served(operator) == first_final
    # A newer final report replaces the older one; an older one arriving late does not.
    await publish_and_wait(api, second_final)
    assert await served(operator) == second_final
    await publish_and_wait(api, older_final)
    assert await served(operator) == second_final
    # The same report again (a redelivery with a new event id) changes nothing.
    await publish_and_wait(api, second_final)
    assert await served(operator) == second_final


async def test_post_asks_sla_monitor_through_the_outbox(
    api: RunningApi, operator: httpx.AsyncClient
) -> None:
    email = await create_email(operator)

    response = await operator.post("/v1/reports/email", params={"month": "2026-03"})
    assert response.status_code == 202, response.text
    assert response.json() == {
        "service": "email",
        "period": "2026-03",
        "requested_by": "admin",
        "report_url": "/v1/reports/email?month=2026-03",
    }
    assert response.headers["location"] == "/v1/reports/email?month=2026-03"
    # Without a month: the current one in the agreement's timezone.
    response = await operator.post("/v1/reports/email")
    assert response.status_code == 202, response.text
    now_in_paris = datetime.now(UTC).astimezone(ZoneInfo("Europe/Paris"))
    current = f"{now_in_paris.year:04d}-{now_in_paris.month:02d}"
    assert response.json()["period"] == current

    topic = Topics(api.settings.kafka_topic_prefix).sla
    events = await eventually(
        lambda: _requests(api.settings.kafka_bootstrap, topic, count=2), timeout=30
    )
    assert [(e.partitionkey, e.data.period, e.data.requested_by) for e in events] == [
        (email.id, "2026-03", "admin"),
        (email.id, current, "admin"),
    ]
    assert all(e.data.service == email for e in events)


async def _requests(bootstrap: str, topic: str, *, count: int) -> list[Any]:
    events = await read_events(bootstrap, topic, count=count, timeout=2)
    found = [e for e in events if isinstance(e.data, SlaReportRequested)]
    return found if len(found) >= count else []


async def _token(operator: httpx.AsyncClient, role: str) -> str:
    response = await operator.post("/v1/tokens", json={"name": f"a {role}", "role": role})
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


async def test_bad_requests_are_refused_with_a_clear_answer(
    api: RunningApi, operator: httpx.AsyncClient
) -> None:
    await create_email(operator)
    next_year = datetime.now(UTC).year + 1

    for method in ("GET", "POST"):
        response = await operator.request(method, "/v1/reports/nosuch", params={"month": "2026-03"})
        assert response.status_code == 404, response.text
        assert response.json()["detail"] == "No service 'nosuch' exists."
        for month, says in [
            ("2026-13", "month"),
            ("march", "month"),
            ("1900-01", "between 1971 and 9998"),
            (f"{next_year}-01", f"{next_year}-01 has not begun in Europe/Paris"),
        ]:
            response = await operator.request(method, "/v1/reports/email", params={"month": month})
            assert response.status_code == 422, (method, month, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert says in response.json()["detail"], response.json()

    response = await operator.get("/v1/reports/email", params={"month": "2026-03"})
    assert response.status_code == 404
    assert response.json()["detail"] == (
        "No report of 'email' for 2026-03 was made yet; ask for one with "
        "POST /v1/reports/email?month=2026-03, then read it here again."
    )

    async with api.client(token=await _token(operator, "viewer")) as viewer:
        assert (
            await viewer.get("/v1/reports/email", params={"month": "2026-03"})
        ).status_code == 404
        response = await viewer.post("/v1/reports/email", params={"month": "2026-03"})
        assert response.status_code == 403, response.text
    async with api.client(token=None) as anonymous:
        response = await anonymous.get("/v1/reports/email", params={"month": "2026-03"})
        assert response.status_code == 401


class SvgPage(HTMLParser):
    """The page's elements (tag and attributes, in order) and the text of each element with
    an id; fails on tags that do not nest."""

    VOID = {"meta", "link", "br", "img", "input", "hr"}

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.open: list[tuple[str, str | None]] = []
        self.text_by_id: dict[str, str] = {}
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.elements.append((tag, attributes))
        if tag in {"td", "th", "dd", "dt", "p", "li"}:
            self.handle_data(" ")  # cells read apart, as a browser shows them
        if tag not in self.VOID:
            self.open.append((tag, attributes.get("id")))
            if attributes.get("id"):
                self.text_by_id.setdefault(attributes["id"], "")

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1][0] != tag:
            self.errors.append(f"</{tag}> closes {self.open[-1:] or 'nothing'}")
            return
        self.open.pop()

    def handle_data(self, data: str) -> None:
        for _, element_id in self.open:
            if element_id:
                self.text_by_id[element_id] += data

    def inside_svg(self) -> list[tuple[str, dict[str, str]]]:
        start = next(i for i, (tag, _) in enumerate(self.elements) if tag == "svg")
        return self.elements[start:]

    def with_class(self, tag: str, *classes: str) -> list[dict[str, str]]:
        return [
            attributes
            for name, attributes in self.inside_svg()
            if name == tag and set(classes) <= set(attributes.get("class", "").split())
        ]


def words(text: str) -> str:
    return " ".join(text.split())


async def test_the_report_page_charts_each_day_against_the_two_levels(
    api: RunningApi, operator: httpx.AsyncClient
) -> None:
    email = await create_email(operator)
    response = await operator.post(
        "/v1/maintenance",
        json={
            "title": "Mail server <upgrade> & reboot",
            "services": ["email"],
            "starts_at": (datetime.now(UTC) + timedelta(days=20)).isoformat(),
            "ends_at": (datetime.now(UTC) + timedelta(days=20, hours=2)).isoformat(),
        },
    )
    assert response.status_code == 201, response.text
    window_id = response.json()["id"]
    report = march(email, generated="2026-03-31T22:15:00Z", maintenance_id=window_id)
    await publish_and_wait(api, report)

    response = await operator.get(
        "/v1/reports/email",
        params={"month": "2026-03"},
        headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["vary"] == "Accept"
    page = SvgPage()
    page.feed(response.text)
    page.close()
    assert page.errors == []
    assert page.open == []

    # One bar per local day, in order, with the day's figure.
    bars = page.with_class("rect", "day")
    assert [bar["data-day"] for bar in bars] == [date(2026, 3, n).isoformat() for n in range(1, 32)]
    assert [float(bar["data-percent"]) for bar in bars] == [d.percent for d in report.daily]
    # The two level lines, across the plot, the desired one above the adequate one.
    [adequate] = page.with_class("line", "level", "adequate")
    [desired] = page.with_class("line", "level", "desired")
    assert (float(adequate["data-percent"]), float(desired["data-percent"])) == (99.5, 99.9)
    assert adequate["y1"] == adequate["y2"]
    assert desired["y1"] == desired["y2"]
    assert float(desired["y1"]) < float(adequate["y1"])
    # A bar reaches above a line exactly when its day is above that level (y grows down).
    for bar in bars:
        top, percent = float(bar["y"]), float(bar["data-percent"])
        assert (top < float(adequate["y1"])) == (percent > 99.5), bar
        assert (top <= float(desired["y1"])) == (percent >= 99.9), bar
        assert ("under" in bar["class"].split()) == (percent < 99.5)
    # Bars stand on one baseline.
    assert len({round(float(b["y"]) + float(b["height"]), 1) for b in bars}) == 1
    # The zone of tolerance is shaded between the two lines.
    [zone] = page.with_class("rect", "zone")
    assert float(zone["y"]) == float(desired["y1"])
    assert float(zone["y"]) + float(zone["height"]) == float(adequate["y1"])

    assert words(page.text_by_id["zone"]) == "Within the zone of tolerance"
    incident = words(page.text_by_id["incident-0195f0c2-aaaa-7000-8000-0000000000a1"])
    assert incident == (
        "0195f0c2-aaaa-7000-8000-0000000000a1 major 02 Mar 2026, 08:00 UTC "
        "02 Mar 2026, 08:50 UTC 50 min 02 Mar 2026, 08:10 UTC Acknowledged"
    )
    # sla-monitor keeps no titles: the page names the window as incident-api knows it,
    # escaped.
    assert words(page.text_by_id[f"maintenance-{window_id}"]).startswith(
        "Mail server <upgrade> & reboot 15 Mar 2026, 02:00 UTC"
    )
    assert "&lt;upgrade&gt; &amp; reboot" in response.text
    compliance = words(page.text_by_id["compliance-table"])
    assert "Acknowledged in time 3 2 1 0 66.7 %" in compliance

    # JSON by default, and with the title filled in the same way.
    as_json = await served(operator)
    assert as_json.maintenance[0].title == "Mail server <upgrade> & reboot"
    assert as_json.model_copy(update={"maintenance": report.maintenance}) == report
