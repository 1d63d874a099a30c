"""The digest email: the minor-incident notices of one period for one recipient, as one
message (text and HTML), in their timezone and language. Incident titles are operators'
words and are escaped in HTML; the subject is built from Candor's own words only."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from typing import Any

from candor_notifier.mail.compose import (
    STATUS_LABELS,
    Recipient,
    header_safe,
    notice_email,
    zone_of,
)
from candor_notifier.mail.languages import N_, language_for, local_time, translations_for
from candor_shared.contract import IncidentSnapshot

DIGEST_SUBJECT = N_("Minor incidents: %(count)s notices since %(moment)s")
KIND_WORDS = {
    "opened": N_("Opened"),
    "updated": N_("Updated"),
    "holding": N_("No change"),
    "resolved": N_("Resolved"),
    "reopened": N_("Back again"),
}


def compose_digest(
    *,
    notices: list[tuple[str, datetime, IncidentSnapshot]],
    recipient: Recipient,
    sender: str,
    message_id: str,
    public_url: str,
    since: datetime,
    now: datetime,
    unsubscribe_url: str | None = None,
) -> EmailMessage:
    """One email listing ``notices`` (kind, when, incident as it was then), oldest first,
    gathered since ``since``."""
    language = language_for(recipient.language)
    words = translations_for(language)
    zone = zone_of(recipient.timezone)
    items: list[dict[str, Any]] = []
    for kind, at, incident in sorted(notices, key=lambda notice: notice[1]):
        status = "resolved" if kind == "resolved" else incident.status
        kind_word = KIND_WORDS.get(kind, KIND_WORDS["updated"])
        items.append(
            {
                "kind": words.gettext(kind_word),
                "at": local_time(at, zone, language),
                "service": incident.service.name,
                "title": incident.title,
                "status": words.gettext(STATUS_LABELS[status]),
                "message": incident.public_message,
            }
        )
    context = {
        "language": language,
        "items": items,
        "since": local_time(since, zone, language),
        "public_url": public_url,
        "unsubscribe_url": unsubscribe_url or "",
    }
    return notice_email(
        subject=header_safe(
            words.gettext(DIGEST_SUBJECT)
            % {"count": len(items), "moment": local_time(since, zone, language)}
        ),
        sender=sender,
        recipient=recipient,
        message_id=message_id,
        in_reply_to=None,
        now=now,
        unsubscribe_url=unsubscribe_url,
        language=language,
        template="digest",
        context=context,
    )
