"""A service's availability objective as an OpenSLO v1 ``kind: SLO`` document, both ways.

Candor measures one thing against an objective: the share of a period in which the service
was available, from its own record of outages (monitoring alerts and declared incidents,
each outage counting the ``downtime_fraction`` of its impact), to the second. In OpenSLO
terms that is a time-sliced budget over an availability ratio, and the mapping is:

- **budgetingMethod** ``RatioTimeslices``: the average, over the period's slices, of the
  share of each slice the service counted as available. Averaged over equal slices this is
  exactly Candor's figure, whatever the slice length (Candor writes ``timeSliceWindow: 1m``),
  and a degraded service counting a quarter of its time is a slice three quarters good,
  which ``Timeslices`` (each slice wholly good or bad) cannot say. ``Timeslices`` imports
  too (its budget is time as well; Candor keeps the target, not the slices' pass mark);
  ``Occurrences`` is refused: it counts events such as requests, and Candor counts time.
- **indicator**: a ``ratioMetric`` of available time to time, whose metric source is
  ``type: Candor``. Candor runs no query: an imported ratio indicator stands for "was the
  service available", judged from Candor's own outages, and the answer says so. A
  ``thresholdMetric`` (a measured value, such as a latency, against ``op``/``value``) is
  refused: Candor measures no values.
- **objectives**: ``adequate`` (the negotiated minimum) and, when set, ``desired`` (what users
  would like), each ``target = percent / 100``; ``targetPercent`` carries a percentage whose
  ``target`` would not give the same number back. On import, one or two objectives: the
  lower is adequate, the higher desired. OpenSLO targets are below 1, so a 100 % objective
  has no OpenSLO form.
- **timeWindow**: a calendar month in the agreement's timezone is
  ``{duration: 1M, isRolling: false, calendar: {startTime: <midnight on a 1st>, timeZone}}``
  (importing one sets the agreement's timezone); the last N days is
  ``{duration: Nd, isRolling: true}`` (weeks, and hours or minutes making whole days, are
  read as days). Other calendar windows (weeks, quarters, years, months that begin at
  another hour) and rolling months are refused: Candor has no such period.

Everything else of the agreement (response terms, business hours, maintenance notice,
downtime fractions) has no place in an SLO and is left as it is. What Candor exports
imports back to the same objective, and exports again to the same document.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict

from candor_shared.contract import AgreementTerms

API_VERSION = "openslo/v1"
METRIC_SOURCE = "Candor"
"""The ``metricSource.type`` of the indicator Candor writes: measured by Candor itself."""
SLICE = "1m"
CALENDAR_START = "2020-01-01 00:00:00"
"""Any local midnight on a 1st starts the same calendar months; Candor writes this one."""
YAML_MEDIA_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")

DURATION = re.compile(r"^([1-9][0-9]{0,5})([mhdwMQY])$")
"""OpenSLO's duration shorthand: a whole number and a unit (minutes to years)."""

_NUMBER: dict[str, Any] = {"type": "number"}
SLO_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An OpenSLO v1 SLO, as the specification has it (Candor refuses what it "
    "does not measure, with the reason).",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": API_VERSION},
        "kind": {"const": "SLO"},
        "metadata": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string"}, "displayName": {"type": "string"}},
        },
        "spec": {
            "type": "object",
            "required": ["budgetingMethod", "objectives"],
            "properties": {
                "description": {"type": "string"},
                "service": {"type": "string"},
                "indicator": {"type": "object"},
                "indicatorRef": {"type": "string"},
                "timeWindow": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "duration": {"type": "string", "pattern": DURATION.pattern},
                            "isRolling": {"type": "boolean"},
                            "calendar": {
                                "type": "object",
                                "properties": {
                                    "startTime": {"type": "string"},
                                    "timeZone": {"type": "string"},
                                },
                            },
                        },
                    },
                },
                "budgetingMethod": {"enum": ["Occurrences", "Timeslices", "RatioTimeslices"]},
                "objectives": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "displayName": {"type": "string"},
                            "op": {"enum": ["lte", "gte", "lt", "gt"]},
                            "value": _NUMBER,
                            "target": _NUMBER,
                            "targetPercent": _NUMBER,
                            "timeSliceTarget": _NUMBER,
                            "timeSliceWindow": {"type": ["string", "number"]},
                        },
                    },
                },
                "alertPolicies": {"type": ["array", "null"]},
            },
        },
    },
}
"""What ``PUT .../agreement/openslo`` reads, for its OpenAPI document."""

_ADEQUATE = "Adequate (the negotiated minimum)"
_DESIRED = "Desired (what users would like)"


# ---- what Candor writes ------------------------------------------------------------------
# Field names are OpenSLO's own (camelCase), so that the models are the document.


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class OpenSloMetadata(_Part):
    """An object's name (RFC 1123 label) and the name people read."""

    name: str
    displayName: str


class OpenSloMetricSource(_Part):
    """Where a metric comes from: ``Candor``, its record of outages."""

    type: str
    spec: dict[str, str]


class OpenSloMetric(_Part):
    """One side of a ratio."""

    metricSource: OpenSloMetricSource


class OpenSloRatioMetric(_Part):
    """Good over total: available time over time."""

    counter: bool
    good: OpenSloMetric
    total: OpenSloMetric


class OpenSloIndicatorSpec(_Part):
    """The SLI: a ratio."""

    ratioMetric: OpenSloRatioMetric


class OpenSloIndicator(_Part):
    """The SLI, inline."""

    metadata: OpenSloMetadata
    spec: OpenSloIndicatorSpec


class OpenSloCalendar(_Part):
    """Where calendar periods begin: a local wall-clock time, and the timezone."""

    startTime: str
    timeZone: str


class OpenSloTimeWindow(_Part):
    """The period of the objective: rolling, or aligned to the calendar."""

    duration: str
    isRolling: bool
    calendar: OpenSloCalendar | None = None


class OpenSloObjective(_Part):
    """One level of the objective; ``target`` (0 to 1) or ``targetPercent``, not both."""

    displayName: str
    target: float | None = None
    targetPercent: float | None = None
    timeSliceWindow: str


class OpenSloSpec(_Part):
    """The SLO itself."""

    description: str
    service: str
    indicator: OpenSloIndicator
    timeWindow: list[OpenSloTimeWindow]
    budgetingMethod: Literal["RatioTimeslices"]
    objectives: list[OpenSloObjective]


class OpenSloDocument(_Part):
    """A service's availability objective as an OpenSLO v1 SLO, as Candor writes it."""

    apiVersion: Literal["openslo/v1"]
    kind: Literal["SLO"]
    metadata: OpenSloMetadata
    spec: OpenSloSpec


class ExportError(ValueError):
    """The objective has no OpenSLO form; the message says why."""


def percent_of(target: float) -> float:
    """``target * 100`` in decimal, so that 0.995 gives 99.5 and not 99.49999999999999."""
    return float(Decimal(repr(target)) * 100)


def _target_fields(percent: float) -> dict[str, float]:
    """``target`` when it reads back as ``percent`` exactly, else ``targetPercent``."""
    target = float(Decimal(repr(percent)) / 100)
    if 0 < target < 1 and percent_of(target) == percent:
        return {"target": target}
    return {"targetPercent": percent}


def export_document(*, service: str, service_name: str, terms: AgreementTerms) -> OpenSloDocument:
    """The availability objective of ``terms`` as an SLO of ``service``; ExportError when
    there is none, or when a level is 100 % (OpenSLO targets are below 1)."""
    availability = terms.availability
    if availability is None:
        raise ExportError(f"service {service!r} has no availability objective")
    levels = [(_ADEQUATE, availability.adequate_percent)]
    if availability.desired_percent is not None:
        levels.append((_DESIRED, availability.desired_percent))
    for label, percent in levels:
        if percent >= 100:
            raise ExportError(
                f"{label.split()[0].lower()}_percent is {percent:g}: OpenSLO targets are "
                "below 100 % (an objective of 100 % allows no downtime at all), so it has no "
                "OpenSLO form; lower it to export"
            )
    if availability.window == "calendar_month":
        window = OpenSloTimeWindow(
            duration="1M",
            isRolling=False,
            calendar=OpenSloCalendar(startTime=CALENDAR_START, timeZone=terms.timezone),
        )
    else:
        window = OpenSloTimeWindow(duration=f"{availability.rolling_days}d", isRolling=True)
    source = {"service": service}
    return OpenSloDocument(
        apiVersion=API_VERSION,
        kind="SLO",
        metadata=OpenSloMetadata(name=service, displayName=f"Availability of {service_name}"),
        spec=OpenSloSpec(
            description=(
                "Availability agreed with users, measured by Candor from monitoring alerts "
                "and declared incidents. Adequate is the negotiated minimum, desired what "
                "users would like, and between them lies the zone of tolerance."
            ),
            service=service,
            indicator=OpenSloIndicator(
                metadata=OpenSloMetadata(
                    name="availability", displayName="Time the service was up"
                ),
                spec=OpenSloIndicatorSpec(
                    ratioMetric=OpenSloRatioMetric(
                        counter=False,
                        good=OpenSloMetric(
                            metricSource=OpenSloMetricSource(
                                type=METRIC_SOURCE, spec={**source, "measure": "available time"}
                            )
                        ),
                        total=OpenSloMetric(
                            metricSource=OpenSloMetricSource(
                                type=METRIC_SOURCE, spec={**source, "measure": "time"}
                            )
                        ),
                    )
                ),
            ),
            timeWindow=[window],
            budgetingMethod="RatioTimeslices",
            objectives=[
                OpenSloObjective(
                    displayName=label, timeSliceWindow=SLICE, **_target_fields(percent)
                )
                for label, percent in levels
            ],
        ),
    )


def dump(document: OpenSloDocument, *, notes: list[str] | None = None) -> str:
    """``document`` as YAML in OpenSLO's key order, ``notes`` first as comments."""
    text = yaml.safe_dump(
        document.model_dump(mode="json", exclude_none=True),
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    header = "".join(f"# {line}\n" for note in notes or [] for line in note.splitlines())
    return header + text
