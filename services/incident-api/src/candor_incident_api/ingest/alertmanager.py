"""Prometheus Alertmanager webhook receiver, payload version 4.

See https://prometheus.io/docs/alerting/latest/configuration/#webhook_config. The alert
label ``service`` names the Candor service by its slug.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from candor_incident_api.ingest.model import InboundAlert, fingerprint_of

_EXAMPLE: dict[str, Any] = {
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

Labels = dict[str, str]

MAX_LABELS = 100
MAX_KEY_LENGTH = 256
MAX_VALUE_LENGTH = 4096


def _checked_labels(value: Labels) -> Labels:
    """Labels small enough to travel in one event, without NUL characters."""
    if len(value) > MAX_LABELS:
        raise ValueError(f"at most {MAX_LABELS} entries")
    for key, text in value.items():
        if len(key) > MAX_KEY_LENGTH or len(text) > MAX_VALUE_LENGTH:
            raise ValueError(
                f"{key[:40]!r}: names up to {MAX_KEY_LENGTH} and values up to "
                f"{MAX_VALUE_LENGTH} characters"
            )
        if "\x00" in key or "\x00" in text:
            raise ValueError(f"{key[:40]!r}: NUL characters are not allowed")
    return value


def _utc(value: datetime | None, *, absent_before_1971: bool) -> datetime | None:
    """The time in UTC, refusing what a database cannot store."""
    if value is None:
        return None
    if absent_before_1971 and value.year < 1971:
        return None
    try:
        converted = value.astimezone(UTC)
    except OverflowError:
        raise ValueError("outside the years 1971 to 9998") from None
    if not 1971 <= converted.year <= 9998:
        raise ValueError("outside the years 1971 to 9998")
    return converted


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

    _labels = field_validator("labels", "annotations")(_checked_labels)

    @field_validator("startsAt")
    @classmethod
    def _starts_in_range(cls, value: datetime) -> datetime:
        converted = _utc(value, absent_before_1971=False)
        assert converted is not None
        return converted

    @field_validator("endsAt")
    @classmethod
    def _ends_in_range(cls, value: datetime | None) -> datetime | None:
        # Alertmanager sends "0001-01-01T00:00:00Z" for "no end yet".
        return _utc(value, absent_before_1971=True)


class AlertmanagerPayload(BaseModel):
    """The body Alertmanager posts to a webhook receiver (version 4)."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [_EXAMPLE]})

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


def _real_time(value: datetime | None) -> datetime | None:
    # Alertmanager sends "0001-01-01T00:00:00Z" for "no end yet".
    if value is None or value.year < 1971:
        return None
    return value


def to_alerts(payload: AlertmanagerPayload) -> list[InboundAlert]:
    """Map every alert of the notification to the internal model."""
    alerts: list[InboundAlert] = []
    for alert in payload.alerts:
        summary = (
            alert.annotations.get("summary")
            or alert.annotations.get("description")
            or alert.labels.get("alertname")
            or "Alert"
        )
        alerts.append(
            InboundAlert(
                source="alertmanager",
                fingerprint=alert.fingerprint or fingerprint_of(alert.labels),
                status=alert.status,
                summary=summary[:500],
                starts_at=alert.startsAt,
                ends_at=_real_time(alert.endsAt),
                severity=alert.labels.get("severity", "")[:32],
                labels=dict(alert.labels),
                service_slug=alert.labels.get("service"),
            )
        )
    return alerts
