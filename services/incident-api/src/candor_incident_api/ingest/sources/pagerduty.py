"""PagerDuty Events API v2: anything that can page PagerDuty can report to Candor unchanged.

See https://developer.pagerduty.com/docs/events-api-v2/trigger-events/. ``routing_key`` is the
integration key; ``trigger`` fires, ``acknowledge`` acknowledges and ``resolve`` resolves the
alert named by ``dedup_key`` (generated for a trigger without one, and returned).
``payload.source``, ``component``, ``group``, ``class`` and ``custom_details`` become labels;
a ``service`` entry of ``custom_details`` names the Candor service.

Times are Candor's: every action is dated when it is received, as PagerDuty orders events by
arrival. The sender's ``payload.timestamp`` is kept as the ``pagerduty_timestamp`` label only:
acknowledge and resolve carry no timestamp, so mixing the sender's clock (trigger) with ours
(resolve) would make a sender running ahead have its resolves ignored as older than the
firing, and one running behind have its re-triggers taken for stale.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from candor_incident_api.ingest.model import InboundAlert
from candor_incident_api.ingest.sources.common import (
    fingerprint_from_key,
    labels_from,
    no_nul,
    slug_or_none,
    summary_of,
    utc,
)
from candor_shared.clock import utcnow

EXAMPLE: dict[str, Any] = {
    "payload": {
        "summary": "DISK at 99% on machine prod-datapipe03.example.com",
        "timestamp": "2026-11-23T08:42:58.315+0000",
        "severity": "critical",
        "source": "prod-datapipe03.example.com",
        "component": "mysql",
        "group": "prod-datapipe",
        "class": "disk",
        "custom_details": {"service": "payroll", "free space": "1%"},
    },
    "routing_key": "e93facc04764012d7bfb002500d5d1a6",
    "dedup_key": "srv01/mysql",
    "event_action": "trigger",
    "client": "Sample Monitoring Service",
    "client_url": "https://monitoring.service.com",
}


class PagerDutyPayload(BaseModel):
    """The ``payload`` of a trigger event (PagerDuty Common Event Format)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    summary: str = Field(min_length=1, max_length=1024)
    source: str = Field(min_length=1, max_length=1024)
    severity: Literal["critical", "error", "warning", "info"]
    timestamp: datetime | None = None
    component: str | None = Field(default=None, max_length=1024)
    group: str | None = Field(default=None, max_length=1024)
    event_class: str | None = Field(default=None, alias="class", max_length=1024)
    custom_details: dict[str, Any] | str | None = None

    _text = field_validator("summary", "source")(no_nul)

    @field_validator("timestamp")
    @classmethod
    def _in_range(cls, value: datetime | None) -> datetime | None:
        return utc(value)


class PagerDutyEvent(BaseModel):
    """An Events API v2 alert event, as posted to ``https://events.pagerduty.com/v2/enqueue``."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [EXAMPLE]})

    routing_key: str = Field(min_length=1, max_length=200)
    event_action: Literal["trigger", "acknowledge", "resolve"]
    dedup_key: str | None = Field(default=None, min_length=1, max_length=255)
    payload: PagerDutyPayload | None = None
    client: str | None = Field(default=None, max_length=1024)
    client_url: str | None = Field(default=None, max_length=2048)
    links: list[dict[str, Any]] = Field(default_factory=list, max_length=50)
    images: list[dict[str, Any]] = Field(default_factory=list, max_length=50)

    _received_at: datetime = PrivateAttr(default_factory=utcnow)

    @field_validator("dedup_key")
    @classmethod
    def _key_storable(cls, value: str | None) -> str | None:
        return value if value is None else no_nul(value)

    @model_validator(mode="after")
    def _complete(self) -> Self:
        if self.event_action == "trigger":
            if self.payload is None:
                raise ValueError("'payload' is required for a trigger event")
            if self.dedup_key is None:
                # As PagerDuty does: a trigger without a key opens a new alert under a
                # generated key, returned in the answer for the acknowledge and resolve.
                self.dedup_key = str(uuid.uuid4())
        elif self.dedup_key is None:
            raise ValueError(f"'dedup_key' is required for a {self.event_action} event")
        return self


def to_alerts(event: PagerDutyEvent) -> list[InboundAlert]:
    """The one alert an event is about, dated when it was received (module docstring)."""
    assert event.dedup_key is not None  # set by validation for every action
    received_at = event._received_at
    fingerprint = fingerprint_from_key(event.dedup_key)
    details = event.payload
    if event.event_action != "trigger" or details is None:
        status: Literal["acknowledged", "resolved"] = (
            "acknowledged" if event.event_action == "acknowledge" else "resolved"
        )
        return [
            InboundAlert(
                source="pagerduty",
                fingerprint=fingerprint,
                status=status,
                summary=summary_of(f"PagerDuty {event.event_action}: {event.dedup_key}"),
                starts_at=received_at,
                ends_at=received_at if status == "resolved" else None,
                labels={"dedup_key": event.dedup_key},
            )
        ]
    custom = details.custom_details if isinstance(details.custom_details, dict) else {}
    labels = labels_from(
        custom,
        {
            "source": details.source,
            "component": details.component,
            "group": details.group,
            "class": details.event_class,
            "client": event.client,
            "dedup_key": event.dedup_key,
            "pagerduty_timestamp": details.timestamp.isoformat() if details.timestamp else None,
        },
    )
    return [
        InboundAlert(
            source="pagerduty",
            fingerprint=fingerprint,
            status="firing",
            summary=summary_of(details.summary),
            starts_at=received_at,
            severity=details.severity,
            labels=labels,
            service_slug=slug_or_none(labels.get("service")),
            component_slug=slug_or_none(labels.get("component")),
        )
    ]
