"""The feedback form's fields, read from what a browser posts, free of I/O.

Each field is checked on its own, so that the page can show every mistake at once, next to
its field, in the respondent's words; and what they typed is kept to show it again.
Percentages may be written with a comma (``99,5``), as much of Europe writes them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

SCORE_FIELDS = ("kept_informed", "disruption")
FIELDS = (*SCORE_FIELDS, "adequate_percent", "desired_percent", "perceived_minutes", "comment")
SCALE = range(1, 8)
COMMENT_MAX = 2000
PERCEIVED_MAX_MINUTES = 60 * 24 * 90
"""A quarter of a year: longer than any outage a respondent could have lived through."""


@dataclass(frozen=True, slots=True)
class Answer:
    """A valid answer."""

    kept_informed: int
    disruption: int
    adequate_percent: float
    desired_percent: float
    perceived_minutes: int | None
    comment: str


@dataclass(frozen=True, slots=True)
class Reading:
    """What was posted: the answer if it is valid, else the mistakes by field; ``values``
    are the fields as typed (trimmed, cut to a sane length), to fill the form again."""

    answer: Answer | None
    errors: dict[str, str]
    values: dict[str, str]


def values_of(answer: Answer) -> dict[str, str]:
    """A stored answer as the form's fields show it."""
    perceived = answer.perceived_minutes
    return {
        "kept_informed": str(answer.kept_informed),
        "disruption": str(answer.disruption),
        "adequate_percent": f"{answer.adequate_percent:g}",
        "desired_percent": f"{answer.desired_percent:g}",
        "perceived_minutes": "" if perceived is None else str(perceived),
        "comment": answer.comment,
    }


def _score(text: str, what: str) -> tuple[int | None, str | None]:
    if not text:
        return None, f"Choose how {what}, from 1 to 7."
    if text not in {str(n) for n in SCALE}:
        return None, f"Choose how {what} with one of the numbers 1 to 7."
    return int(text), None


def _percent(text: str, what: str) -> tuple[float | None, str | None]:
    if not text:
        return None, f"Give the availability you {what}, as a percentage such as 99.5."
    try:
        value = float(text.removesuffix("%").strip().replace(",", "."))
    except ValueError:
        return None, f"Write the availability you {what} as a number such as 99.5."
    if not math.isfinite(value) or not 0 <= value <= 100:
        return None, f"The availability you {what}: a percentage from 0 to 100."
    return value, None


def _minutes(text: str) -> tuple[int | None, str | None]:
    if not text:
        return None, None
    if not text.isdigit() or not text.isascii():
        return None, "Write how long it felt down in whole minutes, such as 90."
    value = int(text)
    if value > PERCEIVED_MAX_MINUTES:
        return None, f"At most {PERCEIVED_MAX_MINUTES} minutes (90 days)."
    return value, None


def read_form(form: Mapping[str, str]) -> Reading:
    """The answer in ``form`` (field names as in :data:`FIELDS`; others are ignored)."""
    # NUL is no character anyone types, and PostgreSQL's text refuses it.
    values = {
        name: str(form.get(name, "")).replace("\x00", "").strip()[: COMMENT_MAX + 1]
        for name in FIELDS
    }
    errors: dict[str, str] = {}
    kept_informed, error = _score(values["kept_informed"], "well you were kept informed")
    if error:
        errors["kept_informed"] = error
    disruption, error = _score(values["disruption"], "much the outage disrupted your work")
    if error:
        errors["disruption"] = error
    adequate, error = _percent(values["adequate_percent"], "consider adequate")
    if error:
        errors["adequate_percent"] = error
    desired, error = _percent(values["desired_percent"], "desire")
    if error:
        errors["desired_percent"] = error
    if adequate is not None and desired is not None and desired < adequate:
        errors["desired_percent"] = (
            f"The availability you desire ({desired:g} %) cannot be below the one you "
            f"consider adequate ({adequate:g} %)."
        )
    perceived, error = _minutes(values["perceived_minutes"])
    if error:
        errors["perceived_minutes"] = error
    comment = values["comment"]
    if len(comment) > COMMENT_MAX:
        errors["comment"] = f"At most {COMMENT_MAX} characters; shorten your comment."
        values["comment"] = comment[:COMMENT_MAX]
    if errors:
        return Reading(answer=None, errors=errors, values=values)
    # No error means every required field was read.
    assert kept_informed is not None
    assert disruption is not None
    assert adequate is not None
    assert desired is not None
    answer = Answer(
        kept_informed=kept_informed,
        disruption=disruption,
        adequate_percent=adequate,
        desired_percent=desired,
        perceived_minutes=perceived,
        comment=comment,
    )
    return Reading(answer=answer, errors={}, values=values)
