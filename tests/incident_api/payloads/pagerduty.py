# ruff: noqa: E501 (documented payloads are kept verbatim)
"""PagerDuty Events API v2 events."""

from __future__ import annotations

from typing import Any

# The integration key of PagerDuty's own example; tests import it as the integration's key,
# so the documented events are posted unchanged.
ROUTING_KEY = "e93facc04764012d7bfb002500d5d1a6"


def trigger() -> dict[str, Any]:
    """Verbatim: the request example of PagerDuty's Events API v2 OpenAPI document
    (PagerDuty/api-schema, reference/events-v2/openapiv3.json, "Example Event Body";
    https://developer.pagerduty.com/api-reference/368ae3d938c9e-send-an-event-to-pager-duty).
    """
    return {
        "payload": {
            "summary": "DISK at 99% on machine prod-datapipe03.example.com",
            "timestamp": "2015-07-17T08:42:58.315+0000",
            "severity": "critical",
            "source": "prod-datapipe03.example.com",
            "component": "mysql",
            "group": "prod-datapipe",
            "class": "disk",
            "custom_details": {"free space": "1%", "ping time": "1500ms", "load avg": 0.75},
        },
        "routing_key": ROUTING_KEY,
        "dedup_key": "srv01/mysql",
        "event_action": "trigger",
        "client": "Sample Monitoring Service",
        "client_url": "https://monitoring.service.com",
        "links": [{"href": "http://pagerduty.example.com", "text": "An example link."}],
        "images": [
            {
                "src": "https://chart.googleapis.com/chart?chs=600x400&chd=t:6,2,9,5,2,5,7,4,8,2,1&cht=lc&chds=a&chxt=y&chm=D,0033FF,0,0,5,1",
                "href": "https://google.com",
                "alt": "An example link with an image",
            }
        ],
    }


def trigger_without_dedup_key() -> dict[str, Any]:
    """The "Trigger" tab of https://developer.pagerduty.com/docs/events-api-v2/trigger-events/
    (PagerDuty/developer-docs, docs/events-API-v2/02-Trigger-Events.md) — which it describes
    as sent without a dedup_key — with its placeholder keys replaced and dedup_key left out."""
    return {
        "payload": {
            "summary": "Example alert on host1.example.com",
            "timestamp": "2015-07-17T08:42:58.315+0000",
            "source": "monitoringtool:cloudvendor:central-region-dc-01:852559987:cluster/api-stats-prod-003",
            "severity": "info",
            "component": "postgres",
            "group": "prod-datapipe",
            "class": "deploy",
            "custom_details": {"ping time": "1500ms", "load avg": 0.75},
        },
        "routing_key": ROUTING_KEY,
        "event_action": "trigger",
        "client": "Sample Monitoring Service",
        "client_url": "https://monitoring.example.com",
    }


def acknowledge(dedup_key: str = "srv01/mysql") -> dict[str, Any]:
    """The "Acknowledge" tab of the same page (placeholders replaced)."""
    return {"routing_key": ROUTING_KEY, "dedup_key": dedup_key, "event_action": "acknowledge"}


def resolve(dedup_key: str = "srv01/mysql") -> dict[str, Any]:
    """The "Resolve" tab of the same page (placeholders replaced)."""
    return {"routing_key": ROUTING_KEY, "dedup_key": dedup_key, "event_action": "resolve"}
