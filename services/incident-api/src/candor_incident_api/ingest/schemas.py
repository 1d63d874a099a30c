"""What the ingest endpoints answer."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class IngestAccepted(BaseModel):
    """The alerts were recorded (committed); events follow through the outbox."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "accepted",
                    "alerts": 1,
                    "incidents": ["01936f3e-8a51-7c2e-9d4b-1f2a3b4c5d6e"],
                }
            ]
        }
    )

    status: Literal["accepted"] = "accepted"
    alerts: int = Field(description="How many alerts the payload carried.")
    incidents: list[uuid.UUID] = Field(description="Incidents the alerts belong to.")


class SnsAccepted(IngestAccepted):
    """An SNS message was accepted: a notification's alerts, or a subscription confirmation."""

    sns_type: Literal["Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"] = (
        Field(description="The SNS message type.")
    )
    confirmation_id: uuid.UUID | None = Field(
        default=None,
        description=(
            "For a subscription confirmation: its id under "
            "`/v1/integrations/{id}/sns-confirmations`, where an admin confirms it."
        ),
    )


class PagerDutyAccepted(BaseModel):
    """PagerDuty's answer to an accepted event, word for word."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"status": "success", "message": "Event processed", "dedup_key": "srv01/mysql"}
            ]
        }
    )

    status: Literal["success"] = "success"
    message: Literal["Event processed"] = "Event processed"
    dedup_key: str = Field(description="The alert's key; generated for a trigger without one.")


class PagerDutyError(BaseModel):
    """PagerDuty's answer to an event it refuses."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "invalid event",
                    "message": "Event object is invalid",
                    "errors": ["'payload.severity' must be one of critical, error, warning, info"],
                }
            ]
        }
    )

    status: str = Field(description="A short name for the error.")
    message: str = Field(description="A description of the problem.")
    errors: list[str] = Field(default_factory=list, description="What is wrong, field by field.")
