"""What ``GET /v1/services/{slug}/facts`` answers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from candor_shared.contract import GroupRef
from candor_sla_monitor.ledger.facts import AgreementFacts, ServiceFacts, WindowFacts

_EXAMPLE_WINDOW: JsonDict = {
    "days": 7,
    "from": "2026-03-02T00:00:00Z",
    "to": "2026-03-09T00:00:00Z",
    "uptime_percent": 99.30556,
    "measured_downtime_seconds": 4200.0,
    "outages": 2,
    "outage_seconds": 4200.0,
    "mean_time_to_acknowledge_seconds": None,
    "mean_time_to_restore_seconds": 2100.0,
    "longest_outage": {
        "incident_id": "0195f0c2-aaaa-7000-8000-000000000001",
        "impact": "major",
        "started_at": "2026-03-02T08:00:00Z",
        "ended_at": "2026-03-02T08:50:00Z",
        "duration_seconds": 3000.0,
    },
}


class LongestOutageOut(BaseModel):
    """The longest declared outage of a window, over its whole length."""

    incident_id: str
    impact: str
    started_at: datetime
    ended_at: datetime | None = Field(description="Null while the incident is open.")
    duration_seconds: float = Field(description="Until now if it is still open.")


class WindowFactsOut(BaseModel):
    """Facts over ``[from, to)``, the last ``days`` days up to now."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE_WINDOW]})

    days: Literal[7, 30, 90, 365]
    window_start: datetime = Field(serialization_alias="from")
    window_end: datetime = Field(serialization_alias="to", description="Now.")
    uptime_percent: float = Field(
        description="Measured: 100 * (1 - time covered by firing alerts / window length)."
    )
    measured_downtime_seconds: float = Field(
        description="Time covered by firing alerts in the window; overlaps counted once."
    )
    outages: int = Field(
        description="Declared outages (incidents with some impact) overlapping the window."
    )
    outage_seconds: float = Field(
        description="Time covered by those outages inside the window; overlaps counted once."
    )
    mean_time_to_acknowledge_seconds: float | None = Field(
        description="Mean from opening to acknowledgement of the acknowledged outages; null "
        "when none was acknowledged."
    )
    mean_time_to_restore_seconds: float | None = Field(
        description="Mean length of the resolved outages; null when none was resolved."
    )
    longest_outage: LongestOutageOut | None

    @classmethod
    def of(cls, facts: WindowFacts) -> WindowFactsOut:
        """The answer for one window."""
        longest = None
        if facts.longest is not None and facts.longest_duration is not None:
            longest = LongestOutageOut(
                incident_id=facts.longest.incident_id,
                impact=facts.longest.impact,
                started_at=facts.longest.started_at,
                ended_at=facts.longest.ended_at,
                duration_seconds=facts.longest_duration.total_seconds(),
            )
        mtta, mttr = facts.mean_time_to_acknowledge, facts.mean_time_to_restore
        return cls(
            days=facts.days,
            window_start=facts.window.start,
            window_end=facts.window.end,
            uptime_percent=facts.uptime_percent,
            measured_downtime_seconds=facts.measured_downtime.total_seconds(),
            outages=facts.outages,
            outage_seconds=facts.outage_duration.total_seconds(),
            mean_time_to_acknowledge_seconds=None if mtta is None else mtta.total_seconds(),
            mean_time_to_restore_seconds=None if mttr is None else mttr.total_seconds(),
            longest_outage=longest,
        )


Zone = Literal["below", "within", "above"]


class MaintenanceOut(BaseModel):
    """A maintenance window of the period, and how it counted."""

    id: str
    start: datetime = Field(description="Its real start (the planned one until it started).")
    end: datetime = Field(description="Its real end (the planned one until it completed).")
    late: bool = Field(
        description="Announced less than the agreed maintenance_notice ahead: its time "
        "counts as downtime instead of being excluded."
    )
    seconds: float = Field(description="Its time inside the period observed so far.")


class AgreementFactsOut(BaseModel):
    """The agreement's current period so far, against its adequate and desired levels."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "window": "calendar_month",
                    "timezone": "Europe/Paris",
                    "period_start": "2026-02-28T23:00:00Z",
                    "period_end": "2026-03-31T22:00:00Z",
                    "observed_until": "2026-03-09T00:00:00Z",
                    "adequate_percent": 99.5,
                    "desired_percent": 99.9,
                    "availability_percent": 99.69775,
                    "zone": "within",
                    "measured_availability_percent": 99.39551,
                    "measured_zone": "below",
                    "maintenance_excluded_seconds": 7200.0,
                    "maintenance": [
                        {
                            "id": "0195f0c2-eeee-7000-8000-000000000005",
                            "start": "2026-03-07T02:00:00Z",
                            "end": "2026-03-07T04:00:00Z",
                            "late": False,
                            "seconds": 7200.0,
                        }
                    ],
                }
            ]
        }
    )

    window: Literal["calendar_month", "rolling"]
    timezone: str = Field(description="Where the calendar month begins and ends.")
    period_start: datetime
    period_end: datetime
    observed_until: datetime = Field(description="Availability is counted up to here (now).")
    adequate_percent: float
    desired_percent: float | None
    availability_percent: float = Field(
        description="Declared: outages weighted by the agreement's downtime_fraction of "
        "their impact (absent impacts count fully); where outages overlap, the heaviest "
        "counts, once. Maintenance announced in time is excluded from both the downtime "
        "and the period; maintenance announced late counts as downtime."
    )
    zone: Zone = Field(
        description="Of availability_percent: below adequate, within the zone of "
        "tolerance, or above (at least desired)."
    )
    measured_availability_percent: float = Field(
        description="From firing alerts, unweighted; maintenance counts as it does above."
    )
    measured_zone: Zone
    maintenance_excluded_seconds: float = Field(
        description="Maintenance announced in time, taken out of the period observed so far."
    )
    maintenance: list[MaintenanceOut] = Field(
        description="The period's maintenance so far (cancelled windows left out), in order."
    )

    @classmethod
    def of(cls, facts: AgreementFacts) -> AgreementFactsOut:
        """The answer for the agreement's current period."""
        objective = facts.terms.availability
        assert objective is not None
        return cls(
            window=objective.window,
            timezone=facts.terms.timezone,
            period_start=facts.period.start,
            period_end=facts.period.end,
            observed_until=facts.observed_until,
            adequate_percent=objective.adequate_percent,
            desired_percent=objective.desired_percent,
            availability_percent=facts.declared_percent,
            zone=facts.zone,
            measured_availability_percent=facts.measured_percent,
            measured_zone=facts.measured_zone,
            maintenance_excluded_seconds=facts.availability.excluded.total_seconds(),
            maintenance=[
                MaintenanceOut(
                    id=count.maintenance_id,
                    start=count.span.start,
                    end=count.span.end or facts.observed_until,
                    late=count.late,
                    seconds=count.inside.total_seconds(),
                )
                for count in facts.availability.maintenance
            ],
        )


class FactsOut(BaseModel):
    """A service's facts over 7, 30, 90 and 365 days, and its agreement's current period."""

    service: str = Field(description="The service's slug.", examples=["email"])
    group: GroupRef | None = Field(
        default=None,
        description="The group of users whose agreement `agreement` is; null: the service's own.",
    )
    generated_at: datetime
    windows: list[WindowFactsOut] = Field(description="7, 30, 90 and 365 days, in that order.")
    agreement: AgreementFactsOut | None = Field(
        description="Null when the service has no agreement with an availability objective, "
        "or when its stored terms no longer validate (see `agreement_invalid`)."
    )
    agreement_invalid: str | None = Field(
        default=None,
        description="Set when the stored terms no longer validate (for example a timezone the "
        "tz database does not know, stored before zones were checked): why, field by field. "
        "`agreement` is then null; the windows are unaffected.",
        examples=[None],
    )

    @classmethod
    def of(cls, facts: ServiceFacts) -> FactsOut:
        """The whole answer."""
        return cls(
            service=facts.service_slug,
            group=facts.group,
            generated_at=facts.now,
            windows=[WindowFactsOut.of(window) for window in facts.windows],
            agreement=None if facts.agreement is None else AgreementFactsOut.of(facts.agreement),
            agreement_invalid=facts.agreement_invalid,
        )
