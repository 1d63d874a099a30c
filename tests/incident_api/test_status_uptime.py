"""The status page's 90-day bars: each service's measured availability per UTC day.

The arithmetic on fixed times first (worked out by hand, then a hypothesis property), then
through the API: alerts posted as monitoring posts them, read back from summary.json and
the page.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

import httpx
from hypothesis import given
from hypothesis import strategies as st

from candor_incident_api.status.uptime import (
    DAYS,
    DayAvailability,
    daily_availability,
    overall_percent,
    percent_up,
)
from candor_shared.intervals import Interval, Window, total_downtime
from tests.incident_api.helpers import post_alert
from tests.payloads import alertmanager

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in November 2026, UTC."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def by_day(days: list[DayAvailability]) -> dict[date, DayAvailability]:
    return {d.day: d for d in days}


def test_overlapping_alerts_count_once_and_days_split_at_midnight_utc() -> None:
    days = by_day(
        daily_availability(
            [
                Interval(at(12, 10, 0), at(12, 10, 10)),
                Interval(at(12, 10, 5), at(12, 10, 20)),  # overlaps the first: 20 min in all
                Interval(at(14, 23, 30), at(15, 0, 45)),  # 30 min on the 14th, 45 on the 15th
            ],
            known_since=at(1, 9),
            now=NOW,
        )
    )

    assert days[date(2026, 11, 12)].downtime == timedelta(minutes=20)
    assert days[date(2026, 11, 12)].percent == 98.61  # 1 - 20/1440 = 98.611... rounded down
    assert days[date(2026, 11, 14)].downtime == timedelta(minutes=30)
    assert days[date(2026, 11, 14)].percent == 97.91  # 97.916...
    assert days[date(2026, 11, 15)].downtime == timedelta(minutes=45)
    assert days[date(2026, 11, 13)].percent == 100.0
    assert days[date(2026, 11, 13)].downtime == timedelta(0)


def test_ninety_days_oldest_first_today_last_and_counted_until_now() -> None:
    days = daily_availability(
        [Interval(at(23, 11, 0), None)],  # still down: until now, one hour of today's twelve
        known_since=datetime(2026, 1, 1, tzinfo=UTC),
        now=NOW,
    )

    assert len(days) == DAYS == 90
    assert days[0].day == date(2026, 8, 26)
    assert days[-1].day == date(2026, 11, 23)
    assert [b.day - a.day for a, b in pairwise(days)] == [timedelta(1)] * 89
    today = days[-1]
    assert (today.measured, today.downtime) == (timedelta(hours=12), timedelta(hours=1))
    assert today.percent == 91.66  # 11/12 = 91.666...
    assert all(d.percent == 100.0 for d in days[:-1])


def test_days_before_the_service_was_known_have_no_data() -> None:
    # Created on the 20th in the afternoon: that whole day counts (nothing was down).
    days = by_day(daily_availability([], known_since=at(20, 15, 30), now=NOW))

    assert days[date(2026, 11, 19)].percent is None
    assert days[date(2026, 11, 19)].downtime is None
    assert days[date(2026, 11, 20)].percent == 100.0
    assert days[date(2026, 11, 20)].measured == timedelta(days=1)


def test_an_alert_older_than_the_service_record_counts_from_its_day() -> None:
    """Monitoring may report trouble that started before the service was put in the
    catalog: the service existed then, and the day of that alert is measured."""
    days = by_day(
        daily_availability(
            [Interval(at(10, 23, 0), at(11, 1, 0))], known_since=at(20, 15, 30), now=NOW
        )
    )

    assert days[date(2026, 11, 9)].percent is None
    assert days[date(2026, 11, 10)].downtime == timedelta(hours=1)
    assert days[date(2026, 11, 11)].downtime == timedelta(hours=1)
    assert days[date(2026, 11, 15)].percent == 100.0


def test_a_whole_day_down_and_alerts_outside_the_ninety_days() -> None:
    days = by_day(
        daily_availability(
            [
                Interval(datetime(2026, 8, 1, tzinfo=UTC), at(2, 0, 0)),  # from before
                Interval(at(23, 13), at(23, 14)),  # after now: not happened yet
            ],
            known_since=datetime(2026, 1, 1, tzinfo=UTC),
            now=NOW,
        )
    )

    assert days[date(2026, 8, 26)].percent == 0.0
    assert days[date(2026, 11, 1)].downtime == timedelta(days=1)
    assert days[date(2026, 11, 2)].percent == 100.0
    assert days[date(2026, 11, 23)].percent == 100.0


def test_any_downtime_shows_below_100_and_a_figure_is_never_rounded_up() -> None:
    assert percent_up(timedelta(seconds=1), timedelta(days=1)) == 99.99
    assert percent_up(timedelta(minutes=10), timedelta(days=1)) == 99.30  # 99.305...
    assert percent_up(timedelta(0), timedelta(days=1)) == 100.0
    assert percent_up(timedelta(days=1), timedelta(days=1)) == 0.0


def test_at_midnight_today_has_no_data_yet() -> None:
    days = daily_availability([], known_since=at(1, 0), now=at(23, 0))

    assert days[-1].day == date(2026, 11, 23)
    assert days[-1].percent is None
    assert days[-2].percent == 100.0


def test_overall_availability_weighs_each_day_by_how_long_it_was_measured() -> None:
    days = daily_availability(
        [Interval(at(22, 0), at(22, 6)), Interval(at(23, 0), at(23, 6))],
        known_since=at(22, 0),
        now=NOW,
    )

    # 12 hours down out of 36 measured: 2/3 available.
    assert overall_percent(days) == 66.66
    assert overall_percent(daily_availability([], known_since=at(23, 12), now=at(23, 0))) is None


MINUTES = 3 * 24 * 60


@st.composite
def outages(draw: st.DrawFn) -> Interval:
    start = draw(st.integers(-MINUTES, MINUTES))
    length = draw(st.integers(0, MINUTES))
    still_open = draw(st.booleans())
    begins = NOW + timedelta(minutes=start)
    return Interval(begins, None if still_open else begins + timedelta(minutes=length))


@given(st.lists(outages(), max_size=8))
def test_the_days_add_up_to_the_downtime_of_the_whole_period(intervals: list[Interval]) -> None:
    known_since = NOW - timedelta(days=DAYS)
    days = daily_availability(intervals, known_since=known_since, now=NOW)

    start = datetime(2026, 8, 26, tzinfo=UTC)
    whole = total_downtime(intervals, Window(start, NOW))
    assert sum((d.downtime or timedelta(0) for d in days), timedelta(0)) == whole
    for day in days:
        assert day.percent is not None
        assert 0 <= day.percent <= 100
        assert (day.percent == 100) == (day.downtime == timedelta(0))


# ---- through the API ---------------------------------------------------------------------


async def _service(operator: httpx.AsyncClient, slug: str, name: str, **spec: Any) -> None:
    response = await operator.put(f"/v1/services/{slug}", json={"name": name, **spec})
    assert response.status_code in (200, 201), response.text


async def _alert(
    api: Any, key: str, *, service: str, fingerprint: str, starts: datetime, ends: datetime | None
) -> None:
    """An alert firing at ``starts`` and, when ``ends`` is given, resolved at ``ends``."""
    iso = {"starts_at": starts.isoformat().replace("+00:00", "Z")}
    fired = await post_alert(
        api, key, alertmanager(service=service, fingerprint=fingerprint, **iso)
    )
    assert fired.status_code in (200, 202), fired.text
    if ends is not None:
        resolved = await post_alert(
            api,
            key,
            alertmanager(
                service=service,
                fingerprint=fingerprint,
                status="resolved",
                ends_at=ends.isoformat().replace("+00:00", "Z"),
                **iso,
            ),
        )
        assert resolved.status_code in (200, 202), resolved.text


def _midnight(days_ago: int) -> datetime:
    today = datetime.now(UTC).date()
    return datetime.combine(today - timedelta(days=days_ago), datetime.min.time(), tzinfo=UTC)


async def test_summary_json_measures_each_service_from_its_alerts(
    api: Any, operator: httpx.AsyncClient
) -> None:
    await _service(operator, "email", "Email")
    await _service(operator, "payroll", "Payroll", notification_delay_seconds=3600)
    integration = await operator.post(
        "/v1/integrations", json={"name": "prom", "source": "alertmanager"}
    )
    assert integration.status_code == 201, integration.text
    key = integration.json()["key"]

    ten_days_ago, three_days_ago = _midnight(10), _midnight(3)
    # Ten days ago: two alerts overlapping, 10:00-10:10 and 10:05-10:20 (20 minutes down).
    await _alert(
        api,
        key,
        service="email",
        fingerprint="queue",
        starts=ten_days_ago + timedelta(hours=10),
        ends=ten_days_ago + timedelta(hours=10, minutes=10),
    )
    await _alert(
        api,
        key,
        service="email",
        fingerprint="smtp",
        starts=ten_days_ago + timedelta(hours=10, minutes=5),
        ends=ten_days_ago + timedelta(hours=10, minutes=20),
    )
    # Three days ago the first alert fires again, for 30 minutes: the alerts table now holds
    # only this firing; the one ten days ago must still count.
    await _alert(
        api,
        key,
        service="email",
        fingerprint="queue",
        starts=three_days_ago + timedelta(hours=8),
        ends=three_days_ago + timedelta(hours=8, minutes=30),
    )
    # Payroll's trouble now is held back by its notification delay: not public yet.
    await _alert(
        api,
        key,
        service="payroll",
        fingerprint="batch",
        starts=datetime.now(UTC) - timedelta(minutes=5),
        ends=None,
    )

    async with api.client(token=None) as public:
        response = await public.get("/status/summary.json")
        page = await public.get("/status")

    assert response.status_code == 200, response.text
    services = {s["slug"]: s for s in response.json()["services"]}
    email = {d["day"]: d for d in services["email"]["uptime_90d"]}
    assert len(services["email"]["uptime_90d"]) == 90
    assert services["email"]["uptime_90d"][-1]["day"] == datetime.now(UTC).date().isoformat()
    first = ten_days_ago.date()
    assert email[first.isoformat()] == {
        "day": first.isoformat(),
        "percent": 98.61,
        "downtime_seconds": 1200,
    }
    assert email[three_days_ago.date().isoformat()]["downtime_seconds"] == 1800
    assert email[three_days_ago.date().isoformat()]["percent"] == 97.91
    assert email[(first - timedelta(days=1)).isoformat()] == {
        "day": (first - timedelta(days=1)).isoformat(),
        "percent": None,
        "downtime_seconds": None,
    }  # before the first alert, and the service was created today
    assert email[(first + timedelta(days=1)).isoformat()]["percent"] == 100.0
    assert 99 < services["email"]["uptime_90d_percent"] < 100

    payroll = services["payroll"]["uptime_90d"]
    assert [d["percent"] for d in payroll[:-1]] == [None] * 89
    assert payroll[-1]["downtime_seconds"] == 0  # held back: not on the bars yet

    assert page.status_code == 200, page.text
    label = first.strftime("%d %b")
    assert f"{label}: 98.61 % available, 20 min down" in page.text
    email_card = page.text.split('id="service-email"')[1].split('id="service-payroll"')[0]
    assert len(re.findall(r'<li class="day ', email_card)) == 90
    assert "Days with downtime (2)" in email_card


async def test_a_held_back_incident_counts_once_it_is_over(
    api: Any, operator: httpx.AsyncClient
) -> None:
    await _service(operator, "payroll", "Payroll", notification_delay_seconds=3600)
    integration = await operator.post(
        "/v1/integrations", json={"name": "prom", "source": "alertmanager"}
    )
    key = integration.json()["key"]
    yesterday = _midnight(1)
    await _alert(
        api,
        key,
        service="payroll",
        fingerprint="blip",
        starts=yesterday + timedelta(hours=3),
        ends=yesterday + timedelta(hours=3, minutes=6),
    )

    async with api.client(token=None) as public:
        summary = (await public.get("/status/summary.json")).json()

    [payroll] = summary["services"]
    day = {d["day"]: d for d in payroll["uptime_90d"]}[yesterday.date().isoformat()]
    assert (day["downtime_seconds"], day["percent"]) == (360, 99.58)
    assert summary["past_incidents"] == []  # users were never told of the blip
