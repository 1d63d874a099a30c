"""Events about incidents and the alerts that open them, on the incident topic.

The record key is the incident id, so the events of one incident stay in order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from candor_shared.contract import topics
from candor_shared.contract.envelope import EventData

IncidentStatus = Literal["investigating", "identified", "monitoring", "resolved"]
Impact = Literal["none", "minor", "major", "critical"]


class ServiceRef(BaseModel):
    """A service as users know it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    slug: str
    name: str


class AffectedService(BaseModel):
    """One service an incident affects, with how badly and through which components."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    service: ServiceRef
    impact: Impact
    components: list[str] = Field(default_factory=list)
    via: str | None = Field(
        default=None,
        description="For impact through a dependency: the slug of the service it depends on.",
    )
    wording: str = Field(default="", description="What this impact means, in users' words.")


class IncidentSnapshot(BaseModel):
    """The state of an incident right after the change an event reports.

    ``version`` grows by one with every change, so a consumer can tell a stale event from
    a newer one even if two arrive out of order.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    version: int = Field(ge=1)
    service: ServiceRef
    status: IncidentStatus
    impact: Impact
    title: str
    summary: str = ""
    started_at: datetime = Field(description="When the trouble began, as monitoring saw it.")
    opened_at: datetime = Field(description="When Candor opened the incident.")
    resolved_at: datetime | None = Field(
        default=None, description="When the trouble ended, as monitoring (or an operator) saw it."
    )
    firing_alerts: int = Field(ge=0)
    component: str | None = Field(
        default=None, description="Slug of the component where the trouble began, if known."
    )
    impacts: list[AffectedService] = Field(
        default_factory=list,
        description="Every service users feel this incident on, directly or via a dependency.",
    )
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    public_message: str = Field(
        default="", description="The latest message for users, in their words."
    )
    next_update_at: datetime | None = Field(
        default=None, description="When operators promised the next update."
    )
    reopened: int = Field(default=0, ge=0, description="How often it came back after resolving.")


class IncidentOpened(EventData):
    """A new incident was opened (by an alert or an operator)."""

    event_type = "candor.incident.opened.v1"
    topic = topics.INCIDENT

    incident: IncidentSnapshot
    opened_by: Literal["alert", "operator"] = "alert"


class IncidentResolved(EventData):
    """An incident was resolved: its last alert cleared, or an operator resolved it."""

    event_type = "candor.incident.resolved.v1"
    topic = topics.INCIDENT

    incident: IncidentSnapshot
    resolved_by: Literal["alert", "operator"] = "alert"


class IncidentReopened(EventData):
    """A resolved incident came back within its service's flap window: same incident again."""

    event_type = "candor.incident.reopened.v1"
    topic = topics.INCIDENT

    incident: IncidentSnapshot
    previous_resolved_at: datetime


UpdateKind = Literal["update", "acknowledged", "status", "impact", "note"]


class IncidentUpdated(EventData):
    """Operators changed an open incident: a public update, an acknowledgement, a new status
    or impact. ``public_message`` is empty for changes users need not hear about."""

    event_type = "candor.incident.updated.v1"
    topic = topics.INCIDENT

    incident: IncidentSnapshot
    kind: UpdateKind
    actor: str
    public_message: str = ""
    next_update_at: datetime | None = None


class FollowUpAction(BaseModel):
    """One thing that will be done so that the incident does not happen again."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    number: int = Field(ge=1, description="Its place in the report's list, from 1.")
    action: str = Field(description="What will be done, in users' words.")
    done_at: datetime | None = Field(default=None, description="When it was done, if it was.")


class ReportTimelineEntry(BaseModel):
    """One thing users were told during the incident (public messages only, never notes)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    at: datetime
    kind: str = Field(description="opened, update, resolved, reopened, …")
    message: str


class IncidentReportPublished(EventData):
    """The post-incident report, for the users the incident affected: what happened, why,
    what was done, and what will be done so that it does not happen again.

    ``published_by`` is ``automatic`` when incident-api published the facts known so far a
    configured time after the resolution, without an operator's words.
    """

    event_type = "candor.incident.report_published.v1"
    topic = topics.INCIDENT

    incident: IncidentSnapshot
    published_at: datetime
    published_by: Literal["operator", "automatic"]
    impact: str = Field(default="", description="What users could not do, in their words.")
    cause: str = ""
    what_was_done: str = ""
    follow_ups: list[FollowUpAction] = Field(default_factory=list)
    timeline: list[ReportTimelineEntry] = Field(default_factory=list)


class IncidentReportActionDone(EventData):
    """A follow-up action of a published post-incident report was done: the users the
    incident affected hear of it."""

    event_type = "candor.incident.report_action_done.v1"
    topic = topics.INCIDENT

    incident: IncidentSnapshot
    action: FollowUpAction
    remaining: int = Field(ge=0, description="Follow-up actions of the report still to do.")


class AlertFired(EventData):
    """A monitoring alert started firing (or fired again after clearing)."""

    event_type = "candor.alert.fired.v1"
    topic = topics.INCIDENT

    incident_id: str
    service_slug: str
    source: str
    fingerprint: str
    summary: str
    severity: str = ""
    starts_at: datetime
    labels: dict[str, str] = {}


class AlertResolved(EventData):
    """A monitoring alert cleared."""

    event_type = "candor.alert.resolved.v1"
    topic = topics.INCIDENT

    incident_id: str
    service_slug: str
    source: str
    fingerprint: str
    starts_at: datetime
    ends_at: datetime
