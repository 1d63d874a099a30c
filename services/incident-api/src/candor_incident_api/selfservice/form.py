"""The subscribe and preferences forms, read from what a browser posts, free of I/O.

Each field is checked on its own so that the page shows every mistake next to its field, and
what was typed is kept to fill the form again.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from candor_incident_api.subscribers.schemas import plain_address

LANGUAGES = {"en": "English", "fr": "Français", "de": "Deutsch"}
MAX_FIELDS = 600
"""More than any catalog's checkboxes; a body past it reads as an empty form."""


@dataclass(slots=True)
class Reading:
    """What was posted: the values as typed and the mistakes by field (none: valid)."""

    email: str = ""
    services: list[str] = field(default_factory=list)
    components: list[str] = field(default_factory=list)
    """``service-slug/component-slug`` of the components chosen on their own."""
    timezone: str = "UTC"
    language: str = "en"
    errors: dict[str, str] = field(default_factory=dict)


def parse_body(content_type: str, body: bytes) -> list[tuple[str, str]]:
    """The fields of a form-encoded body, repeated names kept; anything else is no field."""
    if content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        return []
    try:
        return parse_qsl(
            body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=MAX_FIELDS
        )
    except ValueError:
        return []


def _last(pairs: Sequence[tuple[str, str]], name: str, default: str = "") -> str:
    found = [value for key, value in pairs if key == name]
    return found[-1].strip()[:400] if found else default


def read(
    pairs: Sequence[tuple[str, str]],
    *,
    known_services: set[str],
    known_components: set[str],
    with_email: bool = True,
) -> Reading:
    """Check every field of the form; services or components not in the catalog are mistakes
    too. Components are ``service-slug/component-slug``, as the form's checkboxes send them."""
    reading = Reading(
        email=_last(pairs, "email"),
        services=sorted({value[:63] for key, value in pairs if key == "service"}),
        components=sorted({value[:127] for key, value in pairs if key == "component"}),
        timezone=_last(pairs, "timezone", "UTC") or "UTC",
        language=_last(pairs, "language", "en") or "en",
    )
    if with_email:
        try:
            reading.email = plain_address(reading.email)
        except ValueError:
            reading.errors["email"] = "Enter an email address like name@example.org."
    unknown = [slug for slug in reading.services if slug not in known_services]
    unknown += [ref for ref in reading.components if ref not in known_components]
    if unknown:
        reading.errors["services"] = "Choose among the services and components listed."
    elif with_email and not (reading.services or reading.components):
        reading.errors["services"] = "Choose at least one service or component."
    try:
        zoneinfo.ZoneInfo(reading.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        reading.errors["timezone"] = "Enter a timezone name such as Europe/Paris, or UTC."
    if reading.language not in LANGUAGES:
        reading.errors["language"] = "Choose one of the languages listed."
    return reading
