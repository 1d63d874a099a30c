"""Times that operators send: ISO 8601 with an offset, kept in UTC, within storable years."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime


def in_utc(value: datetime) -> datetime:
    """The time in UTC; refused when it falls outside the years 1971-9998 (no storage holds
    it reliably, and nothing Candor records happens there)."""
    try:
        converted = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("time is out of range; send a time between 1971 and 9998") from None
    if not 1971 <= converted.year <= 9998:
        raise ValueError("time is out of range; send a time between 1971 and 9998")
    return converted


UtcTime = Annotated[AwareDatetime, AfterValidator(in_utc)]
"""An ISO 8601 time with its offset, kept in UTC."""
