"""The public status page and its feeds: no login, nothing internal, cached for 30 seconds."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from candor_incident_api.dependencies import SessionDep, StateDep
from candor_incident_api.status import feeds, queries
from candor_incident_api.status.schemas import StatusSummary
from candor_shared.clock import utcnow

router = APIRouter(prefix="/status", tags=["status"])

CACHE_CONTROL = "public, max-age=30"

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


class AtomResponse(Response):
    """An Atom document."""

    media_type = "application/atom+xml"


class CalendarResponse(Response):
    """An iCalendar document."""

    media_type = "text/calendar"


def _iso(value: datetime) -> str:
    """The time in UTC as ``<time datetime>`` wants it."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc(value: datetime) -> str:
    """The time in UTC as people read it."""
    return value.astimezone(UTC).strftime("%d %b %Y, %H:%M UTC")


def _duration(seconds: int) -> str:
    """A duration as people read it: "2 h 5 min", "40 min", "under a minute"."""
    minutes = seconds // 60
    if minutes < 1:
        return "under a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min"]
    return " ".join(part for part in parts if part and part != "0 min")


_TEMPLATES.filters["iso"] = _iso
_TEMPLATES.filters["utc"] = _utc
_TEMPLATES.filters["duration"] = _duration

_CONDITION_LABELS = {
    "operational": "Operational",
    "minor": "Minor disruption",
    "major": "Major disruption",
    "critical": "Critical outage",
}
_OVERALL_LABELS = {
    "operational": "All services are operating normally",
    "minor": "Some services are partly disrupted",
    "major": "Some services are disrupted",
    "critical": "Some services are down",
}
_INCIDENT_STATUS_LABELS = {
    "investigating": "Investigating",
    "identified": "Cause identified",
    "monitoring": "Fix applied, monitoring",
}
_MAINTENANCE_STATUS_LABELS = {"scheduled": "Planned", "in_progress": "In progress"}


def _cached(response: Response) -> Response:
    response.headers["Cache-Control"] = CACHE_CONTROL
    return response


@router.get(
    "",
    summary="The public status page",
    description="Server-rendered HTML, no login and no JavaScript needed: open incidents with "
    "their latest public message and when the next update is due, every service's status, "
    "maintenance in progress or planned, and the incidents of the last 30 days. Times are in "
    "UTC; a small inline script shows them in the viewer's time zone where it runs.",
    response_class=HTMLResponse,
    responses={200: {"description": "The status page (HTML)."}},
)
async def status_page(session: SessionDep, state: StateDep) -> Response:
    """Render the page from the same facts as ``summary.json``."""
    summary = await queries.status_summary(session, now=utcnow())
    html = _TEMPLATES.get_template("status.html").render(
        summary=summary,
        public_url=state.settings.public_url.rstrip("/"),
        condition_labels=_CONDITION_LABELS,
        overall_labels=_OVERALL_LABELS,
        incident_status_labels=_INCIDENT_STATUS_LABELS,
        maintenance_status_labels=_MAINTENANCE_STATUS_LABELS,
    )
    return _cached(HTMLResponse(html))


@router.get(
    "/summary.json",
    summary="The status page's facts as JSON",
    description="What the status page shows, for embedding in an intranet: every service "
    "with its status, open incidents with their latest public message, maintenance in "
    "progress or planned, and incidents resolved in the last 30 days. No login; nothing "
    "internal. Cached for 30 seconds.",
    responses={200: {"description": "The current status."}},
)
async def status_summary(session: SessionDep, response: Response) -> StatusSummary:
    """The facts of the status page."""
    _cached(response)
    return await queries.status_summary(session, now=utcnow())


@router.get(
    "/feed.atom",
    summary="Atom feed of incidents and their public updates",
    description="An Atom (RFC 4287) feed, newest first: incidents opened, resolved and "
    "reopened, and every public update, for incidents users were told of. Entry ids are "
    "stable (`urn:uuid:` of the update). No login. Cached for 30 seconds.",
    response_class=AtomResponse,
    responses={200: {"description": "The Atom feed."}},
)
async def status_feed(session: SessionDep, state: StateDep) -> Response:
    """The latest public incident updates as Atom."""
    items = await queries.feed_items(session)
    body = feeds.atom_feed(items, public_url=state.settings.public_url, now=utcnow())
    return _cached(AtomResponse(body))


@router.get(
    "/maintenance.ics",
    summary="iCalendar of maintenance windows",
    description="An iCalendar (RFC 5545) of maintenance windows planned or in progress, and "
    "of those cancelled in the last 30 days (`STATUS:CANCELLED`), with stable UIDs and the "
    "affected services in the description. No login. Cached for 30 seconds.",
    response_class=CalendarResponse,
    responses={200: {"description": "The maintenance calendar."}},
)
async def maintenance_calendar(session: SessionDep, state: StateDep) -> Response:
    """Maintenance windows as iCalendar, for subscribing from a calendar application."""
    windows = await queries.calendar_windows(session, now=utcnow())
    body = feeds.maintenance_calendar(windows, public_url=state.settings.public_url)
    return _cached(CalendarResponse(body))
