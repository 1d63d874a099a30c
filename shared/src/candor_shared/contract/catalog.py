"""Events about the service catalog and subscribers, on the catalog topic (key = entity id).

Subscriber events carry the address the notifier needs and nothing more; erasure is an event
followed by a tombstone, so that a compacted topic forgets the address too.
"""

from __future__ import annotations

from datetime import time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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


class AgreementTerms(BaseModel):
    """The service levels negotiated with users for one service; absent terms are not promised."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    availability_percent: float | None = Field(
        default=None, gt=0, le=100, examples=[99.5], description="Target availability."
    )
    period_days: int = Field(
        default=30, ge=1, le=366, description="The window availability is measured over."
    )
    acknowledge_within_minutes: int | None = Field(default=None, ge=1, examples=[15])
    first_communication_within_minutes: int | None = Field(default=None, ge=1, examples=[30])
    update_every_minutes: int | None = Field(default=None, ge=1, examples=[60])
    restore_within_minutes: int | None = Field(default=None, ge=1, examples=[240])
    maintenance_notice_hours: int | None = Field(default=None, ge=0, examples=[72])
    business_hours: BusinessHours | None = Field(
        default=None, description="Absent: clocks run around the clock."
    )


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
