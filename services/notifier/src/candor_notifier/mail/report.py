"""The post-incident report as one email: what happened and for how long, the impact, the
timeline of what users were told (in the recipient's timezone), the cause, what was done,
the follow-up actions and whether each is done, the service's standing against its agreement
this period, and a link to say how it went for them.

Operators' words (impact, cause, actions, messages) are sent as written; Candor's own words,
dates and durations are in the recipient's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from typing import Any

from babel.dates import format_date
from babel.numbers import format_percent

from candor_notifier.mail.compose import Recipient, header_safe, notice_email, subject_line, zone_of
from candor_notifier.mail.languages import (
    N_,
    duration_in_words,
    language_for,
    local_time,
    translations_for,
)
from candor_shared.contract import (
    IncidentReportActionDone,
    IncidentReportPublished,
    IncidentSnapshot,
)

REPORT_SUBJECT = N_("Incident report: %(service)s — %(title)s")
ACTION_DONE_SUBJECT = N_("Done after the incident: %(service)s — %(title)s")
KINDS = {
    "opened": N_("We told you of the problem"),
    "broadcast": N_("We told you of the problem"),
    "update": N_("Update"),
    "status": N_("Update"),
    "impact": N_("Update"),
    "resolved": N_("Resolved"),
    "reopened": N_("It came back"),
}
STANDING = N_("%(period)s: %(availability)s available; the agreement promises %(agreed)s.")
STANDING_UNAGREED = N_("%(period)s: %(availability)s available.")
NOT_FINAL = N_("The period is not over: these figures may still change.")


@dataclass(frozen=True)
class Standing:
    """The service's availability over the period of the incident, as sla-monitor reported."""

    period: str
    availability_percent: float
    adequate_percent: float | None
    final: bool


def standing_words(standing: Standing, language: str = "en") -> str:
    """``November 2025: 99.82% available; the agreement promises 99.5%.`` in ``language``."""
    period, availability_percent = standing.period, standing.availability_percent
    adequate_percent, final = standing.adequate_percent, standing.final
    language = language_for(language)
    words = translations_for(language)
    year, month = (int(part) for part in period.split("-"))
    values = {
        "period": format_date(date(year, month, 1), "MMMM y", locale=language),
        "availability": format_percent(availability_percent / 100, "#,##0.##%", locale=language),
        "agreed": (
            format_percent(adequate_percent / 100, "#,##0.##%", locale=language)
            if adequate_percent is not None
            else ""
        ),
    }
    sentence = words.gettext(STANDING if adequate_percent is not None else STANDING_UNAGREED)
    text = sentence % values
    return text if final else f"{text} {words.gettext(NOT_FINAL)}"


def incident_subject(subject_id: str, *, incident: IncidentSnapshot, language: str) -> str:
    """``subject_id`` (a catalog id taking ``%(service)s`` and ``%(title)s``) in
    ``language``, about ``incident``, on one line; the title is cut to fit a subject."""
    return subject_line(
        subject_id, language=language, title=incident.title, service=incident.service.name
    )


def report_subject(*, report: IncidentReportPublished, language: str = "en") -> str:
    """``Incident report: Email — Outgoing mail is not being delivered``, on one line."""
    return incident_subject(REPORT_SUBJECT, incident=report.incident, language=language)


def _context(
    *,
    report: IncidentReportPublished,
    recipient: Recipient,
    public_url: str,
    unsubscribe_url: str,
    feedback_url: str,
    standing: Standing | None,
) -> tuple[str, dict[str, Any]]:
    zone = zone_of(recipient.timezone)
    language = language_for(recipient.language)
    words = translations_for(language)
    incident = report.incident
    ended = incident.resolved_at or report.published_at
    context = {
        "language": language,
        "service_name": header_safe(incident.service.name),
        "also_affected": [],
        "title": header_safe(incident.title),
        "started": local_time(incident.started_at, zone, language),
        "ended": local_time(ended, zone, language),
        "duration": duration_in_words(ended - incident.started_at, language),
        "impact": report.impact.strip(),
        "cause": report.cause.strip(),
        "what_was_done": report.what_was_done.strip(),
        "follow_ups": [
            {
                "action": item.action.strip(),
                "done": (
                    words.gettext(N_("done on %(moment)s"))
                    % {"moment": local_time(item.done_at, zone, language)}
                    if item.done_at
                    else ""
                ),
            }
            for item in report.follow_ups
        ],
        "timeline": [
            {
                "at": local_time(entry.at, zone, language),
                "what": words.gettext(KINDS.get(entry.kind, KINDS["update"])),
                "message": entry.message.strip(),
            }
            for entry in report.timeline
        ],
        "sla_standing": standing_words(standing, language) if standing is not None else "",
        "automatic": report.published_by == "automatic",
        "feedback_url": feedback_url,
        "public_url": public_url,
        "unsubscribe_url": unsubscribe_url,
    }
    return language, context


def compose_report(
    *,
    report: IncidentReportPublished,
    recipient: Recipient,
    sender: str,
    message_id: str,
    in_reply_to: str | None,
    public_url: str,
    now: datetime,
    unsubscribe_url: str | None = None,
    feedback_url: str | None = None,
    standing: Standing | None = None,
) -> EmailMessage:
    """The multipart/alternative email of the report for ``recipient``, in their language
    and timezone; ``feedback_url`` is their own signed link to say how it went for them;
    ``standing`` the service's availability over the incident's period (None: not known
    yet, and the email says so)."""
    language, context = _context(
        report=report,
        recipient=recipient,
        public_url=public_url,
        unsubscribe_url=unsubscribe_url or "",
        feedback_url=feedback_url or "",
        standing=standing,
    )
    return notice_email(
        subject=report_subject(report=report, language=language),
        sender=sender,
        recipient=recipient,
        message_id=message_id,
        in_reply_to=in_reply_to,
        now=now,
        unsubscribe_url=unsubscribe_url,
        language=language,
        template="incident_report",
        context=context,
    )


def compose_action_done(
    *,
    done: IncidentReportActionDone,
    recipient: Recipient,
    sender: str,
    message_id: str,
    in_reply_to: str | None,
    public_url: str,
    now: datetime,
    unsubscribe_url: str | None = None,
) -> EmailMessage:
    """A short email: one of the follow-up actions the report promised is done, and how many
    remain, in the recipient's language and timezone."""
    zone = zone_of(recipient.timezone)
    language = language_for(recipient.language)
    incident = done.incident
    context = {
        "language": language,
        "service_name": header_safe(incident.service.name),
        "also_affected": [],
        "title": header_safe(incident.title),
        "action": done.action.action.strip(),
        "done_at": local_time(done.action.done_at or now, zone, language),
        "remaining": done.remaining,
        "public_url": public_url,
        "unsubscribe_url": unsubscribe_url or "",
    }
    return notice_email(
        subject=incident_subject(ACTION_DONE_SUBJECT, incident=incident, language=language),
        sender=sender,
        recipient=recipient,
        message_id=message_id,
        in_reply_to=in_reply_to,
        now=now,
        unsubscribe_url=unsubscribe_url,
        language=language,
        template="report_action_done",
        context=context,
    )
