"""What operators send and receive about services.

A service's components and dependencies travel inside its body: one document is the whole
service, which is what ``PUT`` replaces, ``ServiceUpserted`` publishes and ``candor apply``
compares. ``canonical`` is the one definition of "the same content" for all three.
"""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from candor_shared.contract import AgreementTerms

SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"

Impact = Literal["minor", "major", "critical"]

_AGREEMENT_EXAMPLE: dict[str, Any] = {
    "timezone": "Europe/Paris",
    "availability": {"adequate_percent": 99.5, "desired_percent": 99.9},
    "terms": {
        "major": {
            "acknowledge_within": "PT15M",
            "first_communication_within": "PT30M",
            "update_every": "PT1H",
            "restore_within": "PT4H",
        },
        "minor": {"acknowledge_within": "PT1H", "business_hours_only": True},
    },
    "maintenance_notice": "P3D",
    "downtime_fraction": {"minor": 0.25},
    "business_hours": {
        "timezone": "Europe/Paris",
        "days": ["mon", "tue", "wed", "thu", "fri"],
        "start": "08:00",
        "end": "18:00",
    },
}
_SPEC_EXAMPLE: dict[str, Any] = {
    "name": "Email",
    "description": "Sending and receiving mail, webmail and calendars.",
    "owners": ["messaging-team@example.org"],
    "impact_wording": {
        "minor": "Email may be slow to arrive.",
        "major": "You may not be able to send email.",
        "critical": "Email is unavailable.",
    },
    "notification_delay_seconds": 120,
    "flap_window_seconds": 900,
    "agreement": _AGREEMENT_EXAMPLE,
    "components": [
        {"slug": "smtp", "name": "Outgoing mail"},
        {"slug": "webmail", "name": "Webmail", "description": "https://mail.example.org"},
    ],
    "depends_on": [
        {"service": "network"},
        {"service": "identity", "component": "sso", "impact": "major"},
    ],
}


class ComponentIn(BaseModel):
    """A part of a service that can fail on its own."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"slug": "smtp", "name": "Outgoing mail"}]},
    )

    slug: str = Field(pattern=SLUG_PATTERN, description="Used in routing rules and alerts.")
    name: str = Field(min_length=1, max_length=200, description="The name users know it by.")
    description: str = Field(default="", max_length=2000)
    position: int | None = Field(
        default=None, ge=0, le=10_000, description="Display order; absent: its place in the list."
    )


class DependencyIn(BaseModel):
    """The service needs another service (or one component of it) to work."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"service": "identity", "component": "sso"}]},
    )

    service: str = Field(pattern=SLUG_PATTERN, description="Slug of the service depended on.")
    component: str | None = Field(
        default=None, pattern=SLUG_PATTERN, description="Slug of its component, if only one."
    )
    impact: Impact | None = Field(
        default=None,
        description="The most an outage there can cause here (e.g. `minor`: printing still "
        "works without the network, slowly); absent: the same impact as there.",
    )


def checkable(agreement: AgreementTerms) -> AgreementTerms:
    """``agreement`` if sla-monitor can evaluate its calendar: IANA timezones, business hours
    as wall-clock times; else ValueError saying which field and what to send."""
    try:
        zoneinfo.ZoneInfo(agreement.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError("timezone: not an IANA timezone name such as Europe/Paris") from None
    hours = agreement.business_hours
    if hours is None:
        return agreement
    try:
        zoneinfo.ZoneInfo(hours.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            "business_hours.timezone: not an IANA timezone name such as Europe/Paris"
        ) from None
    if hours.start.tzinfo is not None or hours.end.tzinfo is not None:
        raise ValueError(
            "business_hours: give wall-clock times like 08:00, without an offset; "
            "the timezone field says where"
        )
    return agreement


class ServiceSpec(BaseModel):
    """Everything about a service but its slug: the body of ``PUT /v1/services/{slug}``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_SPEC_EXAMPLE]})

    name: str = Field(min_length=1, max_length=200, description="The name users know it by.")
    description: str = Field(default="", max_length=2000)
    owners: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Who answers for it: addresses or team names.",
        examples=[["messaging-team@example.org"]],
    )
    impact_wording: dict[Impact, str] = Field(
        default_factory=dict,
        description="What each impact level means for users, in their words.",
        examples=[{"major": "You may not be able to send email."}],
    )
    notification_delay_seconds: int = Field(
        default=0,
        ge=0,
        le=86_400,
        description="How long a new incident waits before users are told (0: at once); an "
        "incident that ends within it is recorded but not announced.",
    )
    flap_window_seconds: int = Field(
        default=0,
        ge=0,
        le=7 * 86_400,
        description="An alert that fires again within this time after its incident was "
        "resolved reopens that incident (0: never).",
    )
    agreement: AgreementTerms | None = Field(
        default=None, description="The negotiated service levels; absent: none promised."
    )
    components: list[ComponentIn] = Field(default_factory=list, max_length=200)
    depends_on: list[DependencyIn] = Field(default_factory=list, max_length=200)

    @field_validator("owners")
    @classmethod
    def _plain_owners(cls, owners: list[str]) -> list[str]:
        cleaned = [owner.strip() for owner in owners]
        if any(not owner or len(owner) > 200 for owner in cleaned):
            raise ValueError("each owner is a non-empty name or address of at most 200 characters")
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("an owner is listed twice")
        return cleaned

    @field_validator("agreement")
    @classmethod
    def _checkable_hours(cls, agreement: AgreementTerms | None) -> AgreementTerms | None:
        return None if agreement is None else checkable(agreement)

    @field_validator("impact_wording")
    @classmethod
    def _plain_wording(cls, wording: dict[str, str]) -> dict[str, str]:
        cleaned = {level: sentence.strip() for level, sentence in wording.items()}
        if any(not sentence or len(sentence) > 500 for sentence in cleaned.values()):
            raise ValueError("each wording is a sentence of 1 to 500 characters")
        return cleaned

    @model_validator(mode="after")
    def _no_duplicates(self) -> ServiceSpec:
        slugs = [component.slug for component in self.components]
        twice = sorted({slug for slug in slugs if slugs.count(slug) > 1})
        if twice:
            raise ValueError(f"components: slug {', '.join(map(repr, twice))} is listed twice")
        targets = [(dep.service, dep.component) for dep in self.depends_on]
        repeated = sorted({f"{s}/{c}" if c else s for s, c in targets if targets.count((s, c)) > 1})
        if repeated:
            raise ValueError(f"depends_on: {', '.join(map(repr, repeated))} is listed twice")
        return self


class ServiceIn(ServiceSpec):
    """A service to create: its slug and everything else (see ``ServiceSpec``)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"slug": "email", **_SPEC_EXAMPLE}]},
    )

    slug: str = Field(
        pattern=SLUG_PATTERN,
        description="Lowercase letters, digits and hyphens; used in alerts' `service` label.",
    )


class ServicePatch(BaseModel):
    """The fields to change; those left out stay as they are (lists are replaced whole)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"owners": ["messaging-team@example.org"], "flap_window_seconds": 600}]
        },
    )

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)
    owners: list[str] | None = Field(default=None, max_length=50)
    impact_wording: dict[Impact, str] | None = None
    notification_delay_seconds: int | None = Field(default=None, ge=0, le=86_400)
    flap_window_seconds: int | None = Field(default=None, ge=0, le=7 * 86_400)
    agreement: AgreementTerms | None = Field(
        default=None, description="`null` removes the agreement."
    )
    components: list[ComponentIn] | None = Field(default=None, max_length=200)
    depends_on: list[DependencyIn] | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _null_only_for_agreement(self) -> ServicePatch:
        nulls = sorted(
            name
            for name in self.model_fields_set
            if name != "agreement" and getattr(self, name) is None
        )
        if nulls:
            raise ValueError(f"{', '.join(nulls)}: leave the field out instead of sending null")
        return self


class ComponentOut(BaseModel):
    """A component of a service."""

    id: uuid.UUID
    slug: str
    name: str
    description: str
    position: int


class DependencyOut(BaseModel):
    """What the service depends on."""

    service: str
    component: str | None = None
    impact: Impact | None = None


class ServiceOut(BaseModel):
    """A service in the catalog, whole; ``version`` grows with every change."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"slug": "email", **_SPEC_EXAMPLE}]})

    id: uuid.UUID
    slug: str
    name: str
    description: str = ""
    owners: list[str] = Field(default_factory=list)
    impact_wording: dict[str, str] = Field(default_factory=dict)
    notification_delay_seconds: int = 0
    flap_window_seconds: int = 0
    agreement: AgreementTerms | None = None
    components: list[ComponentOut] = Field(default_factory=list)
    depends_on: list[DependencyOut] = Field(default_factory=list)
    version: int
    created_at: datetime
    updated_at: datetime


GROUP_AGREEMENT_EXAMPLE: dict[str, Any] = {
    "timezone": "Europe/Paris",
    "availability": {"adequate_percent": 99.9, "desired_percent": 99.95},
    "terms": {
        "major": {
            "acknowledge_within": "PT10M",
            "first_communication_within": "PT15M",
            "update_every": "PT30M",
            "restore_within": "PT2H",
        }
    },
}


class GroupName(BaseModel):
    """A group of subscribers, as an agreement names it."""

    id: uuid.UUID
    name: str = Field(examples=["Finance department"])


class GroupAgreementOut(BaseModel):
    """The terms negotiated with one group of users for a service; they apply to that group
    instead of the service's own agreement (complete terms, not an overlay)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "group": {
                        "id": "01a207cd-8501-733a-818b-9ecf802bbdf5",
                        "name": "Finance department",
                    },
                    "terms": GROUP_AGREEMENT_EXAMPLE,
                }
            ]
        }
    )

    group: GroupName
    terms: AgreementTerms


class AgreementsOut(BaseModel):
    """Every agreement of a service: with its users at large, and with each group."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "service": _AGREEMENT_EXAMPLE,
                    "groups": [
                        {
                            "group": {
                                "id": "01a207cd-8501-733a-818b-9ecf802bbdf5",
                                "name": "Finance department",
                            },
                            "terms": GROUP_AGREEMENT_EXAMPLE,
                        }
                    ],
                }
            ]
        }
    )

    service: AgreementTerms | None = Field(
        description="The service's own agreement; null when it has none."
    )
    groups: list[GroupAgreementOut] = Field(description="By group name.")


class Problem(BaseModel):
    """An RFC 9457 problem: what was wrong and what to send instead."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str


def problem_responses(**descriptions: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for problem answers, e.g. ``problem_responses(e404="...")``."""
    schema = Problem.model_json_schema()
    return {
        int(code.removeprefix("e")): {
            "description": text,
            "content": {"application/problem+json": {"schema": schema}},
        }
        for code, text in descriptions.items()
    }


def spec_of(service: ServiceOut) -> ServiceSpec:
    """The spec that describes ``service`` as it is (what ``candor export`` writes)."""
    return ServiceSpec.model_validate(
        {
            **service.model_dump(
                include={
                    "name",
                    "description",
                    "owners",
                    "impact_wording",
                    "notification_delay_seconds",
                    "flap_window_seconds",
                    "depends_on",
                }
            ),
            "agreement": service.agreement,
            "components": [c.model_dump(exclude={"id"}) for c in service.components],
        }
    )


def canonical(spec: ServiceSpec) -> dict[str, Any]:
    """``spec`` in one normal form: two specs mean the same service exactly when these match.

    Component positions default to their place in the list; components sort by position,
    dependencies by target; the agreement carries its defaults.
    """
    components = [
        {
            "slug": component.slug,
            "name": component.name,
            "description": component.description,
            "position": index if component.position is None else component.position,
        }
        for index, component in enumerate(spec.components)
    ]
    components.sort(key=lambda c: (c["position"], c["slug"]))
    depends_on = sorted(
        (dep.model_dump() for dep in spec.depends_on),
        key=lambda d: (d["service"], d["component"] or ""),
    )
    return {
        "name": spec.name,
        "description": spec.description,
        "owners": list(spec.owners),
        "impact_wording": dict(spec.impact_wording),
        "notification_delay_seconds": spec.notification_delay_seconds,
        "flap_window_seconds": spec.flap_window_seconds,
        "agreement": spec.agreement.model_dump(mode="json") if spec.agreement else None,
        "components": components,
        "depends_on": depends_on,
    }
