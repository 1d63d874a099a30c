"""Datadog webhook bodies, as Candor's payload template makes Datadog send them."""

from __future__ import annotations

from typing import Any


def triggered() -> dict[str, Any]:
    """Candor's template (candor_incident_api.ingest.sources.datadog.WEBHOOK_TEMPLATE) filled in
    with the example value Datadog's documentation gives for each variable
    (https://docs.datadoghq.com/integrations/webhooks/#variables). Datadog gives no example for
    $ID, $ALERT_CYCLE_KEY, $HOSTNAME, $LINK, $TAGS and $ORG_*: those are made up here."""
    return {
        "id": "1234567890123456789",
        "alert_id": "1234",
        "alert_cycle_key": "7053261947651268347",
        "aggreg_key": "9bd4ac313a4d1e8fae2482df7b77628",
        "alert_transition": "Triggered",
        "alert_type": "error",
        "alert_priority": "P1",
        "alert_title": "[Triggered on {host:ip-012345}] Host is Down",
        "alert_scope": "availability-zone:us-east-1a, role:computing-node",
        "alert_status": "system.load.1 over host:my-host was > 0 at least once during the last 1m",
        "alert_metric": "system.load.1",
        "event_title": "[Triggered] [Memory Alert]",
        "event_type": "metric_alert_monitor",
        "body": "@webhook-url Sending to the webhook",
        "date": "1406662672000",
        "hostname": "ip-012345",
        "tags": "monitor,role:computing-node",
        "link": "https://app.datadoghq.com/event/event?id=1234567890123456789",
        "org": {"id": "123456", "name": "Example Org"},
    }


def recovered() -> dict[str, Any]:
    """The same monitor group recovering five minutes later (changed: transition, type,
    titles, date)."""
    body = triggered()
    body.update(
        alert_transition="Recovered",
        alert_type="success",
        alert_title="[Recovered on {host:ip-012345}] Host is Down",
        event_title="[Recovered] [Memory Alert]",
        date="1406662972000",
    )
    return body
