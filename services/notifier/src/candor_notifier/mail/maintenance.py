"""Planned maintenance as one email: what will be done, when (in the recipient's timezone
and language), what users may notice — worded throughout as planned work, not an outage.

The same templates, catalogs and header rules as incident notices (:mod:`.compose`); the
window's title, description and service names are the operator's words, sent as written.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from typing import Any, Literal, get_args

from candor_notifier.mail.compose import Recipient, header_safe, notice_email, subject_line, zone_of
from candor_notifier.mail.languages import (
    N_,
    duration_in_words,
    language_for,
    local_time,
    translations_for,
)
from candor_shared.contract import MaintenanceSnapshot

MaintenanceKind = Literal[
    "mnt_scheduled", "mnt_updated", "mnt_reminder", "mnt_started", "mnt_completed", "mnt_cancelled"
]
"""What a maintenance notice tells: announced, changed, starting soon, started, finished,
called off."""

MAINTENANCE_KINDS: frozenset[str] = frozenset(get_args(MaintenanceKind))

SUBJECTS = {
    "mnt_scheduled": N_("Planned maintenance: %(services)s — %(title)s"),
    "mnt_updated": N_("Planned maintenance changed: %(services)s — %(title)s"),
    "mnt_reminder": N_("Planned maintenance soon: %(services)s — %(title)s"),
    "mnt_started": N_("Planned maintenance under way: %(services)s — %(title)s"),
    "mnt_completed": N_("Planned maintenance finished: %(services)s — %(title)s"),
    "mnt_cancelled": N_("Planned maintenance cancelled: %(services)s — %(title)s"),
}
HEADLINES = {
    "mnt_scheduled": N_("Planned maintenance of %(services)s"),
    "mnt_updated": N_("Planned maintenance of %(services)s: new details"),
    "mnt_reminder": N_("Reminder: planned maintenance of %(services)s"),
    "mnt_started": N_("Planned maintenance of %(services)s has started"),
    "mnt_completed": N_("Planned maintenance of %(services)s is finished"),
    "mnt_cancelled": N_("Planned maintenance of %(services)s is cancelled"),
}
LEADS = {
    "mnt_scheduled": N_(
        "This is planned work, not an outage. We will carry it out from %(starts)s to %(ends)s."
    ),
    "mnt_updated": N_(
        "This planned work has changed. It now runs from %(starts)s to %(ends)s; "
        "it is planned work, not an outage."
    ),
    "mnt_reminder": N_(
        "This planned work starts at %(starts)s and should be over by %(ends)s. "
        "It is not an outage."
    ),
    "mnt_started": N_("This planned work has started and should be over by %(ends)s."),
    "mnt_completed": N_("This planned work is finished: everything works normally again."),
    "mnt_cancelled": N_(
        "The work planned from %(starts)s to %(ends)s will not take place: nothing changes for you."
    ),
}
NOTICEABLE = {
    "none": N_("You should not notice anything."),
    "minor": N_("Some things may be slower or briefly unavailable."),
    "major": N_("You may not be able to use it while the work lasts."),
    "critical": N_("It will be unavailable while the work lasts."),
}


def services_of(maintenance: MaintenanceSnapshot) -> str:
    """The window's services, by name, as one line."""
    return header_safe(", ".join(service.name for service in maintenance.services))


def maintenance_subject(
    *, kind: MaintenanceKind, maintenance: MaintenanceSnapshot, language: str = "en"
) -> str:
    """``Planned maintenance: Email — Database upgrade``, on one line, in ``language``."""
    return subject_line(
        SUBJECTS[kind],
        language=language,
        title=maintenance.title,
        services=services_of(maintenance),
    )


def _context(
    *,
    kind: MaintenanceKind,
    maintenance: MaintenanceSnapshot,
    recipient: Recipient,
    public_url: str,
    unsubscribe_url: str,
) -> tuple[str, dict[str, Any]]:
    zone = zone_of(recipient.timezone)
    language = language_for(recipient.language)
    words = translations_for(language)
    services = services_of(maintenance)
    moments = {
        "starts": local_time(maintenance.starts_at, zone, language),
        "ends": local_time(maintenance.ends_at, zone, language),
    }
    context = {
        "language": language,
        "service_name": services,
        "also_affected": [],
        "title": header_safe(maintenance.title),
        "description": maintenance.description.strip(),
        "headline": words.gettext(HEADLINES[kind]) % {"services": services},
        "lead": words.gettext(LEADS[kind]) % moments,
        "starts": moments["starts"],
        "ends": moments["ends"],
        "length": duration_in_words(maintenance.ends_at - maintenance.starts_at, language),
        "noticeable": (
            ""
            if kind in ("mnt_completed", "mnt_cancelled")
            else words.gettext(NOTICEABLE[maintenance.impact])
        ),
        "public_url": public_url,
        "unsubscribe_url": unsubscribe_url,
    }
    return language, context


def compose_maintenance(
    *,
    kind: MaintenanceKind,
    maintenance: MaintenanceSnapshot,
    recipient: Recipient,
    sender: str,
    message_id: str,
    in_reply_to: str | None,
    public_url: str,
    now: datetime,
    unsubscribe_url: str | None = None,
) -> EmailMessage:
    """The multipart/alternative email telling ``recipient`` about planned maintenance, in
    their language and timezone, with the one-click unsubscribe headers when given a link."""
    language, context = _context(
        kind=kind,
        maintenance=maintenance,
        recipient=recipient,
        public_url=public_url,
        unsubscribe_url=unsubscribe_url or "",
    )
    return notice_email(
        subject=maintenance_subject(kind=kind, maintenance=maintenance, language=language),
        sender=sender,
        recipient=recipient,
        message_id=message_id,
        in_reply_to=in_reply_to,
        now=now,
        unsubscribe_url=unsubscribe_url,
        language=language,
        template="maintenance",
        context=context,
    )
