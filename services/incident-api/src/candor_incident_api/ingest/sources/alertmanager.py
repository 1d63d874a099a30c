"""Prometheus Alertmanager webhook receiver, payload version 4.

See https://prometheus.io/docs/alerting/latest/configuration/#webhook_config. The alert
label ``service`` names the Candor service by its slug, ``component`` its component.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from candor_incident_api.ingest.model import InboundAlert, fingerprint_of
from candor_incident_api.ingest.sources.common import (
    Labels,
    checked_labels,
    required_utc,
    summary_of,
    utc,
)

EXAMPLE: dict[str, Any] = {
    "version": "4",
    "groupKey": '{}:{alertname="MailQueueStuck"}',
    "truncatedAlerts": 0,
    "status": "firing",
    "receiver": "candor",
    "groupLabels": {"alertname": "MailQueueStuck"},
    "commonLabels": {"alertname": "MailQueueStuck", "service": "email", "severity": "critical"},
    "commonAnnotations": {"summary": "Outgoing mail is not being delivered"},
    "externalURL": "http://alertmanager.example.org:9093",
    "alerts": [
        {
            "status": "firing",
            "labels": {
                "alertname": "MailQueueStuck",
                "service": "email",
                "severity": "critical",
                "instance": "mx1:9100",
            },
            "annotations": {"summary": "Outgoing mail is not being delivered"},
            "startsAt": "2026-11-23T09:58:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.example.org:9090/graph?g0.expr=...",
            "fingerprint": "c6b2f1e0a7d34b55",
        }
    ],
}


class AlertmanagerAlert(BaseModel):
    """One alert of a webhook notification."""

    model_config = ConfigDict(extra="allow")

    status: Literal["firing", "resolved"]
    labels: Labels = Field(max_length=200)
    annotations: Labels = Field(default_factory=dict, max_length=200)
    startsAt: AwareDatetime
    endsAt: AwareDatetime | None = None
    generatorURL: str = ""
    fingerprint: str = Field(default="", max_length=128, pattern=r"^[^\x00]*$")

    _labels = field_validator("labels", "annotations")(checked_labels)

    @field_validator("startsAt")
    @classmethod
    def _starts_in_range(cls, value: datetime) -> datetime:
        return required_utc(value)

    @field_validator("endsAt")
    @classmethod
    def _ends_in_range(cls, value: datetime | None) -> datetime | None:
        # Alertmanager sends "0001-01-01T00:00:00Z" for "no end yet".
        return utc(value, absent_before_1971=True)


class AlertmanagerPayload(BaseModel):
    """The body Alertmanager posts to a webhook receiver (version 4)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [EXAMPLE]})

    version: Literal["4"]
    groupKey: str = ""
    truncatedAlerts: int = 0
    status: Literal["firing", "resolved"]
    receiver: str = ""
    groupLabels: Labels = Field(default_factory=dict)
    commonLabels: Labels = Field(default_factory=dict)
    commonAnnotations: Labels = Field(default_factory=dict)
    externalURL: str = ""
    alerts: list[AlertmanagerAlert] = Field(min_length=1, max_length=5000)


def alert_of(alert: AlertmanagerAlert, *, source: str) -> InboundAlert:
    """One Alertmanager-shaped alert (Alertmanager's or Grafana's) in the internal model."""
    return InboundAlert(
        source=source,
        fingerprint=alert.fingerprint or fingerprint_of(alert.labels),
        status=alert.status,
        summary=summary_of(
            alert.annotations.get("summary"),
            alert.annotations.get("description"),
            alert.labels.get("alertname"),
        ),
        starts_at=alert.startsAt,
        ends_at=alert.endsAt,
        severity=alert.labels.get("severity", "")[:32],
        labels=dict(alert.labels),
        service_slug=alert.labels.get("service"),
        component_slug=alert.labels.get("component"),
    )


def to_alerts(payload: AlertmanagerPayload) -> list[InboundAlert]:
    """Map every alert of the notification to the internal model."""
    return [alert_of(alert, source="alertmanager") for alert in payload.alerts]
