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
from typing import Any, Literal

import jinja2

from candor_notifier.mail.languages import (
    N_,
    clock_time,
    duration_in_words,
    language_for,
    local_time,
    translations_for,
)
from candor_shared.contract import IncidentSnapshot

NoticeKind = Literal["opened", "updated", "holding", "resolved", "reopened"]
"""What a notice tells: an incident opened, an operator's update, a holding update (no news
by the time the agreement promised news), the end, or a comeback."""

__all__ = [
    "Recipient",
    "compose",
    "duration_in_words",
    "header_safe",
    "local_time",
    "notice_email",
    "render_text",
    "subject_line",
    "subject_of",
]

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
HOLDING_SUBJECT = N_("[%(label)s] No change: %(service)s — %(title)s")
SUBJECT_TITLE_LIMIT = 150
FOLDED_NOTE = N_("%(count)s updates since %(moment)s")
"""Burst folding: a message standing for several updates says so."""


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


ENCODED_WORD_START = "=?"
"""How an RFC 2047 encoded word begins. The email package decodes encoded words it finds in
a header value it is given and folds what they decode to, line breaks included: a title
``=?utf-8?q?x=0D=0ABcc:_y?=`` would add a Bcc header."""


def header_safe(value: str, *, limit: int | None = None) -> str:
    """``value`` on one line: control characters and line breaks become spaces, runs collapse,
    and ``=?`` gets an invisible word joiner so that nothing in it reads as an encoded word."""
    flat = "".join(
        " " if unicodedata.category(char) in ("Cc", "Zl", "Zp") else char for char in value
    )
    flat = " ".join(flat.split()).replace(ENCODED_WORD_START, "=\u2060?")
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
    subject_id = {"updated": UPDATE_SUBJECT, "holding": HOLDING_SUBJECT}.get(kind, SUBJECT)
    return subject_line(
        subject_id,
        language=language,
        title=incident.title,
        label=words.gettext(label_id),
        service=incident.service.name,
    )


def subject_line(subject_id: str, *, language: str, title: str, **values: str) -> str:
    """``subject_id`` (a catalog id taking ``%(title)s`` and ``values``) in ``language``, on
    one line; the operator's ``title`` is cut to fit a subject.

    One rule for the subject of every email Candor sends to users: incident notices,
    maintenance, reports.
    """
    words = translations_for(language_for(language))
    subject = words.gettext(subject_id) % {
        **values,
        "title": header_safe(title, limit=SUBJECT_TITLE_LIMIT),
    }
    return header_safe(subject)


def _context(
    *,
    kind: NoticeKind,
    incident: IncidentSnapshot,
    recipient: Recipient,
    public_url: str,
    now: datetime,
    since: datetime | None = None,
    unsubscribe_url: str = "",
    folded: int = 1,
    folded_since: datetime | None = None,
) -> tuple[str, dict[str, Any]]:
    """The language to write in and what the templates say about ``incident``.

    ``since`` (holding updates) is when users last heard; the incident's opening by default.
    ``unsubscribe_url`` (emails only) puts the one-click unsubscribe link in the footer.
    ``folded`` updates since ``folded_since`` (a burst told as one message) adds "3 updates
    since 10:05".

    A next update promised for a moment already past when the message is written (a notice
    held back by quiet hours or retried for hours) is left out: users are never promised a
    time that has gone by.
    """
    zone = zone_of(recipient.timezone)
    language = language_for(recipient.language)
    words = translations_for(language)
    status = "resolved" if kind == "resolved" else incident.status
    resolved_at = incident.resolved_at or now
    promised = incident.next_update_at
    if promised is not None and promised <= now:
        promised = None
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
        "unsubscribe_url": unsubscribe_url,
        "public_message": incident.public_message.strip(),
        "next_update": local_time(promised, zone, language) if promised else "",
        # Holding updates say times of today as a clock does ("10:30 CET").
        "unchanged_since": clock_time(since or incident.opened_at, zone, language, today=now),
        "next_update_clock": clock_time(promised, zone, language, today=now) if promised else "",
        "folded_note": (
            words.gettext(FOLDED_NOTE)
            % {"count": folded, "moment": clock_time(folded_since, zone, language, today=now)}
            if folded > 1 and folded_since is not None
            else ""
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
    return language, context


def render_text(
    *,
    kind: NoticeKind,
    incident: IncidentSnapshot,
    recipient: Recipient,
    public_url: str,
    now: datetime,
    since: datetime | None = None,
    folded: int = 1,
    folded_since: datetime | None = None,
) -> tuple[str, str, str]:
    """The language, subject and plain-text body of the notice: the email's words, for the
    channels that post text (chat, webhooks, Apprise)."""
    language, context = _context(
        kind=kind,
        incident=incident,
        recipient=recipient,
        public_url=public_url,
        now=now,
        since=since,
        folded=folded,
        folded_since=folded_since,
    )
    text = templates_for(language).get_template(f"incident_{kind}.txt").render(context)
    return language, subject_of(kind=kind, incident=incident, language=language), text


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
    since: datetime | None = None,
    unsubscribe_url: str | None = None,
    folded: int = 1,
    folded_since: datetime | None = None,
) -> EmailMessage:
    """The multipart/alternative email telling ``recipient`` what changed about ``incident``
    (or, for a holding update, that nothing did ``since`` users last heard).

    Written in the closest language to ``recipient.language`` that Candor speaks (English
    when none is close), with times in ``recipient.timezone``. With ``unsubscribe_url`` it
    carries RFC 8058's one-click unsubscribe headers and the link in its footer.
    """
    language, context = _context(
        kind=kind,
        incident=incident,
        recipient=recipient,
        public_url=public_url,
        now=now,
        since=since,
        unsubscribe_url=unsubscribe_url or "",
        folded=folded,
        folded_since=folded_since,
    )
    return notice_email(
        subject=subject_of(kind=kind, incident=incident, language=language),
        sender=sender,
        recipient=recipient,
        message_id=message_id,
        in_reply_to=in_reply_to,
        now=now,
        unsubscribe_url=unsubscribe_url,
        language=language,
        template=f"incident_{kind}",
        context=context,
    )


def notice_email(
    *,
    subject: str,
    sender: str,
    recipient: Recipient,
    message_id: str,
    in_reply_to: str | None,
    now: datetime,
    unsubscribe_url: str | None,
    language: str,
    template: str,
    context: dict[str, Any],
) -> EmailMessage:
    """The one shape of every email Candor sends to users, whatever it tells: ``subject``
    (already on one line) from ``sender`` to ``recipient``, threaded under ``in_reply_to``,
    marked as automatic, with RFC 8058's one-click unsubscribe headers when given a link, and
    ``template``'s ``.txt`` and ``.html`` renderings of ``context`` in ``language``.

    One builder, so that a header rule (line breaks, threading, unsubscribing) holds for
    incident notices, maintenance, reports and digests alike.
    """
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = header_safe(sender)
    message["To"] = header_safe(recipient.email)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe_url:
        # RFC 8058: mail clients show an "unsubscribe" button that POSTs to the link.
        message["List-Unsubscribe"] = f"<{header_safe(unsubscribe_url)}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    templates = templates_for(language)
    message.set_content(templates.get_template(f"{template}.txt").render(context))
    message.add_alternative(
        templates.get_template(f"{template}.html").render(context), subtype="html"
    )
    message["Content-Language"] = language
    return message
