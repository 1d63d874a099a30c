"""One notice as one email: a plain-text part and an HTML part, in the recipient's timezone
and language.

Values from outside (incident titles, summaries, service names) are made safe for where
they go: headers lose every line break and control character, HTML is autoescaped.
Operators' words (service names, titles, messages) are sent as written; Candor's own words,
dates and durations are in the recipient's language (see :mod:`.languages` for how).
"""

from __future__ import annotations

import functools
import unicodedata
import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Literal

import jinja2

from candor_notifier.mail.languages import (
    N_,
    duration_in_words,
    language_for,
    local_time,
    translations_for,
)
from candor_shared.contract import IncidentSnapshot

NoticeKind = Literal["opened", "updated", "resolved", "reopened"]

__all__ = ["Recipient", "compose", "duration_in_words", "header_safe", "local_time", "subject_of"]

STATUS_LABELS = {
    "investigating": N_("Investigating"),
    "identified": N_("Identified"),
    "monitoring": N_("Monitoring"),
    "resolved": N_("Resolved"),
}
STATUS_MEANINGS = {
    "investigating": N_("we know something is wrong and are finding out why."),
    "identified": N_("we have found the cause and are working on a fix."),
    "monitoring": N_("a fix is in place and we are making sure it holds."),
    "resolved": N_("it works normally again."),
}
REOPENED_LABEL = N_("Back again")
SUBJECT = N_("[%(label)s] %(service)s — %(title)s")
UPDATE_SUBJECT = N_("[%(label)s] Update: %(service)s — %(title)s")
SUBJECT_TITLE_LIMIT = 150


@functools.cache
def templates_for(language: str) -> jinja2.Environment:
    """The templates, speaking ``language`` (one of :func:`.languages.available_languages`)."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("candor_notifier", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_translations(  # type: ignore[attr-defined]
        translations_for(language), newstyle=True
    )
    return environment


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


def subject_of(*, kind: NoticeKind, incident: IncidentSnapshot, language: str = "en") -> str:
    """``[Investigating] Email — Outgoing mail is not being delivered``, on one line.

    Status and wording are in ``language``; the service name and the title stay as written.
    """
    words = translations_for(language_for(language))
    status = "resolved" if kind == "resolved" else incident.status
    label_id = REOPENED_LABEL if kind == "reopened" else STATUS_LABELS[status]
    subject_id = UPDATE_SUBJECT if kind == "updated" else SUBJECT
    label = words.gettext(label_id)
    subject = words.gettext(subject_id) % {
        "label": label,
        "service": incident.service.name,
        "title": header_safe(incident.title, limit=SUBJECT_TITLE_LIMIT),
    }
    return header_safe(subject)


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
    """The multipart/alternative email telling ``recipient`` that ``incident`` opened or ended.

    Written in the closest language to ``recipient.language`` that Candor speaks (English
    when none is close), with times in ``recipient.timezone``.
    """
    zone = zone_of(recipient.timezone)
    language = language_for(recipient.language)
    words = translations_for(language)
    status = "resolved" if kind == "resolved" else incident.status
    resolved_at = incident.resolved_at or now
    context = {
        "language": language,
        "service_name": header_safe(incident.service.name),
        "title": header_safe(incident.title),
        "summary": incident.summary.strip(),
        "status_label": words.gettext(STATUS_LABELS[status]),
        "status_meaning": words.gettext(STATUS_MEANINGS[status]),
        "started": local_time(incident.started_at, zone, language),
        "ended": local_time(resolved_at, zone, language),
        "duration": duration_in_words(resolved_at - incident.started_at, language),
        "public_url": public_url,
        "public_message": incident.public_message.strip(),
        "next_update": (
            local_time(incident.next_update_at, zone, language) if incident.next_update_at else ""
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
    message["Subject"] = subject_of(kind=kind, incident=incident, language=language)
    message["From"] = header_safe(sender)
    message["To"] = header_safe(recipient.email)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message["Auto-Submitted"] = "auto-generated"
    templates = templates_for(language)
    message.set_content(templates.get_template(f"incident_{kind}.txt").render(context))
    message.add_alternative(
        templates.get_template(f"incident_{kind}.html").render(context), subtype="html"
    )
    message["Content-Language"] = language
    return message
