"""What the ingest endpoints answer."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, Field


class IngestAccepted(BaseModel):
    """The alerts were recorded (committed); events follow through the outbox."""

    status: Literal["accepted"] = "accepted"
    alerts: int = Field(description="How many alerts the payload carried.")
    incidents: list[uuid.UUID] = Field(description="Incidents the alerts belong to.")
