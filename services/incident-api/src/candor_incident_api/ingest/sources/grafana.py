"""Grafana unified alerting, webhook contact point (payload version 1).

The body is Alertmanager's with Grafana's additions (``orgId``, ``title``, ``state``,
``message``; per alert ``values``, ``silenceURL``, ``imageURL``); see
https://grafana.com/docs/grafana/latest/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/.
Grafana can sign the body (HMAC-SHA256, hex, header ``X-Grafana-Alerting-Signature``,
optionally ``<timestamp>:<body>`` with a timestamp header): see ``ingest/guard.py``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from candor_incident_api.ingest.model import InboundAlert
from candor_incident_api.ingest.sources.alertmanager import AlertmanagerAlert, alert_of
from candor_incident_api.ingest.sources.common import Labels

EXAMPLE: dict[str, Any] = {
    "receiver": "candor",
    "status": "firing",
    "orgId": 1,
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "High memory usage", "service": "email", "zone": "us-1"},
            "annotations": {"summary": "Mail servers are running out of memory"},
            "startsAt": "2026-11-23T09:51:03.157076+02:00",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "https://grafana.example.org/alerting/1afz29v7z/edit",
            "fingerprint": "c6eadffa33fcdf37",
            "values": {"B": 94.2, "C": 1},
        }
    ],
    "groupLabels": {},
    "commonLabels": {"service": "email"},
    "commonAnnotations": {},
    "externalURL": "https://grafana.example.org/",
    "version": "1",
    "groupKey": "{}:{}",
    "truncatedAlerts": 0,
    "title": "[FIRING:1] (email)",
    "state": "alerting",
    "message": "**Firing** ...",
}


class GrafanaPayload(BaseModel):
    """The body of a Grafana webhook contact point."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [EXAMPLE]})

    receiver: str = ""
    status: str = Field(default="", max_length=32)
    orgId: int | None = None
    alerts: list[AlertmanagerAlert] = Field(min_length=1, max_length=5000)
    groupLabels: Labels = Field(default_factory=dict)
    commonLabels: Labels = Field(default_factory=dict)
    commonAnnotations: Labels = Field(default_factory=dict)
    externalURL: str = ""
    version: str = Field(default="1", max_length=8)
    groupKey: str = ""
    truncatedAlerts: int = 0
    title: str = ""
    state: str = ""
    message: str = ""


def to_alerts(payload: GrafanaPayload) -> list[InboundAlert]:
    """Map every alert of the notification to the internal model."""
    return [alert_of(alert, source="grafana") for alert in payload.alerts]
