"""Candor's own JSON format, for scripts and tools without a ready-made integration.

``{"alerts": [alert, ...]}`` or a single alert object. An alert is identified by ``id`` (or
``dedup_key``): the same id again is the same alert; ``status`` ``resolved`` resolves it.
The ready-made Zabbix and Icinga/Nagios scripts in ``deploy/integrations/`` send this format.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from candor_incident_api.ingest.model import InboundAlert, fingerprint_of
from candor_incident_api.ingest.sources.common import (
    SLUG_PATTERN,
    Labels,
    checked_labels,
    fingerprint_from_key,
    no_nul,
    required_utc,
    utc,
)
from candor_shared.clock import utcnow

EXAMPLE_FIRING: dict[str, Any] = {
    "alerts": [
        {
            "id": "zabbix-event-4711",
            "status": "firing",
            "service": "email",
            "component": "outgoing-mail",
            "severity": "critical",
            "summary": "Outgoing mail is not being delivered",
            "labels": {"host": "mx1.example.org", "trigger": "Mail queue > 500"},
            "starts_at": "2025-11-24T09:58:00Z",
        }
    ]
}
EXAMPLE_RESOLVED: dict[str, Any] = {
    "id": "zabbix-event-4711",
    "status": "resolved",
    "service": "email",
    "summary": "Outgoing mail is not being delivered",
    "ends_at": "2025-11-24T10:20:00Z",
}


class GenericAlert(BaseModel):
    """One alert in Candor's generic format."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="The alert's identity: the same id again is the same alert.",
    )
    dedup_key: str | None = Field(
        default=None, min_length=1, max_length=255, description="Another name for `id`."
    )
    status: Literal["firing", "resolved"] = "firing"
    service: str | None = Field(default=None, pattern=SLUG_PATTERN, description="Service slug.")
    component: str | None = Field(
        default=None, pattern=SLUG_PATTERN, description="Component slug within the service."
    )
    severity: str = Field(default="", max_length=32, examples=["critical", "warning"])
    summary: str = Field(min_length=1, max_length=500, description="What is wrong, in one line.")
    labels: Labels = Field(default_factory=dict, description="Anything routing rules may match.")
    starts_at: AwareDatetime = Field(
        default_factory=utcnow, description="ISO 8601 with offset; default: when received."
    )
    ends_at: AwareDatetime | None = Field(
        default=None, description="For `resolved`: when it ended; default: when received."
    )

    _labels = field_validator("labels")(checked_labels)
    _text = field_validator("summary")(no_nul)

    @field_validator("id", "dedup_key")
    @classmethod
    def _key_storable(cls, value: str | None) -> str | None:
        return value if value is None else no_nul(value)

    @field_validator("starts_at")
    @classmethod
    def _starts(cls, value: datetime) -> datetime:
        return required_utc(value)

    @field_validator("ends_at")
    @classmethod
    def _ends(cls, value: datetime | None) -> datetime | None:
        return utc(value)

    @model_validator(mode="after")
    def _one_identity(self) -> Self:
        if self.id and self.dedup_key and self.id != self.dedup_key:
            raise ValueError("'id' and 'dedup_key' name the same thing; send one of them")
        return self


class GenericPayload(BaseModel):
    """A batch of alerts; a single alert object is accepted as a batch of one."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [EXAMPLE_FIRING, {"alerts": [EXAMPLE_RESOLVED]}]},
    )

    alerts: list[GenericAlert] = Field(min_length=1, max_length=5000)

    @model_validator(mode="before")
    @classmethod
    def _single_alert(cls, data: Any) -> Any:
        if isinstance(data, dict) and "alerts" not in data:
            return {"alerts": [data]}
        return data


def to_alerts(payload: GenericPayload) -> list[InboundAlert]:
    """Every alert of the batch in the internal model."""
    alerts: list[InboundAlert] = []
    for alert in payload.alerts:
        key = alert.id or alert.dedup_key
        if key:
            fingerprint = fingerprint_from_key(key)
        else:
            fingerprint = fingerprint_of(
                {**alert.labels, "~service": alert.service or "", "~summary": alert.summary}
            )
        labels = dict(alert.labels)
        if alert.service:
            labels.setdefault("service", alert.service)
        if alert.component:
            labels.setdefault("component", alert.component)
        alerts.append(
            InboundAlert(
                source="generic",
                fingerprint=fingerprint,
                status=alert.status,
                summary=alert.summary,
                starts_at=alert.starts_at,
                ends_at=alert.ends_at if alert.status == "resolved" else None,
                severity=alert.severity,
                labels=labels,
                service_slug=alert.service,
                component_slug=alert.component,
            )
        )
    return alerts
