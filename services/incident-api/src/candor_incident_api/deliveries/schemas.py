"""What the quarantined-endpoints operations answer."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class EndpointReleaseOut(BaseModel):
    """A release asked of the notifier."""

    endpoint_key: str = Field(description="SHA-256 of the endpoint's type and URL, in hex.")
    released_by: str
    released_at: datetime
