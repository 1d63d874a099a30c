"""Events about the service catalog and subscribers, on the catalog topic (key = entity id).

Subscriber events carry the address the notifier needs and nothing more; erasure is an event
followed by a tombstone, so that a compacted topic forgets the address too.
"""

from __future__ import annotations

from datetime import time, timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from candor_shared.contract import topics
from candor_shared.contract.envelope import EventData

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_WORKING_DAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")


class BusinessHours(BaseModel):
    """The hours in which the agreement's clocks run (outside them, time does not count)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timezone: str = Field(default="UTC", examples=["Europe/Berlin"])
    days: list[Weekday] = Field(default_factory=lambda: list(_WORKING_DAYS))
    # Wall-clock times in ``timezone``, without an offset: JSON Schema's "time" format
    # demands one, so the schema names RFC 3339's "partial-time" instead.
    start: time = Field(
        default=time(8, 0), examples=["08:00"], json_schema_extra={"format": "partial-time"}
    )
    end: time = Field(
        default=time(18, 0), examples=["18:00"], json_schema_extra={"format": "partial-time"}
    )
    holidays: str | None = Field(
        default=None,
        examples=["FR", "DE-BY"],
        description="Public holidays that do not count: a country code, optionally with a "
        "subdivision, as the `holidays` package names them.",
    )


def _at_least_a_minute(value: timedelta) -> timedelta:
    if value < timedelta(minutes=1):
        raise ValueError("a duration of at least one minute (ISO 8601, e.g. PT30M)")
    return value


Duration = Annotated[
    timedelta,
    AfterValidator(_at_least_a_minute),
    Field(examples=["PT30M"], json_schema_extra={"format": "duration"}),
]
"""An ISO 8601 duration of at least a minute (``PT15M``, ``PT4H``, ``P1D``)."""

Severity = Literal["minor", "major", "critical"]


class AvailabilityObjective(BaseModel):
    """How available the service must be: the zone of tolerance between what users accept
    (adequate, the negotiated minimum) and what they would like (desired)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    adequate_percent: float = Field(gt=0, le=100, examples=[99.5])
    desired_percent: float | None = Field(default=None, gt=0, le=100, examples=[99.9])
    window: Literal["calendar_month", "rolling"] = Field(
        default="calendar_month",
        description="A calendar month in the agreement's timezone, or the last `rolling_days`.",
    )
    rolling_days: int = Field(default=30, ge=1, le=366)

    @model_validator(mode="after")
    def _ordered(self) -> AvailabilityObjective:
        if self.desired_percent is not None and self.desired_percent < self.adequate_percent:
            raise ValueError("desired_percent: at least adequate_percent")
        return self


class ResponseTerms(BaseModel):
    """What operators promise for incidents of one severity; absent terms are not promised."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    acknowledge_within: Duration | None = None
    first_communication_within: Duration | None = None
    update_every: Duration | None = Field(
        default=None, description="How often users must hear from IT while it lasts."
    )
    restore_within: Duration | None = None
    business_hours_only: bool = Field(
        default=False, description="These clocks run only in the agreement's business hours."
    )


class AgreementTerms(BaseModel):
    """The service levels negotiated with users for one service; absent terms are not promised.

    Durations are ISO 8601 (``PT30M``); response terms are per incident severity (impact).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    timezone: str = Field(
        default="UTC", examples=["Europe/Paris"], description="Where calendar months begin."
    )
    availability: AvailabilityObjective | None = None
    terms: dict[Severity, ResponseTerms] = Field(
        default_factory=dict,
        examples=[{"major": {"acknowledge_within": "PT15M", "update_every": "PT1H"}}],
    )
    business_hours: BusinessHours | None = Field(
        default=None, description="Absent: clocks run around the clock."
    )
    maintenance_notice: Duration | None = Field(
        default=None,
        description="How long ahead maintenance must be announced to be excluded from "
        "availability; announced later, it counts as downtime.",
    )
    downtime_fraction: dict[Severity, float] = Field(
        default_factory=dict,
        examples=[{"minor": 0.25}],
        description="How much of an incident's time counts as downtime, per impact "
        "(0 to 1); absent levels count fully.",
    )

    @field_validator("downtime_fraction")
    @classmethod
    def _fractions(cls, value: dict[Severity, float]) -> dict[Severity, float]:
        for level, fraction in value.items():
            if not 0 <= fraction <= 1:
                raise ValueError(f"{level}: a fraction between 0 and 1")
        return value


class ComponentRef(BaseModel):
    """A part of a service that can fail on its own ("Outgoing mail")."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    slug: str
    name: str


class DependencyRef(BaseModel):
    """This service needs another service (or one component of it) to work."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    service: str = Field(description="Slug of the service depended on.")
    component: str | None = Field(default=None, description="Slug of its component, if only one.")
    impact: Literal["minor", "major", "critical"] | None = Field(
        default=None, description="Impact it causes here; absent: the same as at the source."
    )


class ServiceUpserted(EventData):
    """A service was created or changed (the full state, not a difference)."""

    event_type = "candor.service.upserted.v1"
    topic = topics.CATALOG

    id: str
    slug: str
    name: str
    description: str = ""
    owners: list[str] = []
    impact_wording: dict[str, str] = {}
    notification_delay_seconds: int = 0
    flap_window_seconds: int = 0
    components: list[ComponentRef] = []
    depends_on: list[DependencyRef] = []
    agreement: AgreementTerms | None = None
    version: int = 1


class ServiceDeleted(EventData):
    """A service was removed from the catalog (it had no incident on record)."""

    event_type = "candor.service.deleted.v1"
    topic = topics.CATALOG

    id: str
    slug: str


class SubscriberUpserted(EventData):
    """A subscriber was created or changed; ``services`` is the full set of slugs."""

    event_type = "candor.subscriber.upserted.v1"
    topic = topics.CATALOG

    id: str
    email: str
    services: list[str]
    timezone: str = "UTC"
    language: str = "en"


class SubscriberErased(EventData):
    """A subscriber asked to be forgotten: every copy of their data must go."""

    event_type = "candor.subscriber.erased.v1"
    topic = topics.CATALOG

    id: str


class RoutingRulesChanged(EventData):
    """The routing rules of an integration (or the global ones, ``integration_id`` None)
    were replaced; ``rules`` is the full new list, in order."""

    event_type = "candor.routing.rules_changed.v1"
    topic = topics.CATALOG

    integration_id: str | None
    rules: list[dict[str, object]]


class IntegrationChanged(EventData):
    """A monitoring integration was created, changed or revoked (its full state, no secret:
    neither the key nor the signing secret ever travels)."""

    event_type = "candor.integration.changed.v1"
    topic = topics.CATALOG

    id: str
    name: str
    source: str
    default_service: str | None = None
    services: list[str] = []
    revoked: bool = False
    rate_limit_per_minute: int | None = None
    signed: bool = False
    version: int = 1
