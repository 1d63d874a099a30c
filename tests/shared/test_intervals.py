"""Availability arithmetic: merging intervals and measuring downtime in a window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from candor_shared.intervals import (
    Interval,
    Window,
    clip,
    measure,
    merge,
    total_downtime,
)

EPOCH = datetime(2026, 3, 2, tzinfo=UTC)
HORIZON = 24 * 60  # minutes: every interval and window lies within one day


def minute(n: int) -> datetime:
    return EPOCH + timedelta(minutes=n)


@st.composite
def intervals(draw: st.DrawFn, *, open_allowed: bool = True) -> Interval:
    """Minute-aligned intervals, some empty, some reversed, some (optionally) still open."""
    start = draw(st.integers(0, HORIZON))
    if open_allowed and draw(st.booleans()) and draw(st.booleans()):
        return Interval(minute(start))
    return Interval(minute(start), minute(draw(st.integers(start - 30, start + 240))))


@st.composite
def windows(draw: st.DrawFn) -> Window:
    start = draw(st.integers(-60, HORIZON))
    return Window(minute(start), minute(draw(st.integers(start + 1, HORIZON + 300))))


closed_lists = st.lists(intervals(open_allowed=False), max_size=25)
any_lists = st.lists(intervals(), max_size=25)


def brute_force_minutes(items: list[Interval], window: Window) -> int:
    """Minutes m of the window such that some interval covers [m, m + 1)."""
    first = int((window.start - EPOCH) / timedelta(minutes=1))
    last = int((window.end - EPOCH) / timedelta(minutes=1))
    covered = 0
    for m in range(first, last):
        t = minute(m)
        if any(item.start <= t and (item.end is None or t < item.end) for item in items):
            covered += 1
    return covered


@given(closed_lists)
def test_merged_intervals_are_sorted_disjoint_and_not_empty(items: list[Interval]) -> None:
    merged = merge(items)

    for interval in merged:
        assert interval.end is not None
        assert interval.start < interval.end
    for before, after in pairwise(merged):
        assert before.end is not None
        assert before.end < after.start  # touching intervals are merged too


@given(closed_lists)
def test_merging_is_idempotent(items: list[Interval]) -> None:
    assert merge(merge(items)) == merge(items)


@given(st.permutations(list(range(8))), closed_lists)
def test_merging_ignores_order(order: list[int], items: list[Interval]) -> None:
    shuffled = [items[i] for i in order if i < len(items)] + items[8:]

    assert merge(shuffled) == merge(items)


@given(closed_lists)
def test_union_is_no_longer_than_the_sum_and_no_shorter_than_the_longest(
    items: list[Interval],
) -> None:
    lengths = [max(item.end - item.start, timedelta(0)) for item in items if item.end]

    assert measure(items) <= sum(lengths, timedelta(0))
    assert measure(items) >= max(lengths, default=timedelta(0))


@given(any_lists, windows())
def test_downtime_never_exceeds_the_window(items: list[Interval], window: Window) -> None:
    downtime = total_downtime(items, window)

    assert timedelta(0) <= downtime <= window.length


@given(any_lists, windows())
def test_downtime_equals_brute_force_count_on_a_minute_grid(
    items: list[Interval], window: Window
) -> None:
    assert total_downtime(items, window) == timedelta(minutes=brute_force_minutes(items, window))


@given(any_lists, windows(), st.data())
def test_downtime_adds_up_over_adjacent_windows(
    items: list[Interval], window: Window, data: st.DataObject
) -> None:
    seconds = int(window.length.total_seconds())
    middle = window.start + timedelta(seconds=data.draw(st.integers(0, seconds)))
    parts = [Window(a, b) for a, b in ((window.start, middle), (middle, window.end)) if a < b]

    assert total_downtime(items, window) == sum(
        (total_downtime(items, part) for part in parts), timedelta(0)
    )


@given(any_lists, windows())
def test_clipped_intervals_lie_inside_the_window(items: list[Interval], window: Window) -> None:
    for interval in clip(items, window):
        assert interval.end is not None
        assert window.start <= interval.start < interval.end <= window.end


def test_open_interval_counts_until_the_end_of_the_window() -> None:
    window = Window(minute(0), minute(60))

    assert total_downtime([Interval(minute(45))], window) == timedelta(minutes=15)
    assert total_downtime([Interval(minute(-10))], window) == timedelta(minutes=60)
    assert total_downtime([Interval(minute(60))], window) == timedelta(0)


def test_overlapping_and_touching_intervals_count_once() -> None:
    items = [
        Interval(minute(0), minute(30)),
        Interval(minute(15), minute(45)),
        Interval(minute(45), minute(50)),
        Interval(minute(70), minute(80)),
    ]

    assert merge(items) == [Interval(minute(0), minute(50)), Interval(minute(70), minute(80))]
    assert measure(items) == timedelta(minutes=60)


def test_open_interval_cannot_be_merged_without_a_window() -> None:
    with pytest.raises(ValueError, match="clip it to a window"):
        merge([Interval(minute(0))])


def test_empty_window_is_refused() -> None:
    with pytest.raises(ValueError, match="not after its start"):
        Window(minute(10), minute(10))
