"""Uptime Kuma webhook notifications (Request Body: application/json)."""

from __future__ import annotations

from typing import Any

# Uptime Kuma documents no example body; it posts {"heartbeat", "monitor", "msg"}
# (louislam/uptime-kuma, server/notification-providers/webhook.js) with msg built as
# "[<monitor name>] [🔴 Down] <heartbeat msg>" (server/model/monitor.js). The values are those
# of a captured notification reproduced in SuavecitoInc/google-chat-notifications,
# src/lib/types/uptime.ts (monitor 29 "Test", 'getaddrinfo ENOTFOUND test.com'); only a
# "service" tag is added so that the alert names its service.
_MONITOR: dict[str, Any] = {
    "id": 29,
    "name": "Test",
    "description": None,
    "pathName": "Test",
    "parent": None,
    "childrenIDs": [],
    "url": "https://test.com",
    "method": "GET",
    "hostname": None,
    "port": None,
    "maxretries": 0,
    "weight": 2000,
    "active": True,
    "forceInactive": False,
    "type": "http",
    "timeout": 48,
    "interval": 60,
    "retryInterval": 60,
    "resendInterval": 0,
    "keyword": None,
    "invertKeyword": False,
    "expiryNotification": False,
    "ignoreTls": False,
    "upsideDown": False,
    "packetSize": 56,
    "maxredirects": 10,
    "accepted_statuscodes": ["200-299"],
    "dns_resolve_type": "A",
    "dns_resolve_server": "1.1.1.1",
    "dns_last_result": None,
    "docker_container": "",
    "docker_host": None,
    "proxyId": None,
    "notificationIDList": {"2": True},
    "tags": [
        {"tag_id": 1, "monitor_id": 29, "value": "email", "name": "service", "color": "#059669"}
    ],
    "maintenance": False,
}


def down() -> dict[str, Any]:
    """Monitor 29 goes down."""
    return {
        "heartbeat": {
            "monitorID": 29,
            "status": 0,
            "time": "2024-09-24 23:51:35.527",
            "msg": "getaddrinfo ENOTFOUND test.com",
            "important": True,
            "duration": 0,
            "timezone": "America/Los_Angeles",
            "timezoneOffset": "-07:00",
            "localDateTime": "2024-09-24 16:51:35",
        },
        "monitor": dict(_MONITOR),
        "msg": "[Test] [🔴 Down] getaddrinfo ENOTFOUND test.com",
    }


def up() -> dict[str, Any]:
    """Monitor 29 is up again ten minutes later (changed: status, time, msg)."""
    return {
        "heartbeat": {
            "monitorID": 29,
            "status": 1,
            "time": "2024-09-25 00:01:35.527",
            "msg": "200 - OK",
            "important": True,
            "duration": 600,
            "timezone": "America/Los_Angeles",
            "timezoneOffset": "-07:00",
            "localDateTime": "2024-09-24 17:01:35",
        },
        "monitor": dict(_MONITOR),
        "msg": "[Test] [✅ Up] 200 - OK",
    }


def test_message() -> dict[str, Any]:
    """What the "Test" button sends: no heartbeat, no monitor (webhook.js sends them null)."""
    return {"heartbeat": None, "monitor": None, "msg": "Uptime Kuma Testing"}
