"""Example payloads, shaped as the monitoring tools document them."""

from __future__ import annotations

from typing import Any


def alertmanager(
    *,
    status: str = "firing",
    fingerprint: str = "c6b2f1e0a7d34b55",
    service: str | None = "email",
    alertname: str = "MailQueueStuck",
    summary: str = "Outgoing mail is not being delivered",
    starts_at: str = "2026-11-23T09:58:00Z",
    ends_at: str = "0001-01-01T00:00:00Z",
    severity: str = "critical",
    extra_alerts: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """An Alertmanager webhook notification (version 4) with one alert, or more."""
    labels = {"alertname": alertname, "severity": severity, "instance": "mx1:9100"}
    if service is not None:
        labels["service"] = service
    alert = {
        "status": status,
        "labels": labels,
        "annotations": {"summary": summary},
        "startsAt": starts_at,
        "endsAt": ends_at,
        "generatorURL": "http://prometheus.example.org:9090/graph?g0.expr=up",
        "fingerprint": fingerprint,
    }
    return {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{alertname}"}}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "candor",
        "groupLabels": {"alertname": alertname},
        "commonLabels": labels,
        "commonAnnotations": {"summary": summary},
        "externalURL": "http://alertmanager.example.org:9093",
        "alerts": [alert, *(extra_alerts or [])],
    }
