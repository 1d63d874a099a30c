"""What users said about an incident, on the incident topic (key = incident id), so that
an answer stays in order with the incident it is about.

An answer names its respondent by subscriber id only: no address and no free text travel
(the optional comment stays in incident-api, which erases it with the subscriber).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import Field, model_validator

from candor_shared.contract import topics
from candor_shared.contract.envelope import EventData
from candor_shared.contract.incidents import ServiceRef


class FeedbackReceived(EventData):
    """A respondent answered the feedback form of an incident, or changed their answer.

    One answer per respondent and incident: a later ``answered_at`` replaces an earlier
    one, so that a consumer can tell a redelivered or stale answer from a new one.
    """

    event_type = "candor.feedback.received.v1"
    topic = topics.INCIDENT

    incident_id: str
    service: ServiceRef = Field(description="The incident's service, the one the answer is on.")
    respondent: str = Field(description="The subscriber who answered (their id, no address).")
    kept_informed: int = Field(ge=1, le=7, description="How well they were kept informed (7 best).")
    disruption: int = Field(ge=1, le=7, description="How much the outage disrupted their work.")
    adequate_percent: float = Field(
        ge=0, le=100, description="The availability they consider adequate."
    )
    desired_percent: float = Field(ge=0, le=100, description="The availability they desire.")
    perceived_downtime: timedelta | None = Field(
        default=None, ge=timedelta(0), description="How long it felt down for them, if said."
    )
    answered_at: datetime

    @model_validator(mode="after")
    def _desired_not_below_adequate(self) -> FeedbackReceived:
        if self.desired_percent < self.adequate_percent:
            raise ValueError("desired_percent: at least adequate_percent")
        return self
