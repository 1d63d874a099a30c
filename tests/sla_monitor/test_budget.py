"""Error budgets and multi-window burn rates, free of I/O: hypothesis properties and cases
worked out by hand in the comments."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from candor_shared.contract import AgreementTerms
from candor_sla_monitor.budget.arithmetic import (
    PAGE_FAST,
    PAGE_SLOW,
    RULES,
    BurnRateRule,
    burn_rate,
    error_budget,
    fires,
)
from candor_sla_monitor.budget.service import BudgetStanding, standing
from candor_sla_monitor.ledger.maintenance import MaintenanceSpan
from candor_sla_monitor.ledger.models import Outage

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ROLLING_99_9 = AgreementTerms.model_validate(
    {"availability": {"adequate_percent": 99.9, "window": "rolling", "rolling_days": 30}}
)

objectives = st.floats(min_value=50.0, max_value=99.999)
periods = st.integers(min_value=1, max_value=366).map(lambda days: timedelta(days=days))


def outage(start: datetime, end: datetime | None, impact: str = "major") -> Outage:
    """An outage row as the ledger keeps it, in memory."""
    return Outage(
        id=uuid.uuid4(),
        incident_id=str(uuid.uuid4()),
        service_id="s",
        service_slug="email",
        impact=impact,
        started_at=start,
        opened_at=start,
        ended_at=end,
        last_version=1,
    )


def at(text: str) -> datetime:
    """``HH:MM:SS`` on 2 March 2026, UTC."""
    return datetime.fromisoformat(f"2026-03-02T{text}+00:00")


def rates(current: BudgetStanding) -> dict[str, tuple[float, float, bool]]:
    return {b.rule.name: (b.long_burn_rate, b.short_burn_rate, b.firing) for b in current.burn}


# ---- the budget --------------------------------------------------------------------------


def test_99_9_over_30_days_allows_43_2_minutes() -> None:
    # 30 days = 43 200 minutes; 0.1 % of them is 43.2 minutes.
    budget = error_budget(
        adequate_percent=99.9, period=timedelta(days=30), consumed=timedelta(minutes=10)
    )
    assert budget.allowed.total_seconds() == pytest.approx(43.2 * 60)
    assert budget.remaining.total_seconds() == pytest.approx(33.2 * 60)
    assert budget.consumed_share == pytest.approx(10 / 43.2)


def test_a_calendar_month_of_31_days_allows_44_64_minutes() -> None:
    # March 2026 in UTC: 31 days = 44 640 minutes; 0.1 % is 44.64 minutes. 40 minutes down
    # consume 40 / 44.64 = 0.896 of it.
    terms = AgreementTerms.model_validate({"availability": {"adequate_percent": 99.9}})
    current = standing(
        terms=terms, outages=[outage(at("10:00:00"), at("10:40:00"))], now=at("12:00:00")
    )
    assert current.period.length == timedelta(days=31)
    assert current.budget.allowed.total_seconds() == pytest.approx(44.64 * 60)
    assert current.budget.consumed == timedelta(minutes=40)
    assert current.budget.consumed_share == pytest.approx(40 / 44.64)


def test_overspent_budget_has_negative_remaining() -> None:
    budget = error_budget(
        adequate_percent=99.0, period=timedelta(days=1), consumed=timedelta(hours=1)
    )
    # 1 % of a day is 14.4 minutes; an hour down overspends it by 45.6 minutes.
    assert budget.remaining.total_seconds() == pytest.approx(-45.6 * 60)
    assert budget.consumed_share == pytest.approx(60 / 14.4)


def test_an_objective_of_100_percent_has_no_budget() -> None:
    budget = error_budget(adequate_percent=100.0, period=timedelta(days=30), consumed=timedelta(0))
    assert (budget.allowed, budget.consumed_share) == (timedelta(0), 0.0)
    down = burn_rate(downtime=timedelta(seconds=1), window=timedelta(hours=1), adequate_percent=100)
    assert down == math.inf
    assert burn_rate(downtime=timedelta(0), window=timedelta(hours=1), adequate_percent=100) == 0


@given(objectives, periods)
def test_burn_rate_1_consumes_exactly_the_budget_over_the_period(
    adequate: float, period: timedelta
) -> None:
    budget = error_budget(adequate_percent=adequate, period=period, consumed=timedelta(0))
    # Down for exactly the allowed time, spread anywhere over the period: burn rate 1.
    rate = burn_rate(downtime=budget.allowed, window=period, adequate_percent=adequate)
    assert rate == pytest.approx(1.0, rel=1e-6)
    spent = error_budget(adequate_percent=adequate, period=period, consumed=budget.allowed)
    assert spent.consumed_share == pytest.approx(1.0, rel=1e-6)
    assert abs(spent.remaining) < timedelta(milliseconds=1)


@given(objectives, periods, st.floats(min_value=0.0, max_value=50.0), st.integers(1, 24 * 60))
def test_a_steady_burn_over_a_window_consumes_rate_times_its_share_of_the_period(
    adequate: float, period: timedelta, rate: float, minutes: int
) -> None:
    window = min(timedelta(minutes=minutes), period)
    allowed = error_budget(adequate_percent=adequate, period=period, consumed=timedelta(0)).allowed
    # Burning at ``rate`` for ``window`` means being down ``rate * allowed share`` of it.
    downtime = min(window * (rate * allowed / period), window)
    measured = burn_rate(downtime=downtime, window=window, adequate_percent=adequate)
    consumed = error_budget(adequate_percent=adequate, period=period, consumed=downtime)
    assert consumed.consumed_share == pytest.approx(measured * (window / period), rel=1e-6)
    if downtime < window:
        # Downtime is kept to the microsecond: that much error, in burn-rate terms.
        rounding = 1e-6 / window.total_seconds() / (1 - adequate / 100)
        assert measured == pytest.approx(rate, rel=1e-6, abs=rounding)


# ---- the multi-window rule ---------------------------------------------------------------

burn_rates = st.floats(min_value=0.0, max_value=1000.0)


@given(st.sampled_from(RULES), burn_rates, burn_rates)
def test_a_rule_fires_only_when_both_windows_exceed_its_factor(
    rule: BurnRateRule, long_rate: float, short_rate: float
) -> None:
    firing = fires(rule, long_burn_rate=long_rate, short_burn_rate=short_rate)
    assert firing == (long_rate > rule.factor and short_rate > rule.factor)
    # One window alone, however fast, never fires it.
    slower = rule.factor
    assert not fires(rule, long_burn_rate=long_rate, short_burn_rate=min(short_rate, slower))
    assert not fires(rule, long_burn_rate=min(long_rate, slower), short_burn_rate=short_rate)


@st.composite
def outage_lists(draw: st.DrawFn) -> list[Outage]:
    """Outages within the 7 hours before START + 7 h, to the second, some still open."""
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        start = START + timedelta(seconds=draw(st.integers(-7 * 3600, 7 * 3600)))
        length = draw(st.one_of(st.none(), st.integers(1, 3 * 3600)))
        end = None if length is None else start + timedelta(seconds=length)
        rows.append(outage(start, end, draw(st.sampled_from(["minor", "major", "none"]))))
    return rows


FRACTIONS = AgreementTerms.model_validate(
    {
        "availability": {"adequate_percent": 99.5, "window": "rolling", "rolling_days": 7},
        "downtime_fraction": {"minor": 0.25},
    }
)


@given(outage_lists(), outage_lists(), st.integers(0, 7 * 3600))
def test_more_downtime_never_burns_slower_nor_consumes_less(
    some: list[Outage], more: list[Outage], seconds: int
) -> None:
    now = START + timedelta(seconds=seconds)
    before = standing(terms=FRACTIONS, outages=some, now=now)
    after = standing(terms=FRACTIONS, outages=[*some, *more], now=now)
    assert after.budget.consumed >= before.budget.consumed
    for less, worse in zip(before.burn, after.burn, strict=True):
        assert worse.long_burn_rate >= less.long_burn_rate - 1e-9
        assert worse.short_burn_rate >= less.short_burn_rate - 1e-9
        # And a firing rule keeps firing when downtime is added.
        assert worse.firing or not less.firing


# ---- a 10-minute total outage against 99.9 % over 30 rolling days, worked by hand -------
#
# The budget allows 0.1 % of any window. Down from 10:00:00 to 10:10:00:
#
# 1h/5m at 14.4. t minutes after 10:00 (t <= 10), the hour holds t minutes down: burn rate
#   (t / 60) / 0.001 = 16.67 t, above 14.4 once t > 0.864 min = 51.84 s; the 5 minutes hold
#   min(t, 5) minutes: 200 min(t, 5), above 14.4 after 4.32 s. So it fires at 10:00:51.84:
#   not yet at 10:00:51 (14.17), firing at 10:00:52 (14.44).
#   s minutes after 10:10 the 5 minutes hold 5 - s minutes down: 200 (5 - s) > 14.4 while
#   s < 4.928 min = 4 min 55.68 s, while the hour still burns at 166.7. It resolves at
#   10:14:55.68: firing at 10:14:55 (16.67), resolved at 10:14:56 (13.33).
#
# 6h/30m at 6. The six hours burn (t / 360) / 0.001 = 2.78 t, above 6 once t > 2.16 min =
#   2 min 9.6 s; the 30 minutes 33.3 t, above 6 after 10.8 s. It fires at 10:02:09.6: not at
#   10:02:09 (5.97), firing at 10:02:10 (6.02). After the end, the 30 minutes hold all 10
#   minutes until 10:30, then 30 - s minutes (s after 10:10): 33.3 (30 - s) > 6 while
#   s < 29.82 min = 29 min 49.2 s. It resolves at 10:39:49.2: firing at 10:39:49 (6.11),
#   resolved at 10:39:50 (5.56); the six hours still burn at 27.8.
#
# 10 minutes of 43.2 consume 0.2315 of the budget.

TEN_MINUTES = [outage(at("10:00:00"), at("10:10:00"))]


@pytest.mark.parametrize(
    ("moment", "fast", "slow"),
    [
        ("09:59:59", False, False),
        ("10:00:51", False, False),
        ("10:00:52", True, False),
        ("10:02:09", True, False),
        ("10:02:10", True, True),
        ("10:14:55", True, True),
        ("10:14:56", False, True),
        ("10:39:49", False, True),
        ("10:39:50", False, False),
    ],
)
def test_a_ten_minute_outage_pages_and_resolves_at_the_worked_out_seconds(
    moment: str, fast: bool, slow: bool
) -> None:
    current = standing(terms=ROLLING_99_9, outages=TEN_MINUTES, now=at(moment))
    assert {name: firing for name, (_, _, firing) in rates(current).items()} == {
        PAGE_FAST.name: fast,
        PAGE_SLOW.name: slow,
    }


def test_the_worked_out_burn_rates() -> None:
    assert rates(standing(terms=ROLLING_99_9, outages=TEN_MINUTES, now=at("10:00:52")))[
        PAGE_FAST.name
    ][:2] == (pytest.approx(52 / 3600 / 0.001), pytest.approx(52 / 300 / 0.001))
    at_end = standing(terms=ROLLING_99_9, outages=TEN_MINUTES, now=at("10:14:56"))
    assert rates(at_end)[PAGE_FAST.name][:2] == (
        pytest.approx(10 / 60 / 0.001),
        pytest.approx(4 / 300 / 0.001),
    )
    assert rates(at_end)[PAGE_SLOW.name][:2] == (
        pytest.approx(10 / 360 / 0.001),
        pytest.approx(10 / 30 / 0.001),
    )
    assert at_end.budget.consumed_share == pytest.approx(10 / 43.2)


def test_an_open_outage_burns_until_now_and_partial_impact_counts_its_fraction() -> None:
    # Minor counts a quarter: 20 minutes of a minor outage still open at 10:20 are 5 minutes
    # of downtime. Against 99.5 % over 7 days: the hour burns (5 / 60) / 0.005 = 16.67, the
    # 5 minutes (1.25 / 5) / 0.005 = 50: the fast page fires.
    current = standing(
        terms=FRACTIONS, outages=[outage(at("10:00:00"), None, "minor")], now=at("10:20:00")
    )
    assert current.budget.consumed == timedelta(minutes=5)
    assert rates(current)[PAGE_FAST.name] == (pytest.approx(50 / 3), pytest.approx(50.0), True)


# ---- maintenance, as the agreement's availability counts it -----------------------------

WITH_NOTICE = AgreementTerms.model_validate(
    {
        "availability": {"adequate_percent": 99.9, "window": "rolling", "rolling_days": 30},
        "maintenance_notice": "P1D",
    }
)


def maintenance(announced: datetime) -> MaintenanceSpan:
    """Maintenance from 10:00 to 10:30, announced at ``announced``."""
    return MaintenanceSpan(
        maintenance_id="m1",
        starts_at=at("10:00:00"),
        ends_at=at("10:30:00"),
        announced_at=announced,
    )


def test_downtime_in_maintenance_announced_in_time_burns_nothing() -> None:
    # Announced two days ahead (notice: one day): 10:00-10:30 is excluded. At 10:05 the
    # outage inside it counts nothing, and the rolling 30 days lose the 5 excluded minutes:
    # 0.1 % of (43 200 - 5) minutes = 43.195 minutes.
    current = standing(
        terms=WITH_NOTICE,
        outages=TEN_MINUTES,
        now=at("10:05:00"),
        maintenance=[maintenance(START - timedelta(days=2))],
    )
    assert current.budget.consumed == timedelta(0)
    assert current.budget.allowed.total_seconds() == pytest.approx(43.195 * 60)
    assert rates(current) == {PAGE_FAST.name: (0.0, 0.0, False), PAGE_SLOW.name: (0.0, 0.0, False)}


def test_maintenance_announced_late_burns_as_downtime() -> None:
    # Announced an hour ahead: the 5 minutes since 10:00 are downtime. The hour burns
    # (5 / 60) / 0.001 = 83.3, the 5 minutes 1000 (all down): the fast page fires.
    current = standing(
        terms=WITH_NOTICE,
        outages=[],
        now=at("10:05:00"),
        maintenance=[maintenance(START - timedelta(hours=1))],
    )
    assert current.budget.consumed == timedelta(minutes=5)
    assert rates(current)[PAGE_FAST.name] == (
        pytest.approx(5 / 60 / 0.001),
        pytest.approx(1000.0),
        True,
    )
