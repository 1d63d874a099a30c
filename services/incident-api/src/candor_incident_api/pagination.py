"""Cursor pagination: ``{"items": [...], "next_cursor": ...}``, stable while rows are added."""

from __future__ import annotations

import base64
import binascii
import uuid
from typing import Generic, TypeVar

from pydantic import BaseModel, Field

from candor_incident_api.errors import ApiError

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of results, newest first; pass ``next_cursor`` back as ``cursor`` for more."""

    items: list[T]
    next_cursor: str | None = Field(
        default=None, description="Opaque; absent on the last page.", examples=[None]
    )


def encode_cursor(last_id: uuid.UUID) -> str:
    """The cursor that continues after ``last_id``."""
    return base64.urlsafe_b64encode(last_id.bytes).decode().rstrip("=")


def decode_cursor(cursor: str) -> uuid.UUID:
    """The id a cursor continues after; 400 for a cursor this API did not hand out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return uuid.UUID(bytes=raw)
    except (binascii.Error, ValueError):
        raise ApiError(
            400, "Invalid cursor", "Pass back the next_cursor of a previous page unchanged."
        ) from None
