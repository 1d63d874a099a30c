"""What every source's payload model shares: bounded labels, times a database can store."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

Labels = dict[str, str]

MAX_LABELS = 100
MAX_KEY_LENGTH = 256
MAX_VALUE_LENGTH = 4096
MAX_SUMMARY_LENGTH = 500
SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$"


def checked_labels(value: Labels) -> Labels:
    """Labels small enough to travel in one event, without NUL characters."""
    if len(value) > MAX_LABELS:
        raise ValueError(f"at most {MAX_LABELS} entries")
    for key, text in value.items():
        if len(key) > MAX_KEY_LENGTH or len(text) > MAX_VALUE_LENGTH:
            raise ValueError(
                f"{key[:40]!r}: names up to {MAX_KEY_LENGTH} and values up to "
                f"{MAX_VALUE_LENGTH} characters"
            )
        if "\x00" in key or "\x00" in text:
            raise ValueError(f"{key[:40]!r}: NUL characters are not allowed")
    return value


def no_nul(value: str) -> str:
    """The text unchanged; NUL characters cannot be stored, so they are refused."""
    if "\x00" in value:
        raise ValueError("NUL characters are not allowed")
    return value


def utc(value: datetime | None, *, absent_before_1971: bool = False) -> datetime | None:
    """The time in UTC, refusing what a database cannot store.

    A naive time is taken as UTC (sources such as Uptime Kuma send UTC without an offset).
    """
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if absent_before_1971 and value.year < 1971:
        return None
    try:
        converted = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("outside the years 1971 to 9998") from None
    if not 1971 <= converted.year <= 9998:
        raise ValueError("outside the years 1971 to 9998")
    return converted


def required_utc(value: datetime) -> datetime:
    """:func:`utc` for a time that must be present."""
    converted = utc(value)
    assert converted is not None
    return converted


def as_label(value: Any) -> str:
    """A label value from any JSON value: strings as they are, the rest as compact JSON."""
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    # Free-form JSON values were not validated as text: drop what no database can store
    # (NUL, lone surrogates) rather than fail the alert for a detail.
    text = text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return text[:MAX_VALUE_LENGTH]


def labels_from(*sources: Mapping[str, Any]) -> Labels:
    """Labels merged from mappings (later ones win), bounded like :func:`checked_labels`.

    Values are stringified and cut at the value limit; keys past the limits are dropped, so a
    verbose source never fails an alert for the details it adds.
    """
    labels: Labels = {}
    for source in sources:
        for key, value in source.items():
            key = as_label(key)
            if value is None or not key or len(key) > MAX_KEY_LENGTH:
                continue
            if key not in labels and len(labels) >= MAX_LABELS:
                continue
            labels[key] = as_label(value)
    return labels


def summary_of(*candidates: str | None, fallback: str = "Alert") -> str:
    """The first non-empty candidate, cut to what an incident title holds."""
    for candidate in candidates:
        if candidate and candidate.strip():
            return candidate.strip()[:MAX_SUMMARY_LENGTH]
    return fallback


def slug_or_none(value: str | None) -> str | None:
    """A label value usable as a service or component slug (lowercased), else None."""
    if not value:
        return None
    return value.strip().lower() or None


MAX_FINGERPRINT_LENGTH = 128


def fingerprint_from_key(key: str) -> str:
    """A source's own deduplication key as a fingerprint: as it is when it fits, else hashed."""
    if len(key) <= MAX_FINGERPRINT_LENGTH:
        return key
    return hashlib.sha256(key.encode()).hexdigest()
