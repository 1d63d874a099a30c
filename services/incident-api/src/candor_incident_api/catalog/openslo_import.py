"""Reading OpenSLO v1 YAML into an availability objective (the mapping is in :mod:`.openslo`).

Every field Candor cannot honour is named with the reason, all in one answer, so that a
document can be fixed in one go; what Candor reads but does not keep (a metric source it
does not query, alert policies) comes back as notes.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from candor_incident_api.catalog.openslo import (
    API_VERSION,
    DURATION,
    METRIC_SOURCE,
    SLICE,
    percent_of,
)
from candor_shared.contract import AgreementTerms, AvailabilityObjective

_UNITS = {
    "m": "minute",
    "h": "hour",
    "d": "day",
    "w": "week",
    "M": "month",
    "Q": "quarter",
    "Y": "year",
}
_MINUTES = {"m": 1, "h": 60, "d": 1440, "w": 7 * 1440}


@dataclass(frozen=True)
class Refusal:
    """One reason a document cannot be imported: the field, and why."""

    where: str
    why: str

    def __str__(self) -> str:
        return f"{self.where}: {self.why}" if self.where else self.why


class OpenSloRefused(ValueError):
    """The document asks for something Candor does not measure, or is not an OpenSLO SLO."""

    def __init__(self, reasons: list[Refusal]) -> None:
        super().__init__("; ".join(map(str, reasons)))
        self.reasons = reasons


@dataclass(frozen=True)
class ImportedObjective:
    """What an SLO document sets: the availability objective and, for a calendar window, the
    timezone its months begin in; ``notes`` name what of the document Candor did not keep."""

    slo: str
    adequate_percent: float
    desired_percent: float | None
    window: Literal["calendar_month", "rolling"]
    rolling_days: int | None
    timezone: str | None
    notes: list[str] = field(default_factory=list)

    def applied_to(self, terms: AgreementTerms | None) -> AgreementTerms:
        """``terms`` with this availability objective (and timezone, when one came): the
        other terms stay. A calendar window keeps the rolling days already set, unused."""
        current = terms or AgreementTerms()
        previous = current.availability
        days = self.rolling_days
        if days is None:
            days = previous.rolling_days if previous is not None else 30
        availability = AvailabilityObjective(
            adequate_percent=self.adequate_percent,
            desired_percent=self.desired_percent,
            window=self.window,
            rolling_days=days,
        )
        changes: dict[str, Any] = {"availability": availability}
        if self.timezone is not None:
            changes["timezone"] = self.timezone
        return current.model_copy(update=changes)


def _show(value: object) -> str:
    """A value for a message, never long (YAML aliases can make huge structures cheaply)."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def read_documents(text: str) -> list[Any]:
    """The documents of a YAML stream (empty ones dropped); OpenSloRefused when it is not
    YAML."""
    try:
        return [document for document in yaml.safe_load_all(text) if document is not None]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        raise OpenSloRefused(
            [Refusal("YAML", f"not valid YAML at {where}: {error.problem or error}")]
        ) from None
    except yaml.YAMLError as error:
        raise OpenSloRefused([Refusal("YAML", f"not valid YAML: {error}")]) from None
    except RecursionError:
        raise OpenSloRefused([Refusal("YAML", "nested too deeply to be an SLO")]) from None
    except ValueError as error:  # e.g. an integer of more digits than Python converts
        raise OpenSloRefused([Refusal("YAML", f"a value cannot be read: {error}")]) from None


class _Reader:
    """Collects every reason to refuse one SLO, so that one answer names them all."""

    def __init__(self) -> None:
        self.reasons: list[Refusal] = []
        self.notes: list[str] = []

    def refuse(self, where: str, why: str) -> None:
        self.reasons.append(Refusal(where, why))

    def note(self, where: str, what: str) -> None:
        self.notes.append(f"{where}: {what}")

    def mapping(self, value: object, where: str, *, required: bool = True) -> dict[Any, Any]:
        if isinstance(value, dict):
            return value
        if value is not None:
            self.refuse(where, f"a mapping, not {_show(value)}")
        elif required:
            self.refuse(where, "required")
        return {}


def _select(documents: list[Any], service: str) -> tuple[dict[Any, Any], list[Any]]:
    """The one SLO document of the stream meant for ``service``, and the stream."""
    if not documents:
        raise OpenSloRefused([Refusal("", "the YAML holds no document; send one kind: SLO")])
    for index, document in enumerate(documents, start=1):
        if not isinstance(document, dict):
            raise OpenSloRefused(
                [
                    Refusal(
                        f"document {index}",
                        "a mapping with apiVersion, kind, metadata and spec, not "
                        + _show(document),
                    )
                ]
            )
    slos = [document for document in documents if document.get("kind") == "SLO"]
    if not slos:
        kinds = sorted({_show(document.get("kind")) for document in documents})
        raise OpenSloRefused(
            [Refusal("kind", f"no document of kind SLO (found {', '.join(kinds)})")]
        )
    if len(slos) == 1:
        return slos[0], documents

    def service_of(slo: dict[Any, Any]) -> object:
        spec = slo.get("spec")
        return spec.get("service") if isinstance(spec, dict) else None

    mine = [slo for slo in slos if service_of(slo) == service]
    if len(mine) == 1:
        return mine[0], documents
    if not mine:
        named = ", ".join(sorted({_show(service_of(slo)) for slo in slos}))
        raise OpenSloRefused(
            [
                Refusal(
                    "spec.service",
                    f"{len(slos)} SLOs, none for service {service!r} (they are for {named}); "
                    "Candor keeps one availability objective per service: send that one",
                )
            ]
        )
    raise OpenSloRefused(
        [
            Refusal(
                "spec.service",
                f"{len(mine)} SLOs for service {service!r}; Candor keeps one availability "
                "objective per service: send one",
            )
        ]
    )


def _indicator(reader: _Reader, spec: dict[Any, Any], documents: list[Any]) -> None:
    """Refuse an indicator Candor cannot stand in for; note a metric source it will not read."""
    inline, ref = spec.get("indicator"), spec.get("indicatorRef")
    if inline is not None and ref is not None:
        reader.refuse("spec.indicatorRef", "give spec.indicator or spec.indicatorRef, not both")
        return
    if inline is None and ref is None:
        reader.refuse("spec.indicator", "required (or spec.indicatorRef naming an SLI)")
        return
    if ref is not None:
        if not isinstance(ref, str):
            reader.refuse("spec.indicatorRef", f"the name of an SLI, not {_show(ref)}")
            return
        found = [
            document
            for document in documents
            if document.get("kind") == "SLI"
            and isinstance(document.get("metadata"), dict)
            and document["metadata"].get("name") == ref
        ]
        if not found:
            reader.refuse(
                "spec.indicatorRef",
                f"{ref!r} names no SLI in this YAML: add the SLI document (kind: SLI) to it, so "
                "that Candor can tell whether it measures availability",
            )
            return
        name, where = f"SLI {ref!r}", f"SLI {ref!r} spec"
        sli = found[0].get("spec")
    else:
        name, where = "spec.indicator", "spec.indicator.spec"
        if not isinstance(inline, dict):
            reader.mapping(inline, name)
            return
        sli = inline.get("spec")
    if not isinstance(sli, dict):
        reader.mapping(sli, where)
        return
    if "thresholdMetric" in sli:
        reader.refuse(
            f"{where}.thresholdMetric",
            "compares a measured value (such as a latency) with the objectives' op and value; "
            "Candor measures no values, only whether the service was available (from "
            "monitoring alerts and declared incidents)",
        )
        return
    ratio = sli.get("ratioMetric")
    if not isinstance(ratio, dict):
        reader.refuse(where, "a ratioMetric (good and total, or raw), as OpenSLO's SLI says")
        return
    sources = {
        _show(side["metricSource"].get("type"))
        for side in ratio.values()
        if isinstance(side, dict) and isinstance(side.get("metricSource"), dict)
    }
    if sources != {repr(METRIC_SOURCE)}:
        named = ", ".join(sorted(sources)) or "none"
        reader.note(
            name,
            f"its metric source ({named}) is not queried: Candor judges availability from its "
            "own monitoring alerts and declared incidents",
        )


def _budgeting(reader: _Reader, method: object) -> None:
    if method == "RatioTimeslices":
        return
    if method == "Timeslices":
        reader.note(
            "spec.budgetingMethod",
            "Timeslices counts each slice wholly good or bad by its timeSliceTarget; Candor "
            "counts the share of each slice the service was available, to the second "
            "(RatioTimeslices): timeSliceTarget and timeSliceWindow are not kept",
        )
        return
    if method == "Occurrences":
        reader.refuse(
            "spec.budgetingMethod",
            "Occurrences counts good events against all events (such as requests); Candor "
            "counts time, not events: use Timeslices or RatioTimeslices",
        )
        return
    reader.refuse(
        "spec.budgetingMethod",
        f"one of Occurrences, Timeslices, RatioTimeslices (Candor takes the last two), "
        f"not {_show(method)}",
    )


def _start_time(value: object) -> datetime | None:
    """``calendar.startTime`` as a naive wall-clock time (YAML may have read it as one)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _window(
    reader: _Reader, windows: object
) -> tuple[Literal["calendar_month", "rolling"], int | None, str | None] | None:
    """The window, its rolling days and the calendar's timezone; None when refused."""
    if not isinstance(windows, list) or len(windows) != 1:
        reader.refuse(
            "spec.timeWindow",
            "a list of exactly one window (calendar month: duration 1M with a calendar; or "
            f"rolling days: duration Nd, isRolling true), not {_show(windows)}",
        )
        return None
    where = "spec.timeWindow[0]"
    if not isinstance(windows[0], dict):
        reader.mapping(windows[0], where)
        return None
    window = windows[0]
    duration = window.get("duration")
    match = DURATION.match(duration) if isinstance(duration, str) else None
    if match is None:
        reader.refuse(
            f"{where}.duration",
            f"a duration such as 1M, 28d or 4w (a whole number and one of m h d w M Q Y), "
            f"not {_show(duration)}",
        )
        return None
    count, unit = int(match.group(1)), match.group(2)
    words = f"{count} {_UNITS[unit]}{'s' if count > 1 else ''}"
    rolling, calendar = window.get("isRolling"), window.get("calendar")
    if rolling is not None and not isinstance(rolling, bool):
        reader.refuse(f"{where}.isRolling", f"true or false, not {_show(rolling)}")
        return None
    if calendar is None:
        if rolling is not True:
            reader.refuse(
                where, "isRolling: true for a rolling window, or a calendar for calendar months"
            )
            return None
        if unit in "MQY":
            reader.refuse(
                f"{where}.duration",
                f"a rolling {words} has no fixed number of days; give days (such as 30d) or weeks",
            )
            return None
        minutes = count * _MINUTES[unit]
        days, rest = divmod(minutes, 1440)
        if rest or not 1 <= days <= 366:
            reader.refuse(
                f"{where}.duration",
                f"{duration} ({words}) is not a whole number of days from 1 to 366, which is "
                "what Candor's rolling windows are",
            )
            return None
        return "rolling", days, None
    if rolling is True:
        reader.refuse(
            f"{where}.calendar", "a rolling window has no calendar: isRolling false, or no calendar"
        )
        return None
    if duration != "1M":
        hint = " (m is minutes; M is months: write 1M)" if unit == "m" else ""
        reader.refuse(
            f"{where}.duration",
            f"{duration} is {words}{hint}; Candor's calendar windows are single calendar months "
            "(1M) in the agreement's timezone: use 1M, or a rolling window of days",
        )
    calendar = reader.mapping(calendar, f"{where}.calendar")
    zone = calendar.get("timeZone")
    timezone: str | None = None
    if not isinstance(zone, str):
        reader.refuse(
            f"{where}.calendar.timeZone", "an IANA timezone name, such as America/New_York"
        )
    else:
        try:
            zoneinfo.ZoneInfo(zone)
            timezone = zone
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            # OSError: a name the tz database cannot look up at all, such as the folder Europe.
            reader.refuse(
                f"{where}.calendar.timeZone",
                f"{_show(zone)} is not an IANA timezone name such as America/New_York",
            )
    start = _start_time(calendar.get("startTime"))
    if start is None:
        reader.refuse(
            f"{where}.calendar.startTime",
            "a local date and time such as 2024-01-01 00:00:00, not "
            f"{_show(calendar.get('startTime'))}",
        )
    elif start.tzinfo is not None:
        reader.refuse(
            f"{where}.calendar.startTime",
            "a wall-clock time without an offset; calendar.timeZone says where",
        )
    elif (start.day, start.time()) != (1, datetime.min.time()):
        reader.refuse(
            f"{where}.calendar.startTime",
            f"{start:%Y-%m-%d %H:%M:%S} is not midnight on the 1st of a month, where Candor's "
            f"calendar months begin (such as {start:%Y-%m}-01 00:00:00)",
        )
    if duration != "1M" or timezone is None or start is None:
        return None
    return "calendar_month", None, timezone


def _objectives(
    reader: _Reader, objectives: object, method: object
) -> tuple[float, float | None] | None:
    """The adequate and desired percentages; None when refused."""
    if not isinstance(objectives, list) or not 1 <= len(objectives) <= 2:
        reader.refuse(
            "spec.objectives",
            "one or two objectives (Candor's adequate and desired levels), not "
            + (f"{len(objectives)}" if isinstance(objectives, list) else _show(objectives)),
        )
        return None
    percents: list[float] = []
    for index, item in enumerate(objectives):
        where = f"spec.objectives[{index}]"
        if not isinstance(item, dict):
            reader.mapping(item, where)
            continue
        objective = item
        if "value" in objective:
            reader.refuse(
                f"{where}.value",
                f"{_show(objective['value'])} is a threshold for a measured value (op "
                f"{_show(objective.get('op'))}); Candor measures no values, only availability",
            )
        elif "op" in objective:
            reader.note(f"{where}.op", "not kept: it compares threshold metrics, not ratios")
        window = objective.get("timeSliceWindow")
        if method == "RatioTimeslices" and window is not None and window not in (SLICE, 1):
            reader.note(
                f"{where}.timeSliceWindow",
                f"{_show(window)} not kept: the average over slices of any length is the same "
                "figure, which Candor counts to the second",
            )
        target, percent = objective.get("target"), objective.get("targetPercent")
        if target is not None and percent is not None:
            reader.refuse(where, "target or targetPercent, not both")
        elif target is not None:
            # NaN and infinities fail the range too; huge integers compare without overflowing.
            if not _is_number(target) or not 0 < target < 1:
                reader.refuse(
                    f"{where}.target",
                    f"a number above 0 and below 1 (0.995 is 99.5 %), not {_show(target)}",
                )
            else:
                percents.append(percent_of(target))
        elif percent is not None:
            if not _is_number(percent) or not 0 < percent < 100:
                reader.refuse(
                    f"{where}.targetPercent",
                    f"a number above 0 and below 100, not {_show(percent)}",
                )
            else:
                percents.append(float(percent))
        else:
            reader.refuse(where, "target (such as 0.995) or targetPercent (such as 99.5)")
    if len(percents) != len(objectives):
        return None
    percents.sort()
    return percents[0], percents[1] if len(percents) == 2 else None


def import_objective(text: str, *, service: str) -> ImportedObjective:
    """The availability objective the OpenSLO YAML ``text`` sets for ``service``.

    The stream may hold other documents (an SLI named by ``indicatorRef``, a Service); of
    several SLOs, the one whose ``spec.service`` is ``service`` is taken. OpenSloRefused
    names every field Candor cannot honour, and why.
    """
    documents = read_documents(text)
    slo, documents = _select(documents, service)
    reader = _Reader()
    if slo.get("apiVersion") != API_VERSION:
        reader.refuse(
            "apiVersion", f"Candor reads {API_VERSION}, not {_show(slo.get('apiVersion'))}"
        )
    metadata = reader.mapping(slo.get("metadata"), "metadata")
    name = metadata.get("name")
    if isinstance(slo.get("metadata"), dict) and not isinstance(name, str):
        reader.refuse("metadata.name", f"the SLO's name, not {_show(name)}")
    spec = reader.mapping(slo.get("spec"), "spec")
    window: tuple[Literal["calendar_month", "rolling"], int | None, str | None] | None = None
    levels: tuple[float, float | None] | None = None
    if spec:
        _indicator(reader, spec, documents)
        method = spec.get("budgetingMethod")
        _budgeting(reader, method)
        window = _window(reader, spec.get("timeWindow"))
        levels = _objectives(reader, spec.get("objectives"), method)
        if spec.get("service") not in (None, service):
            reader.note("spec.service", f"{_show(spec['service'])}: imported into {service!r}")
        if spec.get("alertPolicies"):
            reader.note(
                "spec.alertPolicies",
                "not kept: Candor alerts on the objective's error budget by itself",
            )
    if reader.reasons or not spec:
        label = f"SLO {name!r}: " if isinstance(name, str) else ""
        reasons = reader.reasons or [Refusal("spec", "required")]
        raise OpenSloRefused([Refusal(label + r.where, r.why) for r in reasons])
    assert window is not None
    assert levels is not None
    assert isinstance(name, str)
    kind, days, timezone = window
    adequate, desired = levels
    try:  # the contract's own rules, should a future one be stricter than the checks above
        AvailabilityObjective(adequate_percent=adequate, desired_percent=desired)
    except ValidationError as error:
        first = error.errors()[0]
        raise OpenSloRefused(
            [Refusal(f"SLO {name!r}: spec.objectives", str(first["msg"]))]
        ) from None
    return ImportedObjective(
        slo=name,
        adequate_percent=adequate,
        desired_percent=desired,
        window=kind,
        rolling_days=days,
        timezone=timezone,
        notes=reader.notes,
    )
