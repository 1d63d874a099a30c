"""What operators send and receive about subscribers."""

from __future__ import annotations

import re
import uuid
import zoneinfo
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Deliberately plain: one @, no spaces or angle brackets, a dot in the domain. Whether the
# mailbox exists is for the SMTP server to say.
_EMAIL = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})\.[A-Za-z]{2,63}$")


class SubscriberIn(BaseModel):
    """A subscriber to create, or to update when the address exists."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"email": "ana@example.org", "services": ["email", "payroll"]}]
        },
    )

    email: str = Field(max_length=320, description="Where notices are sent.")
    services: list[str] = Field(
        default_factory=list, max_length=500, description="Slugs of the services to follow."
    )
    timezone: str = Field(default="UTC", description="IANA name, e.g. Europe/Paris.")
    language: str = Field(default="en", pattern=r"^[a-z]{2}(?:-[A-Z]{2})?$")

    @field_validator("email")
    @classmethod
    def _plain_address(cls, value: str) -> str:
        value = value.strip()
        if not _EMAIL.match(value):
            raise ValueError("not an email address like name@example.org")
        local, domain = value.rsplit("@", 1)
        return f"{local}@{domain.lower()}"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError("not an IANA timezone name such as Europe/Paris") from None
        return value


class SubscriberOut(BaseModel):
    """A subscriber and the services they follow."""

    id: uuid.UUID
    email: str
    services: list[str]
    timezone: str
    language: str
    created_at: datetime
    updated_at: datetime
