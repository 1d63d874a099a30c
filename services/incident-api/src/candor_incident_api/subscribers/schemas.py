"""What operators send and receive about subscribers."""

from __future__ import annotations

import re
import uuid
import zoneinfo
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from candor_shared.contract import QuietHours
from candor_shared.contract.catalog import Duration

# Deliberately plain: one @, no spaces or angle brackets, a dot in the domain. Whether the
# mailbox exists is for the SMTP server to say.
_EMAIL = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})\.[A-Za-z]{2,63}$")

UrlChannelType = Literal["slack", "teams", "webhook", "apprise"]
MAX_URL_LENGTH = 2048
MAX_DIGEST_PERIOD = timedelta(days=1)
FALLBACK_DESCRIPTION = (
    "A fallback channel: notices go to the subscriber's other channels, and to this one only "
    "when every other channel failed for good for that notice (refused, retries exhausted, "
    "or its endpoint quarantined). When every channel is a fallback, none is."
)
_COMPONENT_REF = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}/[a-z0-9][a-z0-9-]{0,62}$")


def component_ref(value: str) -> str:
    """``service-slug/component-slug``, trimmed and in lower case; ValueError otherwise."""
    value = value.strip().lower()
    if not _COMPONENT_REF.match(value):
        raise ValueError(f"{value[:80]!r} is not service-slug/component-slug, like email/webmail")
    return value


def group_name(value: str) -> str:
    """A group's name with its spaces collapsed; ValueError when nothing visible is left."""
    value = " ".join(value.split())
    if not value:
        raise ValueError("a group name has at least one visible character")
    return value


def digest_period(value: timedelta | None) -> timedelta | None:
    """A digest period of at most a day."""
    if value is not None and value > MAX_DIGEST_PERIOD:
        raise ValueError("a digest period of at most a day (P1D)")
    return value


def plain_address(value: str) -> str:
    """The email address, trimmed, with its domain in lower case; ValueError if it is not one."""
    value = value.strip()
    if not _EMAIL.match(value):
        raise ValueError("not an email address like name@example.org")
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


class EmailChannelIn(BaseModel):
    """Notices by email."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["email"]
    address: str = Field(max_length=320, examples=["ana@example.org"])
    fallback: bool = Field(default=False, description=FALLBACK_DESCRIPTION)

    @field_validator("address")
    @classmethod
    def _plain_address(cls, value: str) -> str:
        return plain_address(value)


class UrlChannelIn(BaseModel):
    """Notices posted to a URL: a Slack incoming webhook, a Teams Workflows webhook, a
    generic webhook (signed, Standard Webhooks) or an Apprise URL (``mmosts://…``)."""

    model_config = ConfigDict(extra="forbid")

    type: UrlChannelType
    url: str = Field(
        min_length=1,
        max_length=MAX_URL_LENGTH,
        examples=["https://hooks.slack.com/services/T000/B000/XXXX"],
        description="https (plain http only to hosts named in CANDOR_OUTBOUND_ALLOWLIST); "
        "for apprise, a URL Apprise understands.",
    )
    fallback: bool = Field(default=False, description=FALLBACK_DESCRIPTION)

    @field_validator("url")
    @classmethod
    def _one_line(cls, value: str) -> str:
        value = value.strip()
        if any(ord(char) < 0x21 or ord(char) == 0x7F for char in value):
            raise ValueError("a URL has no spaces or control characters")
        return value


ChannelIn = Annotated[EmailChannelIn | UrlChannelIn, Field(discriminator="type")]


class SubscriberIn(BaseModel):
    """A subscriber to create, or to update when the email address exists.

    Either the ground floor's form, ``{"email", "services"}``, or ``channels``: at most one
    of each type. A subscriber with an email address is found again by it; one without is
    created anew by every POST (use an ``Idempotency-Key`` to retry safely).
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"email": "ana@example.org", "services": ["email", "payroll"]},
                {
                    "name": "Finance department",
                    "channels": [
                        {"type": "email", "address": "finance@example.org"},
                        {"type": "teams", "url": "https://example.webhook.office.com/..."},
                        {"type": "webhook", "url": "https://hooks.example.org/candor"},
                    ],
                    "services": ["payroll"],
                    "timezone": "Europe/Paris",
                    "language": "fr",
                },
            ]
        },
    )

    name: str | None = Field(
        default=None, min_length=1, max_length=200, description="Who this is, for operators."
    )
    email: str | None = Field(
        default=None, max_length=320, description="Where notices are sent (an email channel)."
    )
    channels: list[ChannelIn] | None = Field(
        default=None,
        max_length=5,
        description="Every way to reach the subscriber; replaces the ones they had. Absent: "
        "an existing subscriber keeps their channels other than email.",
    )
    services: list[str] = Field(
        default_factory=list, max_length=500, description="Slugs of the services to follow."
    )
    timezone: str = Field(default="UTC", description="IANA name, e.g. Europe/Paris.")
    language: str = Field(default="en", pattern=r"^[a-z]{2}(?:-[A-Z]{2})?$")
    components: list[str] | None = Field(
        default=None,
        max_length=500,
        examples=[["email/outgoing-mail"]],
        description="Components to follow on their own, as service-slug/component-slug: only "
        "incidents that affect that component (or its whole service) reach the subscriber "
        "through them. Replaces the ones they had; absent: kept.",
    )
    groups: list[str] | None = Field(
        default=None,
        max_length=50,
        examples=[["Finance department"]],
        description="Names of the groups (POST /v1/groups) the subscriber belongs to; they also "
        "hear of what each group follows. Replaces the ones they had; absent: kept.",
    )
    quiet_hours: QuietHours | None = Field(
        default=None,
        description="Wall-clock hours in `timezone` in which notices of minor incidents wait "
        "until the hours end (never dropped); major and critical ones are sent at once. "
        "null: never quiet; absent: kept.",
    )
    digest_every: Duration | None = Field(
        default=None,
        description="Notices of minor incidents gathered into one message per this period "
        "(ISO 8601, PT1M to P1D). null: each on its own; absent: kept.",
    )

    @field_validator("components")
    @classmethod
    def _component_refs(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [component_ref(item) for item in value]

    @field_validator("groups")
    @classmethod
    def _group_names(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [group_name(item) for item in value]

    @field_validator("digest_every")
    @classmethod
    def _digest_period(cls, value: timedelta | None) -> timedelta | None:
        return digest_period(value)

    @field_validator("email")
    @classmethod
    def _plain_address(cls, value: str | None) -> str | None:
        return None if value is None else plain_address(value)

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = " ".join(value.split())
        if not value:
            raise ValueError("a name has at least one visible character")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError("not an IANA timezone name such as Europe/Paris") from None
        return value

    @model_validator(mode="after")
    def _reachable(self) -> SubscriberIn:
        channels = self.channels or []
        seen: set[str] = set()
        for channel in channels:
            if channel.type in seen:
                raise ValueError(
                    f"channels: at most one channel of each type ({channel.type!r} twice); "
                    "subscribe another name for a second one"
                )
            seen.add(channel.type)
        in_channels = next((c.address for c in channels if isinstance(c, EmailChannelIn)), None)
        if self.email is not None and in_channels is not None and self.email != in_channels:
            raise ValueError("email and the email channel name two addresses; give one of them")
        if self.email is None and not channels:
            raise ValueError("give an email address, or channels to reach the subscriber")
        return self

    @property
    def address(self) -> str | None:
        """The subscriber's email address, from ``email`` or the email channel."""
        for channel in self.channels or []:
            if isinstance(channel, EmailChannelIn):
                return channel.address
        return self.email

    @property
    def email_fallback(self) -> bool:
        """Whether the email channel is a fallback (only an email channel in ``channels`` can
        say so)."""
        return any(
            isinstance(channel, EmailChannelIn) and channel.fallback
            for channel in self.channels or []
        )

    def url_channels(self) -> list[tuple[int, UrlChannelIn]] | None:
        """The channels other than email with their position in ``channels``; None when
        ``channels`` was not given (the ground floor's form)."""
        if self.channels is None:
            return None
        return [(i, c) for i, c in enumerate(self.channels) if isinstance(c, UrlChannelIn)]


class ChannelOut(BaseModel):
    """One way the subscriber is reached."""

    type: Literal["email", "slack", "teams", "webhook", "apprise"]
    address: str | None = Field(default=None, description="For email.")
    url: str | None = Field(default=None, description="For the other types.")
    secret: str | None = Field(
        default=None,
        description="A webhook's signing secret (whsec_…, Standard Webhooks): only in the "
        "answer that created the channel. Keep it; it is never shown again.",
    )
    fallback: bool = Field(default=False, description=FALLBACK_DESCRIPTION)


class SubscriberOut(BaseModel):
    """A subscriber, how they are reached, and the services they follow."""

    id: uuid.UUID
    name: str | None = None
    email: str | None
    channels: list[ChannelOut]
    services: list[str]
    components: list[str] = Field(default_factory=list, description="service/component")
    groups: list[str] = Field(default_factory=list, description="Names of their groups.")
    timezone: str
    language: str
    quiet_hours: QuietHours | None = None
    digest_every: timedelta | None = Field(default=None, json_schema_extra={"format": "duration"})
    created_at: datetime
    updated_at: datetime


class GroupIn(BaseModel):
    """A group of subscribers ("Finance department") to create, or to update when the name
    exists: what it follows replaces what it followed. Members join it through their own
    subscriber record (``groups``) or the CSV import."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Finance department",
                    "services": ["payroll"],
                    "components": ["email/outgoing-mail"],
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=200)
    services: list[str] = Field(default_factory=list, max_length=500)
    components: list[str] = Field(
        default_factory=list, max_length=500, description="service-slug/component-slug"
    )

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        return group_name(value)

    @field_validator("components")
    @classmethod
    def _component_refs(cls, value: list[str]) -> list[str]:
        return [component_ref(item) for item in value]


class GroupOut(BaseModel):
    """A group, what it follows, and how many members it has."""

    id: uuid.UUID
    name: str
    services: list[str]
    components: list[str]
    members: int
    created_at: datetime
    updated_at: datetime
