"""Datadog monitors through the Webhooks integration.

Datadog posts whatever body the webhook's *Payload* says, filled in from its ``$VARIABLES``
(https://docs.datadoghq.com/integrations/webhooks/). Paste :data:`WEBHOOK_TEMPLATE` as the
payload and add the custom header ``{"Authorization": "Bearer <integration key>"}``; mention
``@webhook-<name>`` in the monitor's message. Tags ``service:<slug>`` and
``component:<slug>`` (monitor tags or the alert scope) name the Candor service and component.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from candor_incident_api.ingest.model import InboundAlert, fingerprint_of
from candor_incident_api.ingest.sources.common import (
    MAX_LABELS,
    labels_from,
    no_nul,
    slug_or_none,
    summary_of,
)

WEBHOOK_TEMPLATE: dict[str, Any] = {
    "id": "$ID",
    "alert_id": "$ALERT_ID",
    "alert_cycle_key": "$ALERT_CYCLE_KEY",
    "aggreg_key": "$AGGREG_KEY",
    "alert_transition": "$ALERT_TRANSITION",
    "alert_type": "$ALERT_TYPE",
    "alert_priority": "$ALERT_PRIORITY",
    "alert_title": "$ALERT_TITLE",
    "alert_scope": "$ALERT_SCOPE",
    "alert_status": "$ALERT_STATUS",
    "alert_metric": "$ALERT_METRIC",
    "event_title": "$EVENT_TITLE",
    "event_type": "$EVENT_TYPE",
    "body": "$TEXT_ONLY_MSG",
    "date": "$DATE",
    "hostname": "$HOSTNAME",
    "tags": "$TAGS",
    "link": "$LINK",
    "org": {"id": "$ORG_ID", "name": "$ORG_NAME"},
}
"""The body to paste into the Datadog webhook's *Payload* field."""

WEBHOOK_TEMPLATE_JSON = json.dumps(WEBHOOK_TEMPLATE, indent=2)

# What the template gives for a monitor "Memory on mail servers" (values as Datadog's
# documentation illustrates each variable).
EXAMPLE: dict[str, Any] = {
    "id": "6893270914946318145",
    "alert_id": "1234",
    "alert_cycle_key": "6893270914946318144",
    "aggreg_key": "9bd4ac313a4d1e8fae2482df7b77628",
    "alert_transition": "Triggered",
    "alert_type": "error",
    "alert_priority": "P1",
    "alert_title": "[Triggered on {host:mx1}] Memory on mail servers",
    "alert_scope": "host:mx1",
    "alert_status": "system.mem.pct_usable over host:mx1 was < 0.05 on average during the last 5m",
    "alert_metric": "system.mem.pct_usable",
    "event_title": "[Triggered on {host:mx1}] Memory on mail servers",
    "event_type": "query_alert_monitor",
    "body": "Mail servers are running out of memory",
    "date": "1406662672000",
    "hostname": "mx1",
    "tags": "env:prod,service:email,team:messaging",
    "link": "https://app.datadoghq.com/event/event?id=6893270914946318145",
    "org": {"id": "123456", "name": "Example Org"},
}

Transition = Literal[
    "Triggered",
    "Re-Triggered",
    "Recovered",
    "Warn",
    "Re-Warn",
    "No Data",
    "Re-No Data",
    "Renotify",
    "Null",
]


class DatadogWebhook(BaseModel):
    """The body Datadog posts when its payload is :data:`WEBHOOK_TEMPLATE`."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [EXAMPLE]})

    alert_transition: Transition = Field(
        description="`Recovered` resolves; `Null` is ignored; every other value fires."
    )
    alert_id: str = Field(default="", max_length=64, description="The monitor's id.")
    alert_scope: str = Field(default="", max_length=4096, description="The group that alerts.")
    alert_cycle_key: str = Field(default="", max_length=128)
    aggreg_key: str = Field(default="", max_length=128)
    id: str = Field(default="", max_length=64)
    alert_type: str = Field(default="", max_length=32)
    alert_priority: str = Field(default="", max_length=32)
    alert_title: str = Field(default="", max_length=1024)
    alert_status: str = Field(default="", max_length=4096)
    alert_metric: str = Field(default="", max_length=1024)
    event_title: str = Field(default="", max_length=1024)
    event_type: str = Field(default="", max_length=128)
    body: str = Field(default="", max_length=65536)
    date: datetime = Field(description="$DATE: milliseconds since the epoch.")
    hostname: str = Field(default="", max_length=1024)
    tags: str = Field(default="", max_length=65536, description="$TAGS: `key:value,key:value`.")
    link: str = Field(default="", max_length=2048)

    _text = field_validator("alert_id", "alert_scope", "alert_title", "event_title", "tags")(no_nul)

    @field_validator("date", mode="before")
    @classmethod
    def _from_epoch_ms(cls, value: Any) -> Any:
        # $DATE is epoch milliseconds, and arrives as a string when quoted in the template.
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, int):
            try:
                return datetime.fromtimestamp(value / 1000, tz=UTC)
            except (OverflowError, OSError, ValueError):
                raise ValueError("not a time in milliseconds since 1970") from None
        return value

    @field_validator("date")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        if not 1971 <= value.astimezone(UTC).year <= 9998:
            raise ValueError("outside the years 1971 to 9998")
        return value.astimezone(UTC)


_TRANSITION_PREFIX = re.compile(
    r"^\[(?:Triggered|Re-Triggered|Recovered|Warn|Re-Warn|No Data|Re-No Data|Renotify)"
    r"(?: on [^\]]*)?\]\s*"
)


def _title(text: str) -> str:
    """The monitor's title without Datadog's ``[Triggered on {...}]`` prefix."""
    return _TRANSITION_PREFIX.sub("", text)


def _tags(text: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for raw in text.split(","):
        tag = raw.strip()
        if not tag:
            continue
        key, _, value = tag.partition(":")
        tags.setdefault(key.strip(), value.strip())
        if len(tags) >= MAX_LABELS:
            break
    return tags


def to_alerts(webhook: DatadogWebhook) -> list[InboundAlert]:
    """The monitor group's alert, firing or recovered (none for a `Null` transition)."""
    if webhook.alert_transition == "Null":
        return []
    tags = {**_tags(webhook.tags), **_tags(webhook.alert_scope)}
    labels = labels_from(
        tags,
        {
            "monitor_id": webhook.alert_id or None,
            "scope": webhook.alert_scope or None,
            "priority": webhook.alert_priority or None,
            "metric": webhook.alert_metric or None,
            "hostname": webhook.hostname or None,
            "link": webhook.link or None,
        },
    )
    if webhook.alert_id:
        fingerprint = fingerprint_of({"monitor": webhook.alert_id, "scope": webhook.alert_scope})
    else:
        fingerprint = fingerprint_of({"aggregate": webhook.aggreg_key or webhook.id})
    recovered = webhook.alert_transition == "Recovered"
    warning = webhook.alert_transition in ("Warn", "Re-Warn")
    return [
        InboundAlert(
            source="datadog",
            fingerprint=fingerprint,
            status="resolved" if recovered else "firing",
            summary=summary_of(
                _title(webhook.alert_title), _title(webhook.event_title), webhook.body
            ),
            starts_at=webhook.date,
            ends_at=webhook.date if recovered else None,
            severity="warning" if warning else (webhook.alert_type or "error")[:32],
            labels=labels,
            service_slug=slug_or_none(tags.get("service")),
            component_slug=slug_or_none(tags.get("component")),
        )
    ]
