"""What a set of answers adds up to, free of I/O.

Durations are summed up by their median: one respondent who felt the outage lasted all day
should not move the figure as far as a mean would let them. Scores (1-7) are averaged, as
the form's scales are read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from statistics import fmean, median
from typing import Protocol


class Answered(Protocol):
    """An answer as the figures read it (a :class:`.models.FeedbackAnswer` row is one)."""

    @property
    def kept_informed(self) -> int: ...

    @property
    def disruption(self) -> int: ...

    @property
    def adequate_percent(self) -> float: ...

    @property
    def desired_percent(self) -> float: ...

    @property
    def perceived_seconds(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class Perception:
    """What answers add up to; every figure None when there is no answer to make it of."""

    respondents: int
    perceived_answers: int
    perceived: timedelta | None
    kept_informed_mean: float | None
    disruption_mean: float | None
    expected_adequate_percent: float | None
    expected_desired_percent: float | None


def _median(values: Sequence[float]) -> float | None:
    return None if not values else float(median(values))


def _mean(values: Sequence[float]) -> float | None:
    return None if not values else fmean(values)


def perception_of(answers: Iterable[Answered]) -> Perception:
    """The figures of ``answers`` (of one incident, or of a service's month)."""
    given = list(answers)
    durations = [a.perceived_seconds for a in given if a.perceived_seconds is not None]
    perceived = _median(durations)
    return Perception(
        respondents=len(given),
        perceived_answers=len(durations),
        # Whole seconds: the median of two answers may fall between them.
        perceived=None if perceived is None else timedelta(seconds=round(perceived)),
        kept_informed_mean=_mean([a.kept_informed for a in given]),
        disruption_mean=_mean([a.disruption for a in given]),
        expected_adequate_percent=_median([a.adequate_percent for a in given]),
        expected_desired_percent=_median([a.desired_percent for a in given]),
    )
