"""Uptime Kuma's webhook notification (content type "application/json").

Uptime Kuma posts ``{"heartbeat": ..., "monitor": ..., "msg": ...}``
(server/notification-providers/webhook.js in louislam/uptime-kuma); the heartbeat's
``status`` is 0 down, 1 up, 2 pending, 3 maintenance and its ``time`` is UTC without an
offset. A test notification carries no heartbeat and is accepted without an alert. Monitor
tags ``service`` and ``component`` (with a value) name the Candor service and component.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from candor_incident_api.ingest.model import InboundAlert
from candor_incident_api.ingest.sources.common import (
    labels_from,
    no_nul,
    required_utc,
    slug_or_none,
    summary_of,
)

EXAMPLE: dict[str, Any] = {
    "heartbeat": {
        "monitorID": 29,
        "status": 0,
        "time": "2026-11-23 09:58:35.527",
        "msg": "getaddrinfo ENOTFOUND webmail.example.org",
        "important": True,
        "duration": 0,
        "timezone": "Europe/Berlin",
        "timezoneOffset": "+01:00",
        "localDateTime": "2026-11-23 10:58:35",
    },
    "monitor": {
        "id": 29,
        "name": "Webmail",
        "url": "https://webmail.example.org",
        "type": "http",
        "tags": [{"name": "service", "value": "email"}],
    },
    "msg": "[Webmail] [🔴 Down] getaddrinfo ENOTFOUND webmail.example.org",
}


class KumaHeartbeat(BaseModel):
    """The heartbeat that changed the monitor's state."""

    model_config = ConfigDict(extra="allow")

    monitorID: int
    status: Literal[0, 1, 2, 3] = Field(description="0 down, 1 up, 2 pending, 3 maintenance.")
    time: datetime = Field(description="UTC, `YYYY-MM-DD HH:mm:ss.SSS`.")
    msg: str | None = Field(default=None, max_length=65536)

    _time = field_validator("time")(required_utc)


class KumaTag(BaseModel):
    """A monitor tag (name and optional value)."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(max_length=256)
    value: str | None = Field(default=None, max_length=4096)


class KumaMonitor(BaseModel):
    """The monitor, as Uptime Kuma serialises it (only what Candor reads is declared)."""

    model_config = ConfigDict(extra="allow")

    id: int
    name: str = Field(max_length=1024)
    url: str | None = Field(default=None, max_length=4096)
    hostname: str | None = Field(default=None, max_length=1024)
    type: str | None = Field(default=None, max_length=64)
    tags: list[KumaTag | str] = Field(default_factory=list, max_length=100)

    _name = field_validator("name")(no_nul)


class UptimeKumaPayload(BaseModel):
    """The body of an Uptime Kuma webhook notification."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [EXAMPLE]})

    heartbeat: KumaHeartbeat | None = None
    monitor: KumaMonitor | None = None
    msg: str = Field(default="", max_length=65536)


def to_alerts(payload: UptimeKumaPayload) -> list[InboundAlert]:
    """Down fires, up resolves; pending, maintenance and test messages report nothing."""
    beat, monitor = payload.heartbeat, payload.monitor
    if beat is None or monitor is None or beat.status not in (0, 1):
        return []
    tags = {
        tag.name: tag.value or "" for tag in monitor.tags if isinstance(tag, KumaTag) and tag.name
    }
    labels = labels_from(
        tags,
        {
            "monitor": monitor.name,
            "monitor_id": monitor.id,
            "monitor_type": monitor.type,
            "url": monitor.url if monitor.url not in ("", "https://", "http://") else None,
            "hostname": monitor.hostname,
            "message": beat.msg,
        },
    )
    down = beat.status == 0
    return [
        InboundAlert(
            source="uptime-kuma",
            fingerprint=f"monitor-{monitor.id}",
            status="firing" if down else "resolved",
            summary=summary_of(f"{monitor.name} is down" if down else f"{monitor.name} is up"),
            starts_at=beat.time,
            ends_at=None if down else beat.time,
            severity="critical",
            labels=labels,
            service_slug=slug_or_none(tags.get("service")),
            component_slug=slug_or_none(tags.get("component")),
        )
    ]
