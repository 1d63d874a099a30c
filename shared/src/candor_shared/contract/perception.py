"""The perception-gap report: a service's month as the facts tell it beside what its users
said, on the SLA topic (key = service id). sla-monitor makes it on request; incident-api
keeps the newest of each month and serves it to IT.

Facts are measured downtime (monitoring), declared downtime (incidents, weighted by
impact), availability against the agreement's zone, and how often the communication terms
(first communication, updates) were kept. Perception is what respondents of the feedback
form said: how long it felt down, how well they were kept informed, how much it disrupted
their work, and what availability they expect. Where the two disagree, the report flags
it: a ``communication_gap`` when the facts are good but users feel poorly served (IT did
its job and did not show it), ``perception_better_than_facts`` when the facts are poor but
users feel well served (goodwill not to be counted on).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from candor_shared.contract import topics
from candor_shared.contract.envelope import EventData
from candor_shared.contract.incidents import ServiceRef
from candor_shared.contract.sla import TermCompliance, Zone

Verdict = Literal["good", "mixed", "poor", "unknown"]
"""How one side reads: ``unknown`` when there is nothing to judge it by."""

GapFlag = Literal["communication_gap", "perception_better_than_facts"]

KEPT_INFORMED_POOR_UP_TO = 3.0
"""A mean "kept informed" answer at or below this reads as poor (the form's scale is 1-7)."""
KEPT_INFORMED_GOOD_FROM = 5.0
"""A mean "kept informed" answer at or above this reads as good."""


class PerceivedIncident(BaseModel):
    """One incident of the month: its facts and what its respondents said."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    started_at: datetime
    ended_at: datetime | None
    measured_downtime: timedelta = Field(description="Its alerts' time within the month.")
    declared_downtime: timedelta = Field(description="Its own time, weighted by its impact.")
    perceived_downtime: timedelta | None = Field(
        default=None, description="The median of its respondents' durations; None if none said."
    )
    respondents: int = Field(ge=0)
    kept_informed_mean: float | None = Field(default=None, ge=1, le=7)
    disruption_mean: float | None = Field(default=None, ge=1, le=7)


class PerceptionReport(BaseModel):
    """A service's month: measured, declared and perceived downtime, communication
    compliance and the "kept informed" score, and the gaps between facts and perception."""

    model_config = ConfigDict(
        frozen=True,
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "service": {
                        "id": "0195f0c2-0000-7000-8000-000000000001",
                        "slug": "email",
                        "name": "Email",
                    },
                    "period": "2026-03",
                    "timezone": "UTC",
                    "starts_at": "2026-03-01T00:00:00Z",
                    "ends_at": "2026-04-01T00:00:00Z",
                    "observed_until": "2026-04-01T00:00:00Z",
                    "final": True,
                    "generated_at": "2026-04-02T08:00:00Z",
                    "adequate_percent": 99.5,
                    "desired_percent": 99.9,
                    "availability_percent": 99.932796,
                    "zone": "above",
                    "measured_downtime": "PT30M",
                    "declared_downtime": "PT30M",
                    "perceived_downtime": "PT3H",
                    "measured_downtime_answered": "PT30M",
                    "perceived_exceeds_measured": True,
                    "answers": 3,
                    "kept_informed_mean": 2.333333,
                    "disruption_mean": 6.0,
                    "expected_adequate_percent": 99.0,
                    "expected_desired_percent": 99.9,
                    "communication": [],
                    "communication_share_met": None,
                    "facts": "good",
                    "perception": "poor",
                    "flags": ["communication_gap"],
                    "incidents": [
                        {
                            "id": "0195f0c2-aaaa-7000-8000-0000000000a1",
                            "started_at": "2026-03-10T10:00:00Z",
                            "ended_at": "2026-03-10T10:30:00Z",
                            "measured_downtime": "PT30M",
                            "declared_downtime": "PT30M",
                            "perceived_downtime": "PT3H",
                            "respondents": 3,
                            "kept_informed_mean": 2.333333,
                            "disruption_mean": 6.0,
                        }
                    ],
                }
            ]
        },
    )

    service: ServiceRef
    period: str = Field(description="The calendar month, YYYY-MM, in the agreement's timezone.")
    timezone: str
    starts_at: datetime
    ends_at: datetime
    observed_until: datetime = Field(description="Facts are counted up to here.")
    final: bool = Field(description="The month is over (answers may still come in).")
    generated_at: datetime
    adequate_percent: float | None = None
    desired_percent: float | None = None
    availability_percent: float = Field(description="Declared, of the observed part of the month.")
    zone: Zone | None = None
    measured_downtime: timedelta
    declared_downtime: timedelta
    perceived_downtime: timedelta | None = Field(
        default=None,
        description="The sum, over the month's incidents whose respondents said how long it "
        "felt, of the median they said; None when nobody said.",
    )
    measured_downtime_answered: timedelta = Field(
        default=timedelta(0),
        description="The measured downtime of those same incidents: what perceived compares to.",
    )
    perceived_exceeds_measured: bool = Field(
        default=False, description="Perceived downtime far above the measured (see README)."
    )
    answers: int = Field(ge=0, description="Feedback answers about the month's incidents.")
    kept_informed_mean: float | None = Field(default=None, ge=1, le=7)
    disruption_mean: float | None = Field(default=None, ge=1, le=7)
    expected_adequate_percent: float | None = Field(
        default=None, description="The median availability respondents call adequate."
    )
    expected_desired_percent: float | None = Field(
        default=None, description="The median availability respondents desire."
    )
    communication: list[TermCompliance] = Field(
        default_factory=list, description="The communication terms: first communication, update."
    )
    communication_share_met: float | None = Field(
        default=None,
        description="Incidents' communication terms met / decided, both terms together; None "
        "when none was decided.",
    )
    facts: Verdict
    perception: Verdict
    flags: list[GapFlag] = Field(default_factory=list)
    incidents: list[PerceivedIncident] = Field(default_factory=list)


class PerceptionReportRequested(EventData):
    """An operator asked for a service's perception-gap report of a month (incident-api
    publishes it, sla-monitor answers with :class:`PerceptionReportPublished`)."""

    event_type = "candor.sla.perception_requested.v1"
    topic = topics.SLA

    service: ServiceRef
    period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    requested_by: str


class PerceptionReportPublished(EventData):
    """A perception-gap report was made, as of ``report.generated_at``."""

    event_type = "candor.sla.perception_report.v1"
    topic = topics.SLA

    report: PerceptionReport
    requested_by: str | None = None
