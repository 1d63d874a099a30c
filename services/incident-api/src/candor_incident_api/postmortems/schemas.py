"""What operators send and read about post-incident reports."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool

_REPORT_EXAMPLE: dict[str, Any] = {
    "impact": "For 47 minutes nobody could send email; mail sent meanwhile arrived late.",
    "cause": "A certificate on the outgoing mail relay expired.",
    "what_was_done": "We installed a new certificate and resent the mail that was waiting.",
    "follow_ups": [
        "Renew certificates automatically.",
        "Alert two weeks before any certificate expires.",
    ],
}


class ReportIn(BaseModel):
    """The report in users' words; written again as often as needed until it is published."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_REPORT_EXAMPLE]})

    impact: str = Field(
        default="", max_length=10_000, description="What users could not do, in their words."
    )
    cause: str = Field(default="", max_length=10_000, description="Why it happened.")
    what_was_done: str = Field(
        default="", max_length=10_000, description="What was done to restore the service."
    )
    follow_ups: list[Annotated[str, Field(min_length=1, max_length=2000)]] = Field(
        default_factory=list,
        max_length=50,
        description="What will be done so that it does not happen again, one action each; "
        "numbered from 1 in this order.",
    )


class ActionPatch(BaseModel):
    """Mark a follow-up action done (or not done after all)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"done": True}]})

    done: StrictBool = Field(description="true: done now; false: not done.")


class FollowUpOut(BaseModel):
    """One follow-up action and whether it is done."""

    number: int = Field(description="Its number, from 1: the {n} of its PATCH operation.")
    action: str
    done_at: datetime | None = None


class ReportOut(BaseModel):
    """A post-incident report as it stands."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "incident_id": "01a207cd-858c-71ec-908f-d495eba38c5a",
                    "impact": _REPORT_EXAMPLE["impact"],
                    "cause": _REPORT_EXAMPLE["cause"],
                    "what_was_done": _REPORT_EXAMPLE["what_was_done"],
                    "follow_ups": [
                        {"number": 1, "action": "Renew certificates automatically."},
                    ],
                    "version": 2,
                    "updated_by": "ana",
                    "updated_at": "2026-11-24T10:00:00Z",
                    "published_at": None,
                    "published_by": None,
                }
            ]
        }
    )

    incident_id: uuid.UUID
    impact: str
    cause: str
    what_was_done: str
    follow_ups: list[FollowUpOut]
    version: int
    updated_by: str
    updated_at: datetime
    published_at: datetime | None = Field(description="When users were sent it; null: draft.")
    published_by: str | None = Field(description="The operator who published it, or `automatic`.")
