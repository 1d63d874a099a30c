"""Generic webhooks, signed as the Standard Webhooks specification says.

Each endpoint has its own secret, ``whsec_`` followed by base64 of random bytes, shown to
the admin once when the channel is created. Every request carries:

- ``webhook-id``: the delivery's id, the same on every retry (receivers use it to drop
  duplicates);
- ``webhook-timestamp``: the attempt's time in Unix seconds (receivers refuse old ones);
- ``webhook-signature``: ``v1,`` followed by base64 of HMAC-SHA256, keyed with the decoded
  secret, over ``{webhook-id}.{webhook-timestamp}.{body}``.

The body is compact JSON: ``{"type": "incident.opened", "timestamp": ..., "data": {...}}``
with the incident's public facts and the message as the email words it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime
from typing import Any

from candor_notifier.channels.notice import ChannelNotice

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix the specification gives, not a secret
SIGNATURE_VERSION = "v1"


def secret_key(secret: str) -> bytes:
    """The HMAC key a ``whsec_`` secret encodes; ValueError if it is not one."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a Standard Webhooks secret starts with whsec_")
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)


def signature(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for one request."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


def signed_headers(*, secret: str, message_id: str, now: datetime, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body`` sent at ``now``."""
    timestamp = int(now.timestamp())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(
            secret=secret, message_id=message_id, timestamp=timestamp, body=body
        ),
    }


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def webhook_payload(notice: ChannelNotice) -> dict[str, Any]:
    """The event a webhook receives: what happened, the public facts, and the message.

    Only what users may read: no acknowledging operator, no alert counts.
    """
    incident = notice.incident
    status = "resolved" if notice.kind == "resolved" else incident.status
    return {
        "type": f"incident.{notice.kind}",
        "timestamp": notice.occurred_at.isoformat(),
        "data": {
            "incident": {
                "id": incident.id,
                "version": incident.version,
                "service": {"slug": incident.service.slug, "name": incident.service.name},
                "status": status,
                "impact": incident.impact,
                "title": incident.title,
                "summary": incident.summary,
                "public_message": incident.public_message,
                "started_at": _moment(incident.started_at),
                "resolved_at": _moment(incident.resolved_at),
                "next_update_at": _moment(incident.next_update_at),
                "affected": [
                    {
                        "slug": item.service.slug,
                        "name": item.service.name,
                        "impact": item.impact,
                        "wording": item.wording,
                    }
                    for item in incident.impacts
                ],
            },
            "message": {
                "language": notice.language,
                "subject": notice.subject,
                "text": notice.text,
            },
            "status_page": notice.public_url,
        },
    }
