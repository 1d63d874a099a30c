"""Business-hours calendars: wall-clock hours across daylight-saving changes, public holidays,
and the deadline arithmetic (``add``) that must agree with the counting (``working_time``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from candor_shared.contract import BusinessHours
from candor_shared.intervals import Window
from candor_sla_monitor.ledger.calendar import BusinessCalendar

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
HOUR = timedelta(hours=1)
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
ALL_DAY = {"days": WEEKDAYS, "start": "00:00", "end": "00:00"}

# Zones chosen for their daylight-saving habits: an hour at 02:00 or 03:00 (Paris, New York),
# at midnight (Santiago, whose days then start at 01:00 or repeat 23:00), half an hour (Lord
# Howe), none (UTC).
ZONES = ["Europe/Paris", "America/New_York", "America/Santiago", "Australia/Lord_Howe", "UTC"]
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
SPAN_MINUTES = 366 * 24 * 60


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def quarter(n: int) -> time:
    return time(0) if n == 96 else time(n // 4, n % 4 * 15)


@st.composite
def business_hours(draw: st.DrawFn) -> BusinessHours:
    """Hours on quarter hours (some opening inside a skipped hour), any set of days."""
    start = draw(st.integers(0, 95))
    return BusinessHours(
        timezone=draw(st.sampled_from(ZONES)),
        days=draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=7, unique=True)),
        start=quarter(start),
        end=quarter(draw(st.integers(start + 1, 96))),
        holidays=draw(st.sampled_from([None, "FR", "US-NY", "DE-BY", "CL"])),
    )


# Load each country's holiday tables for the years drawn once, before any example runs: the
# first load takes longer than Hypothesis allows an example.
for _code in ("FR", "US-NY", "DE-BY", "CL"):
    BusinessCalendar.of(BusinessHours(holidays=_code)).working_time(
        datetime(2025, 12, 25, tzinfo=UTC), datetime(2028, 1, 5, tzinfo=UTC)
    )

calendars = st.one_of(st.just(BusinessCalendar.of(None)), business_hours().map(BusinessCalendar.of))
# Five-minute steps over 2026, a year with every kind of daylight-saving change.
instants = st.integers(0, SPAN_MINUTES // 5).map(lambda n: EPOCH + timedelta(minutes=5 * n))
durations = st.integers(0, 3 * 7 * 24 * 60).map(lambda n: timedelta(minutes=n))


@given(calendars, instants, durations)
def test_adding_business_time_then_counting_it_gives_it_back(
    calendar: BusinessCalendar, start: datetime, duration: timedelta
) -> None:
    deadline = calendar.add(start, duration)

    assert deadline >= start
    assert calendar.working_time(start, deadline) == duration
    if duration:
        # The first instant at which that much has elapsed, not a later one.
        assert calendar.working_time(start, deadline - timedelta(seconds=1)) < duration
    else:
        # Nothing to add: the clock starts at the next opening (or now, when open).
        assert calendar.is_open(deadline)
        assert calendar.working_time(start, deadline) == timedelta(0)


@given(calendars, instants, instants, instants)
def test_working_time_adds_up_and_never_exceeds_the_wall_clock(
    calendar: BusinessCalendar, a: datetime, b: datetime, c: datetime
) -> None:
    a, b, c = sorted([a, b, c])

    assert calendar.working_time(a, c) == calendar.working_time(a, b) + calendar.working_time(b, c)
    assert timedelta(0) <= calendar.working_time(a, c) <= c - a
    assert calendar.working_time(c, a) == timedelta(0)


@given(calendars, instants, st.integers(1, 2 * 24 * 12))
def test_working_time_is_the_count_of_open_moments(
    calendar: BusinessCalendar, start: datetime, steps: int
) -> None:
    """Every boundary lies on a five-minute mark, so sampling each five minutes is exact."""
    step = timedelta(minutes=5)
    open_steps = sum(calendar.is_open(start + n * step) for n in range(steps))

    assert calendar.working_time(start, start + steps * step) == open_steps * step


@given(calendars, instants, st.integers(1, 10 * 24 * 60))
def test_open_intervals_are_ordered_disjoint_and_inside_the_window(
    calendar: BusinessCalendar, start: datetime, minutes: int
) -> None:
    window = Window(start, start + timedelta(minutes=minutes))
    intervals = calendar.open_intervals(window)

    for interval in intervals:
        assert interval.end is not None
        assert window.start <= interval.start < interval.end <= window.end
        assert calendar.is_open(interval.start)
    for earlier, later in pairwise(intervals):
        assert earlier.end is not None
        assert earlier.end < later.start
        assert not calendar.is_open(earlier.end)


@given(instants, instants)
def test_around_the_clock_equals_the_wall_clock(a: datetime, b: datetime) -> None:
    a, b = sorted([a, b])
    for calendar in (
        BusinessCalendar.of(None),
        # Every day from midnight to midnight, in a zone with daylight saving: the same.
        BusinessCalendar.of(BusinessHours(timezone="Europe/Paris", **ALL_DAY)),
        BusinessCalendar.of(BusinessHours(timezone="America/Santiago", **ALL_DAY)),
    ):
        assert calendar.working_time(a, b) == b - a
        assert calendar.add(a, b - a) == b
        assert calendar.is_open(a)


@given(business_hours(), st.dates(date(2026, 1, 1), date(2027, 12, 31)))
def test_closed_days_and_holidays_count_nothing(hours: BusinessHours, day: date) -> None:
    import holidays as public_holidays

    calendar = BusinessCalendar.of(hours)
    zone = ZoneInfo(hours.timezone)
    midnight = datetime.combine(day, time(0), tzinfo=zone)
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    country, _, subdivision = (hours.holidays or "-").partition("-")
    holiday = bool(country) and day in public_holidays.country_holidays(
        country, subdiv=subdivision or None
    )
    closed = WEEKDAYS[day.weekday()] not in hours.days or holiday

    worked = calendar.working_time(midnight.astimezone(UTC), next_midnight.astimezone(UTC))

    if closed:
        assert worked == timedelta(0)
    elif next_midnight.astimezone(UTC) - midnight.astimezone(UTC) == timedelta(days=1):
        # (On a day the clocks change, hours inside the skipped hour may not happen.)
        assert worked > timedelta(0)


# Hand-worked examples: Paris, 08:00 to 18:00 on weekdays, French public holidays.
OFFICE = BusinessCalendar.of(BusinessHours(timezone="Europe/Paris", holidays="FR"))


def test_a_friday_afternoon_deadline_lands_on_monday_morning() -> None:
    # Friday 16:00 + 4 business hours: 2 on Friday, 2 on Monday.
    assert OFFICE.add(paris(2026, 11, 20, 16), 4 * HOUR) == paris(2026, 11, 23, 10)
    # Ending exactly at the closing is the closing, not Monday's opening.
    assert OFFICE.add(paris(2026, 11, 20, 16), 2 * HOUR) == paris(2026, 11, 20, 18)
    # Opened on Saturday, the clock starts on Monday at 08:00.
    assert OFFICE.add(paris(2026, 11, 21, 11), 30 * timedelta(minutes=1)) == paris(
        2026, 11, 23, 8, 30
    )
    assert OFFICE.add(paris(2026, 11, 21, 11), timedelta(0)) == paris(2026, 11, 23, 8)
    assert OFFICE.working_time(paris(2026, 11, 20, 16), paris(2026, 11, 23, 10)) == 4 * HOUR


def test_christmas_and_the_first_of_may_are_closed_in_france() -> None:
    # Thursday 24 December 16:00 + 4 h: Friday is Christmas, then the weekend.
    assert OFFICE.add(paris(2026, 12, 24, 16), 4 * HOUR) == paris(2026, 12, 28, 10)
    assert not OFFICE.is_open(paris(2026, 12, 25, 10))
    # 1 May 2026 is a Friday: Thursday 17:00 + 2 h is Monday 09:00.
    assert OFFICE.add(paris(2026, 4, 30, 17), 2 * HOUR) == paris(2026, 5, 4, 9)
    assert OFFICE.working_time(paris(2026, 5, 1), paris(2026, 5, 2)) == timedelta(0)
    # Without holidays, the same days are working days.
    plain = BusinessCalendar.of(BusinessHours(timezone="Europe/Paris"))
    assert plain.add(paris(2026, 12, 24, 16), 4 * HOUR) == paris(2026, 12, 25, 10)


def test_a_subdivision_has_its_own_holidays() -> None:
    epiphany = datetime(2026, 1, 6, 10, tzinfo=ZoneInfo("Europe/Berlin"))  # a Tuesday
    bavaria = BusinessCalendar.of(BusinessHours(timezone="Europe/Berlin", holidays="DE-BY"))
    berlin = BusinessCalendar.of(BusinessHours(timezone="Europe/Berlin", holidays="DE-BE"))

    assert not bavaria.is_open(epiphany)
    assert berlin.is_open(epiphany)


def test_business_days_lose_or_gain_an_hour_when_the_clocks_change() -> None:
    every_day = BusinessCalendar.of(
        BusinessHours(timezone="Europe/Paris", days=WEEKDAYS, start=time(0), end=time(12))
    )
    # Sunday 29 March 2026: 02:00 becomes 03:00, so the morning has 11 hours.
    assert every_day.working_time(paris(2026, 3, 29), paris(2026, 3, 30)) == 11 * HOUR
    # Sunday 25 October 2026: 03:00 becomes 02:00 again, so it has 13.
    assert every_day.working_time(paris(2026, 10, 25), paris(2026, 10, 26)) == 13 * HOUR
    # New York, 8 March and 1 November 2026 at 02:00.
    new_york = BusinessCalendar.of(BusinessHours(timezone="America/New_York", **ALL_DAY))
    start, end = datetime(2026, 3, 8, tzinfo=NEW_YORK), datetime(2026, 3, 9, tzinfo=NEW_YORK)
    assert new_york.working_time(start, end) == 23 * HOUR
    start, end = datetime(2026, 11, 1, tzinfo=NEW_YORK), datetime(2026, 11, 2, tzinfo=NEW_YORK)
    assert new_york.working_time(start, end) == 25 * HOUR
    # A whole March in Paris, midnight to midnight every day: 743 hours.
    paris_all_day = BusinessCalendar.of(BusinessHours(timezone="Europe/Paris", **ALL_DAY))
    assert paris_all_day.working_time(paris(2026, 3, 1), paris(2026, 4, 1)) == 743 * HOUR


def test_an_opening_inside_a_skipped_hour_opens_when_the_clock_jumps() -> None:
    night_shift = BusinessCalendar.of(
        BusinessHours(timezone="Europe/Paris", days=["sun"], start=time(2, 30), end=time(6))
    )
    # 29 March 2026: 02:30 never happens; the clock reads 03:00 at 01:00 UTC.
    (opening,) = night_shift.open_intervals(Window(paris(2026, 3, 29), paris(2026, 3, 30)))

    assert opening.start == datetime(2026, 3, 29, 1, tzinfo=UTC)
    assert opening.end == paris(2026, 3, 29, 6)
    assert night_shift.is_open(datetime(2026, 3, 29, 1, tzinfo=UTC))
    assert not night_shift.is_open(datetime(2026, 3, 29, 0, 59, tzinfo=UTC))
    # On 25 October 02:30 happens twice: the first one opens.
    (repeated,) = night_shift.open_intervals(Window(paris(2026, 10, 25), paris(2026, 10, 26)))
    assert repeated.start == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert repeated.end == paris(2026, 10, 25, 6)


def test_long_durations_walk_day_by_day() -> None:
    # 500 working days of ten hours: a few hundred steps, exact. Christmas Eve 2027 is the
    # last working day before the holiday, a Friday.
    start = paris(2026, 1, 5, 8)
    deadline = OFFICE.add(start, 5000 * HOUR)

    assert deadline == paris(2027, 12, 24, 18)
    assert OFFICE.working_time(start, deadline) == 5000 * HOUR


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"holidays": "XX"}, "unknown country 'XX'"),
        ({"holidays": "DE-ZZ"}, "DE has no subdivision 'ZZ'"),
        ({"start": "18:00", "end": "08:00"}, "end: after start"),
        ({"days": []}, "at least one day"),
    ],
)
def test_hours_that_no_calendar_can_follow_are_refused(
    fields: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        BusinessHours.model_validate(fields)


def test_a_country_is_named_in_capitals_and_midnight_ends_the_day() -> None:
    hours = BusinessHours.model_validate({"holidays": "fr", "start": "20:00", "end": "00:00"})

    assert hours.holidays == "FR"
    calendar = BusinessCalendar.of(hours)
    assert calendar.working_time(
        datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 24, tzinfo=UTC)
    ) == (4 * HOUR)
