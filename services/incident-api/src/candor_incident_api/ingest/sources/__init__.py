"""The monitoring sources Candor accepts alerts from: one module each, registered here.

Each module has a pydantic payload model (the body the tool posts) and a pure
``to_alerts(payload)`` to the one internal alert model. Adding a source is one new module
and one entry in :data:`SOURCES` (plus its name in :data:`SourceName`); its route
``POST /v1/ingest/<name>`` and its integration type follow from the entry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, get_args

from pydantic import BaseModel

from candor_incident_api.ingest.model import InboundAlert
from candor_incident_api.ingest.sources import (
    alertmanager,
    azure_monitor,
    cloudwatch,
    datadog,
    generic,
    grafana,
    pagerduty,
    uptime_kuma,
)

SourceName = Literal[
    "alertmanager",
    "grafana",
    "pagerduty",
    "datadog",
    "uptime-kuma",
    "azure-monitor",
    "cloudwatch",
    "generic",
]

Auth = Literal["bearer", "bearer_or_query", "routing_key"]
"""How a source presents its integration key: ``Authorization: Bearer <key>``; that or a
``?key=`` query parameter (tools that cannot set headers); PagerDuty's ``routing_key``."""


@dataclass(frozen=True)
class Source:
    """A monitoring source: its payload, its mapping, how it authenticates, how to set it up."""

    name: str
    title: str
    payload: type[BaseModel]
    to_alerts: Callable[[Any], list[InboundAlert]]
    auth: Auth
    setup: str
    """Markdown for the route's OpenAPI description: how to point the tool at Candor."""
    reference: str
    """The tool's own documentation of what it sends."""
    own_route: bool = False
    """The route is written by hand (PagerDuty's answers, SNS's envelope) instead of generated."""


SOURCES: dict[str, Source] = {
    "alertmanager": Source(
        name="alertmanager",
        title="Prometheus Alertmanager webhook (payload version 4)",
        payload=alertmanager.AlertmanagerPayload,
        to_alerts=alertmanager.to_alerts,
        auth="bearer",
        setup=(
            "Point an Alertmanager `webhook_configs` receiver here with "
            "`http_config.authorization.credentials` set to the integration key "
            "(`send_resolved: true`). The alert label `service` names the service by its "
            "slug and `component` its component (or the integration's default service "
            "applies)."
        ),
        reference="https://prometheus.io/docs/alerting/latest/configuration/#webhook_config",
    ),
    "grafana": Source(
        name="grafana",
        title="Grafana unified alerting webhook contact point",
        payload=grafana.GrafanaPayload,
        to_alerts=grafana.to_alerts,
        auth="bearer",
        setup=(
            "Add a *Webhook* contact point with this URL; under *Optional settings* set "
            "*Authorization Header - Credentials* to the integration key. The alert labels "
            "`service` and `component` name the service and component. If the integration "
            "has a signing secret, either sign as described for all sources, or set the "
            "contact point's *HMAC Signature*: *Secret* = the signing secret, *Header* = "
            "`X-Grafana-Alerting-Signature` (the default), *Timestamp Header* = "
            "`X-Grafana-Alerting-Timestamp` (required: without a timestamp a signature "
            "could be replayed forever)."
        ),
        reference=(
            "https://grafana.com/docs/grafana/latest/alerting/configure-notifications/"
            "manage-contact-points/integrations/webhook-notifier/"
        ),
    ),
    "pagerduty": Source(
        name="pagerduty",
        title="PagerDuty Events API v2",
        payload=pagerduty.PagerDutyEvent,
        to_alerts=pagerduty.to_alerts,
        auth="routing_key",
        setup=(
            "Anything that sends PagerDuty Events API v2 events can send them here "
            "unchanged: replace `https://events.pagerduty.com/v2/enqueue` by "
            "`<candor>/v2/enqueue` (or `/v1/ingest/pagerduty`) and use the integration "
            "key as `routing_key` (import your existing routing key as the integration's "
            "`key` to change nothing but the URL). `trigger`, `acknowledge` and `resolve` "
            "work as in PagerDuty; the answers are PagerDuty's (202 with `dedup_key`, 400 "
            "`invalid event` with `errors`). `custom_details.service` names the service."
        ),
        reference="https://developer.pagerduty.com/docs/events-api-v2/trigger-events/",
        own_route=True,
    ),
    "datadog": Source(
        name="datadog",
        title="Datadog webhook",
        payload=datadog.DatadogWebhook,
        to_alerts=datadog.to_alerts,
        auth="bearer",
        setup=(
            "In Datadog's Webhooks integration add a webhook with this URL, the custom "
            'header `{"Authorization": "Bearer <integration key>"}` and this *Payload*:\n\n'
            f"```json\n{datadog.WEBHOOK_TEMPLATE_JSON}\n```\n\n"
            "then mention `@webhook-<name>` in the monitors' messages. Monitor tags "
            "`service:<slug>` and `component:<slug>` name the service and component. "
            "`Recovered` resolves; every other transition fires."
        ),
        reference="https://docs.datadoghq.com/integrations/webhooks/",
    ),
    "uptime-kuma": Source(
        name="uptime-kuma",
        title="Uptime Kuma webhook notification",
        payload=uptime_kuma.UptimeKumaPayload,
        to_alerts=uptime_kuma.to_alerts,
        auth="bearer",
        setup=(
            "Add a *Webhook* notification: *Post URL* this URL, *Request Body* "
            '"application/json", *Additional Headers* `{"Authorization": "Bearer '
            '<integration key>"}`. A monitor tag `service` (with the slug as value) '
            "names the service, `component` the component. Down fires, up resolves; the "
            "test message is accepted and ignored."
        ),
        reference=(
            "https://github.com/louislam/uptime-kuma/blob/master/server/"
            "notification-providers/webhook.js"
        ),
    ),
    "azure-monitor": Source(
        name="azure-monitor",
        title="Azure Monitor alert (common alert schema)",
        payload=azure_monitor.AzureMonitorAlert,
        to_alerts=azure_monitor.to_alerts,
        auth="bearer_or_query",
        setup=(
            "In an action group add a *Webhook* action with URI "
            "`<candor>/v1/ingest/azure-monitor?key=<integration key>` (an action group "
            "cannot send headers) and *Enable the common alert schema*. Custom properties "
            "`service` and `component` on the alert rule name the service and component. "
            "`Fired` fires, `Resolved` resolves."
        ),
        reference="https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-common-schema",
    ),
    "cloudwatch": Source(
        name="cloudwatch",
        title="AWS CloudWatch alarm via SNS",
        payload=cloudwatch.SnsMessage,
        to_alerts=cloudwatch.to_alerts,
        auth="bearer_or_query",
        setup=(
            "Subscribe this URL (HTTPS, `?key=<integration key>`: SNS sends no headers) to "
            "the SNS topic of your alarms' actions. The subscription confirmation is kept "
            "and listed at `GET /v1/integrations/{id}/sns-confirmations`; an admin confirms "
            "it there. Every message's SNS signature is checked (certificate from "
            "`SigningCertURL`, which must be HTTPS on `sns.<region>.amazonaws.com`). "
            "`ALARM` fires, `OK` resolves; an alarm dimension `service` names the service."
        ),
        reference="https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html",
        own_route=True,
    ),
    "generic": Source(
        name="generic",
        title="Candor's generic JSON alert format",
        payload=generic.GenericPayload,
        to_alerts=generic.to_alerts,
        auth="bearer",
        setup=(
            "For scripts and tools without a ready-made integration (the Zabbix and "
            "Icinga/Nagios scripts in `deploy/integrations/` send it): "
            '`{"alerts": [{"id", "status": "firing|resolved", "service", "component", '
            '"severity", "summary", "labels", "starts_at", "ends_at"}]}` or one alert '
            "object. The same `id` (or `dedup_key`) again is the same alert; `resolved` "
            "resolves it. Times are ISO 8601 with an offset and default to when received."
        ),
        reference='README.md, section "Supported sources"',
    ),
}

SOURCE_NAMES: tuple[str, ...] = get_args(SourceName)

if set(SOURCE_NAMES) != set(SOURCES):  # pragma: no cover - a registration mistake
    raise RuntimeError("SourceName and SOURCES must name the same sources")

__all__ = ["SOURCES", "SOURCE_NAMES", "Auth", "Source", "SourceName"]
