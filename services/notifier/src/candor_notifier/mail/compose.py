"""One notice as one email: a plain-text part and an HTML part, in the recipient's timezone.

Values from outside (incident titles, summaries, service names) are made safe for where
they go: headers lose every line break and control character, HTML is autoescaped.
"""

from __future__ import annotations

import unicodedata
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Literal

import jinja2

from candor_shared.contract import IncidentSnapshot

NoticeKind = Literal["opened", "updated", "resolved", "reopened"]

STATUS_LABELS = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
}
STATUS_MEANINGS = {
    "investigating": "we know something is wrong and are finding out why.",
    "identified": "we have found the cause and are working on a fix.",
    "monitoring": "a fix is in place and we are making sure it holds.",
    "resolved": "it works normally again.",
}
SUBJECT_TITLE_LIMIT = 150

_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("candor_notifier", "templates"),
    autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Recipient:
    """Who a message goes to, looked up when it is sent."""

    email: str
    timezone: str = "UTC"
    language: str = "en"


def header_safe(value: str, *, limit: int | None = None) -> str:
    """``value`` on one line: control characters and line breaks become spaces, runs collapse."""
    flat = "".join(
        " " if unicodedata.category(char) in ("Cc", "Zl", "Zp") else char for char in value
    )
    flat = " ".join(flat.split())
    if limit is not None and len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    return flat


def zone_of(name: str) -> zoneinfo.ZoneInfo:
    """The IANA zone ``name``, or UTC when the name is unknown."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local_time(moment: datetime, zone: zoneinfo.ZoneInfo) -> str:
    """``Monday 23 November 2026 at 10:58 CET``: a moment as a reader in ``zone`` says it."""
    local = moment.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M} {local.tzname()}"


def duration_in_words(span: timedelta) -> str:
    """``22 minutes``, ``1 hour and 5 minutes``, ``2 days and 3 hours`` (to the minute)."""
    minutes = round(span.total_seconds() / 60)
    if minutes < 1:
        return "less than a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    units = [(days, "day"), (hours, "hour"), (0 if days else minutes, "minute")]
    words = [f"{count} {unit}{'' if count == 1 else 's'}" for count, unit in units if count]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def subject_of(*, kind: NoticeKind, incident: IncidentSnapshot) -> str:
    """``[Investigating] Email — Outgoing mail is not being delivered``, on one line."""
    status = "resolved" if kind == "resolved" else incident.status
    title = header_safe(incident.title, limit=SUBJECT_TITLE_LIMIT)
    label = "Back again" if kind == "reopened" else STATUS_LABELS[status]
    prefix = "Update: " if kind == "updated" else ""
    return header_safe(f"[{label}] {prefix}{incident.service.name} — {title}")


def compose(
    *,
    kind: NoticeKind,
    incident: IncidentSnapshot,
    recipient: Recipient,
    sender: str,
    message_id: str,
    in_reply_to: str | None,
    public_url: str,
    now: datetime,
) -> EmailMessage:
    """The multipart/alternative email telling ``recipient`` that ``incident`` opened or ended."""
    zone = zone_of(recipient.timezone)
    status = "resolved" if kind == "resolved" else incident.status
    resolved_at = incident.resolved_at or now
    context = {
        "language": header_safe(recipient.language) or "en",
        "service_name": header_safe(incident.service.name),
        "title": header_safe(incident.title),
        "summary": incident.summary.strip(),
        "status_label": STATUS_LABELS[status],
        "status_meaning": STATUS_MEANINGS[status],
        "started": local_time(incident.started_at, zone),
        "ended": local_time(resolved_at, zone),
        "duration": duration_in_words(resolved_at - incident.started_at),
        "public_url": public_url,
        "public_message": incident.public_message.strip(),
        "next_update": (
            local_time(incident.next_update_at, zone) if incident.next_update_at else ""
        ),
        "also_affected": [
            {
                "name": header_safe(item.service.name),
                "wording": item.wording.strip(),
            }
            for item in incident.impacts
            if item.service.slug != incident.service.slug
        ],
    }
    message = EmailMessage()
    message["Subject"] = subject_of(kind=kind, incident=incident)
    message["From"] = header_safe(sender)
    message["To"] = header_safe(recipient.email)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(_templates.get_template(f"incident_{kind}.txt").render(context))
    message.add_alternative(
        _templates.get_template(f"incident_{kind}.html").render(context), subtype="html"
    )
    return message
