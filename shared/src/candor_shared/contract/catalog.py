"""Events about the service catalog and subscribers, on the catalog topic (key = entity id).

Subscriber events carry the addresses the notifier needs and nothing more; erasure is an event
followed by a tombstone, so that a compacted topic forgets the address too.

Subscriber channels carry chat and webhook URLs and the webhook signing secrets: the notifier
must have them to post and to sign, and no other way of handing them over would be safer than
the catalog topic, which only Candor's own services may read (give it ACLs on a shared
cluster). Erasure removes them with the rest.
"""

from __future__ import annotations

import zoneinfo
from datetime import time, timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from candor_shared.contract import topics
from candor_shared.contract.durations import IsoDuration
from candor_shared.contract.envelope import EventData

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_WORKING_DAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")


def _known_timezone(name: str) -> str:
    """``name`` if it is an IANA timezone this machine's tz database knows; else ValueError.

    Checked in the contract, not only by the API: sla-monitor computes months and business
    hours in the zone, so an event naming an unknown one must be refused where it is read
    (a consumer dead-letters it), not fail later in every round that uses the agreement.
    """
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        # OSError: names the tz database cannot even look up (a directory such as Europe).
        raise ValueError("not an IANA timezone name such as Europe/Paris") from None
    return name


Timezone = Annotated[
    str, Field(max_length=64, examples=["Europe/Paris"]), AfterValidator(_known_timezone)
]
"""An IANA timezone name (``Europe/Paris``, ``UTC``)."""


class BusinessHours(BaseModel):
    """The hours in which the agreement's clocks run (outside them, time does not count)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    timezone: Timezone = Field(default="UTC", examples=["Europe/Berlin"])
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

    @field_validator("days")
    @classmethod
    def _some_day(cls, value: list[Weekday]) -> list[Weekday]:
        if not value:
            raise ValueError("at least one day, such as mon")
        return value

    @field_validator("holidays")
    @classmethod
    def _known_holidays(cls, value: str | None) -> str | None:
        return None if value is None else _known_public_holidays(value)

    @model_validator(mode="after")
    def _opens_before_it_closes(self) -> BusinessHours:
        # 00:00 as the end is the midnight that ends the day. Offsets are the API's to
        # refuse with its own message; compare the wall-clock readings.
        start, end = self.start.replace(tzinfo=None), self.end.replace(tzinfo=None)
        if end != time(0) and end <= start:
            raise ValueError("end: after start (00:00 for midnight); hours do not span midnight")
        return self


def _known_public_holidays(code: str) -> str:
    """``code`` (``FR``, ``de-BY``) with its country in capitals, if the ``holidays`` package
    knows the country and subdivision; else ValueError saying what it knows."""
    # Imported here: only agreements with holidays need the package's country tables.
    import holidays as public_holidays

    country, _, subdivision = code.strip().partition("-")
    country = country.upper()
    supported = public_holidays.list_supported_countries()
    if country not in supported:
        raise ValueError(
            f"unknown country {country!r}: a country code as the holidays package names it, "
            "such as FR, optionally with a subdivision, such as DE-BY"
        )
    if subdivision and subdivision not in supported[country]:
        known = ", ".join(supported[country][:12]) or "none"
        raise ValueError(
            f"{country} has no subdivision {subdivision!r} in the holidays package; known: {known}"
        )
    return f"{country}-{subdivision}" if subdivision else country


def _at_least_a_minute(value: timedelta) -> timedelta:
    if value < timedelta(minutes=1):
        raise ValueError("a duration of at least one minute (ISO 8601, e.g. PT30M)")
    return value


Duration = Annotated[
    IsoDuration,
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

    timezone: Timezone = Field(
        default="UTC", description="Where calendar months begin: an IANA timezone name."
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
    """A service was created or changed (the full state, not a difference).

    ``agreement`` is what was negotiated with the service's users at large;
    ``group_agreements`` what was negotiated with a group of them ("Finance department"),
    keyed by group id. A group agreement is a complete set of terms that applies to that
    group instead of the service's own, not an overlay on it: each reads, and is reported on,
    by itself, with nothing inherited to work out. sla-monitor evaluates every one of them
    (availability, deadlines, reports, error budget). ``group_names`` names the groups (a
    group's name does not change: groups are upserted by name). Events from before group
    agreements carry neither, and stay valid.
    """

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
    group_agreements: dict[str, AgreementTerms] = Field(
        default_factory=dict,
        description="Agreements with groups of users, by group id: each applies to that "
        "group instead of `agreement` (complete terms, not an overlay).",
    )
    group_names: dict[str, str] = Field(
        default_factory=dict,
        description="The name of each group in `group_agreements`, by group id, for reports.",
    )
    version: int = 1


class ServiceDeleted(EventData):
    """A service was removed from the catalog (it had no incident on record)."""

    event_type = "candor.service.deleted.v1"
    topic = topics.CATALOG

    id: str
    slug: str


ChannelType = Literal["email", "slack", "teams", "webhook", "apprise"]
"""How a subscriber is reached: an email address, or a URL to post to."""


class SubscriberChannel(BaseModel):
    """One way of reaching a subscriber: ``address`` for email, ``url`` for the others;
    ``secret`` is a webhook's Standard Webhooks signing secret (``whsec_`` + base64);
    ``fallback`` marks a channel kept for when the others fail for good."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    type: str = Field(
        description="One of email, slack, teams, webhook, apprise; consumers "
        "skip types they do not know."
    )
    address: str | None = None
    url: str | None = None
    secret: str | None = Field(default=None, repr=False)
    fallback: bool = Field(
        default=False,
        description="Reached only when every other channel of the subscriber failed for "
        "good for a notice (consumers that do not know it send on every channel).",
    )


class QuietHours(BaseModel):
    """Wall-clock hours, in the subscriber's timezone, in which minor-impact notices wait
    until the hours end (they are delayed, never dropped). ``end`` before ``start`` spans
    midnight (22:00 to 07:00)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: time = Field(examples=["22:00"], json_schema_extra={"format": "partial-time"})
    end: time = Field(examples=["07:00"], json_schema_extra={"format": "partial-time"})

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start.replace(tzinfo=None) == self.end.replace(tzinfo=None):
            raise ValueError("quiet_hours: start and end differ (22:00 to 07:00)")
        return self


class SubscriberUpserted(EventData):
    """A subscriber was created or changed; ``services`` is the full set of slugs.

    ``channels`` is the full set of ways to reach them (email included). Producers before
    channels sent none: ``email`` alone is then the one channel. ``email`` stays for the
    consumers that know only it, and is None for a subscriber reached without email.
    """

    event_type = "candor.subscriber.upserted.v1"
    topic = topics.CATALOG

    id: str
    email: str | None
    services: list[str]
    timezone: str = "UTC"
    language: str = "en"
    channels: list[SubscriberChannel] = []
    components: list[str] = Field(
        default_factory=list,
        description="Components followed on their own, as service-slug/component-slug: "
        "only incidents that affect that component reach the subscriber through them.",
    )
    groups: list[str] = Field(
        default_factory=list,
        description="Ids of the groups the subscriber belongs to; they also get what each "
        "group follows (GroupUpserted).",
    )
    quiet_hours: QuietHours | None = Field(
        default=None, description="When minor-impact notices wait; absent: never."
    )
    digest_every: Duration | None = Field(
        default=None,
        description="Minor-impact notices gathered into one message per this period; absent: "
        "each is sent on its own.",
    )


class SubscriberErased(EventData):
    """A subscriber asked to be forgotten: every copy of their data must go."""

    event_type = "candor.subscriber.erased.v1"
    topic = topics.CATALOG

    id: str


class GroupUpserted(EventData):
    """A group of subscribers ("Finance department") was created or changed: what the group
    follows, in full. Its members are named by their own SubscriberUpserted (``groups``), so
    that a change of what a group follows is one event, however many members it has."""

    event_type = "candor.group.upserted.v1"
    topic = topics.CATALOG

    id: str
    name: str
    services: list[str] = []
    components: list[str] = Field(
        default_factory=list, description="As service-slug/component-slug."
    )


class GroupDeleted(EventData):
    """A group was deleted: its members no longer get what it followed."""

    event_type = "candor.group.deleted.v1"
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
