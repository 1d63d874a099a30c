"""What sla-monitor concludes, on the SLA topic; and the delivery facts the notifier reports.

Deadline events (``update_due``, ``at_risk``, ``breached``) are keyed by incident id, so
they stay in order with the incident's own events; service-wide events (burn-rate alerts,
reports) are keyed by service id. Each deadline event is published once per deadline: its
``deadline_id`` is stable, so a consumer can tell a redelivery from a new deadline.

Durations travel as ISO 8601 (``PT30M``), instants as RFC 3339 in UTC.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from candor_shared.contract import topics
from candor_shared.contract.durations import IsoDuration
from candor_shared.contract.envelope import EventData
from candor_shared.contract.incidents import Impact, ServiceRef

Term = Literal["acknowledge", "first_communication", "update", "restore"]
"""A response term of an agreement: time to acknowledge, time to first communication with
users, the update interval, time to restore."""

Zone = Literal["below", "within", "above"]
"""Availability below adequate, within the zone of tolerance, or at or above desired."""


class GroupRef(BaseModel):
    """A group of users with an agreement of its own for a service ("Finance department");
    None where a group may stand means the service's own agreement."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    name: str


class Deadline(BaseModel):
    """One promise with a date: ``term`` for ``incident_id`` falls due at ``due_at``."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    deadline_id: str = Field(description="Stable id of this deadline (one per term and round).")
    incident_id: str
    service: ServiceRef
    impact: Impact
    term: Term
    started_at: datetime = Field(description="When the clock of this term started.")
    due_at: datetime
    allowed: IsoDuration = Field(description="The agreed duration (ISO 8601).")
    business_hours_only: bool = False
    group: GroupRef | None = Field(
        default=None,
        description="Whose promise this is: a group's agreement; None: the service's own.",
    )


class SlaUpdateDue(EventData):
    """Users must hear from IT by ``deadline.due_at`` and no update has come yet.

    Published ``lead`` before the deadline, so that the notifier can send a holding update
    on time; ``last_communication_at`` is when users last heard (None: never)."""

    event_type = "candor.sla.update_due.v1"
    topic = topics.SLA

    deadline: Deadline
    lead: IsoDuration
    last_communication_at: datetime | None = None


class SlaAtRisk(EventData):
    """A share of a deadline (``scope`` = deadline) or of the service's error budget
    (``scope`` = error_budget) has been consumed; ``consumed`` is that share (0 to 1)."""

    event_type = "candor.sla.at_risk.v1"
    topic = topics.SLA

    scope: Literal["deadline", "error_budget"]
    service: ServiceRef
    consumed: float = Field(ge=0)
    threshold: float = Field(ge=0, le=1)
    deadline: Deadline | None = None
    period_start: datetime | None = None
    period_end: datetime | None = None
    group: GroupRef | None = Field(
        default=None, description="The group whose agreement this is; None: the service's own."
    )


class SlaBreached(EventData):
    """A term was broken: ``deadline.due_at`` passed before it was met. ``met_at`` is when it
    was met late (None while still unmet when the event was published); ``by`` how late."""

    event_type = "candor.sla.breached.v1"
    topic = topics.SLA

    deadline: Deadline
    by: IsoDuration
    met_at: datetime | None = None


class SlaBurnRateAlert(EventData):
    """A multi-window burn-rate alert of an availability objective started or stopped firing
    (Google SRE workbook: both the long and the short window burn faster than ``factor``)."""

    event_type = "candor.sla.burn_rate.v1"
    topic = topics.SLA

    service: ServiceRef
    status: Literal["firing", "resolved"]
    long_window: IsoDuration
    short_window: IsoDuration
    factor: float
    long_burn_rate: float
    short_burn_rate: float
    objective_percent: float
    at: datetime
    group: GroupRef | None = Field(
        default=None, description="The group whose agreement this is; None: the service's own."
    )


class TermCompliance(BaseModel):
    """How often one term was kept in a period: over incidents the term applied to."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    term: Term
    applicable: int = Field(ge=0)
    met: int = Field(ge=0)
    breached: int = Field(ge=0)
    pending: int = Field(ge=0, description="Still running at the report's time.")
    share_met: float | None = Field(
        default=None, description="met / (met + breached); None when nothing was decided."
    )


class ReportIncident(BaseModel):
    """An incident of the period, as the report tells it."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    impact: Impact
    started_at: datetime
    ended_at: datetime | None
    downtime: IsoDuration = Field(description="Counted within the period, weighted by impact.")
    acknowledged_at: datetime | None = None
    first_communication_at: datetime | None = None
    breached: list[Term] = Field(default_factory=list)


class ReportMaintenance(BaseModel):
    """A maintenance window of the period; ``excluded`` when announced with enough notice."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    title: str
    starts_at: datetime
    ends_at: datetime
    announced_at: datetime
    notice: IsoDuration
    excluded: bool
    late: bool = Field(description="Announced later than the agreed notice: counts as downtime.")


class ErrorBudget(BaseModel):
    """The downtime the adequate level allows in the period, and how much of it was used."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    allowed: IsoDuration
    consumed: IsoDuration
    remaining: IsoDuration
    consumed_share: float = Field(ge=0)


class DailyAvailability(BaseModel):
    """One local day of the period (in the agreement's timezone) and its availability."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    day: date
    percent: float = Field(ge=0, le=100)


class ServiceReport(BaseModel):
    """A service's standing over one period against its agreement."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    service: ServiceRef
    group: GroupRef | None = Field(
        default=None,
        description="The group of users whose agreement this report is against; None: the "
        "service's own agreement.",
    )
    period: str = Field(description="The calendar month, YYYY-MM, in the agreement's timezone.")
    timezone: str
    starts_at: datetime
    ends_at: datetime
    observed_until: datetime = Field(description="Facts are counted up to here.")
    final: bool = Field(description="The period is over: these figures will not change.")
    generated_at: datetime
    adequate_percent: float | None = None
    desired_percent: float | None = None
    availability_percent: float = Field(description="Of the observed part of the period.")
    zone: Zone | None = None
    measured_downtime: IsoDuration
    declared_downtime: IsoDuration
    perceived_downtime: IsoDuration | None = Field(
        default=None, description="From users' feedback; None until feedback exists."
    )
    excluded_maintenance: IsoDuration = timedelta(0)
    error_budget: ErrorBudget | None = None
    compliance: list[TermCompliance] = Field(default_factory=list)
    incidents: list[ReportIncident] = Field(default_factory=list)
    maintenance: list[ReportMaintenance] = Field(default_factory=list)
    daily: list[DailyAvailability] = Field(default_factory=list)


class SlaReportPublished(EventData):
    """A report was made (monthly when a period closes, and on demand)."""

    event_type = "candor.sla.report.v1"
    topic = topics.SLA

    report: ServiceReport
    requested_by: str | None = Field(default=None, description="None: the monthly schedule.")


class SlaReportRequested(EventData):
    """An operator asked for a service's report of a month (incident-api publishes it,
    sla-monitor answers with :class:`SlaReportPublished`)."""

    event_type = "candor.sla.report_requested.v1"
    topic = topics.SLA

    service: ServiceRef
    period: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    requested_by: str
    group: GroupRef | None = Field(
        default=None, description="Against this group's agreement; None: the service's own."
    )


NoticeKind = Literal["opened", "update", "holding", "resolved", "reopened", "report"]


class NoticeDelivered(EventData):
    """The notifier delivered a notice about an incident: users of the incident started to
    be informed at ``first_delivered_at`` (the first recipient's successful delivery).

    Published once per notice; sla-monitor counts it as a communication with users."""

    event_type = "candor.notice.delivered.v1"
    topic = topics.DELIVERY

    incident_id: str
    service_slug: str
    kind: NoticeKind
    notice_id: str = Field(description="Stable id of the notice (the same for every recipient).")
    first_delivered_at: datetime
    recipients: int = Field(ge=0, description="Recipients delivered to when this was published.")


class NoticeSettled(EventData):
    """Where the deliveries of one notice stand: how many recipients it was for, how many
    were reached and how many could not be.

    Published by the notifier while the notice's deliveries settle and once more when none is
    left to try (``settled``); each one replaces the one before (``as_of`` orders them), so a
    consumer keeps one line per notice: "update sent to 1,204 recipients: 1,180 delivered,
    24 failed"."""

    event_type = "candor.notice.settled.v1"
    topic = topics.DELIVERY

    incident_id: str
    notice_id: str = Field(description="Stable id of the notice (the same for every recipient).")
    kind: NoticeKind | Literal["maintenance"]
    recipients: int = Field(ge=0, description="Recipients the notice was planned for.")
    delivered: int = Field(ge=0, description="Recipients reached on at least one channel.")
    failed: int = Field(
        ge=0, description="Recipients not reached on any channel, with nothing left to try."
    )
    settled: bool = Field(description="True when no delivery of the notice is left to try.")
    as_of: datetime


class EndpointQuarantined(EventData):
    """The notifier stopped delivering to a chat, webhook or Apprise endpoint that kept
    failing, until ``quarantined_until`` or until its owner gives a new URL.

    The endpoint is named by ``endpoint_key`` (a SHA-256 of its type and URL): URLs of chat
    webhooks are secrets and never travel. Keyed by the incident whose delivery tipped it, so
    that the incident's timeline tells operators."""

    event_type = "candor.endpoint.quarantined.v1"
    topic = topics.DELIVERY

    endpoint_key: str = Field(min_length=64, max_length=64)
    channel: str
    incident_id: str
    subscriber_ids: list[str] = Field(description="The subscribers who use the endpoint.")
    failures_in_a_row: int = Field(ge=1)
    failing_since: datetime
    quarantined_at: datetime
    quarantined_until: datetime | None = Field(
        description="When one delivery is tried again (None: only a new URL releases it)."
    )
    last_error: str
    deliveries_failed: int = Field(
        ge=0, description="Pending deliveries to the endpoint marked failed ('quarantined')."
    )


class EndpointReleased(EventData):
    """An operator released a quarantined endpoint: the notifier forgets its failures and
    tries it with the next delivery. On the catalog topic (the notifier reads it), keyed by
    the endpoint's key."""

    event_type = "candor.endpoint.released.v1"
    topic = topics.CATALOG

    endpoint_key: str = Field(pattern=r"^[0-9a-f]{64}$")
    released_by: str
