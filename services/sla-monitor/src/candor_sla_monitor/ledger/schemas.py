"""What the ledger endpoint answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class OutageOut(BaseModel):
    """One incident's declared outage."""

    model_config = ConfigDict(from_attributes=True)

    incident_id: str
    impact: str
    started_at: datetime
    ended_at: datetime | None = Field(description="Null while the incident is open.")


class LedgerOut(BaseModel):
    """A service's outages overlapping a window, and its downtime inside it."""

    model_config = ConfigDict(populate_by_name=True)

    service: str = Field(description="The service's slug.")
    window_start: datetime = Field(serialization_alias="from")
    window_end: datetime = Field(serialization_alias="to")
    observed_until: datetime = Field(
        description="Downtime is counted up to here: the window's end, or now if earlier."
    )
    declared_downtime_seconds: float = Field(
        description="Time covered by incidents with some impact; overlaps counted once."
    )
    measured_downtime_seconds: float = Field(
        description="Time covered by firing alerts; overlaps counted once."
    )
    outages: list[OutageOut]
