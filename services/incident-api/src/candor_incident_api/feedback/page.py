"""The feedback pages: server-rendered, autoescaped, working without JavaScript."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from candor_incident_api.feedback.form import COMMENT_MAX, SCALE
from candor_incident_api.feedback.service import Respondent

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

QUESTIONS = {
    "kept_informed": (
        "How well were you kept informed while it lasted?",
        "1: not at all · 7: very well",
    ),
    "disruption": (
        "How much did the outage disrupt your work?",
        "1: not at all · 7: I could not work",
    ),
}
LABELS = {
    "kept_informed": "How well you were kept informed",
    "disruption": "How much it disrupted your work",
    "adequate_percent": "Availability you consider adequate",
    "desired_percent": "Availability you desire",
    "perceived_minutes": "How long it felt down",
    "comment": "Comment",
}


def _utc(value: datetime | None) -> str:
    """A time in UTC as people read it ("—" for none)."""
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime("%d %b %Y, %H:%M UTC")


_TEMPLATES.filters["utc"] = _utc


def render_form(
    *,
    respondent: Respondent,
    values: dict[str, str],
    errors: dict[str, str],
    answered_before: bool,
    public_url: str,
) -> str:
    """The form, filled with ``values``, each of ``errors`` next to its field."""
    return _TEMPLATES.get_template("feedback.html").render(
        page="form",
        incident=respondent.incident,
        service=respondent.service,
        values=values,
        errors=errors,
        answered_before=answered_before,
        questions=QUESTIONS,
        labels=LABELS,
        scale=list(SCALE),
        comment_max=COMMENT_MAX,
        public_url=public_url.rstrip("/"),
    )


def render_thanks(*, respondent: Respondent, public_url: str) -> str:
    """The page after an answer was kept."""
    return _TEMPLATES.get_template("feedback.html").render(
        page="thanks",
        incident=respondent.incident,
        service=respondent.service,
        public_url=public_url.rstrip("/"),
    )


def render_refused(*, public_url: str) -> str:
    """The page of a link that lets nobody answer."""
    return _TEMPLATES.get_template("feedback.html").render(
        page="refused", public_url=public_url.rstrip("/")
    )
