"""The public status page and its feeds: no login, nothing internal, cached for 30 seconds."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Response
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from candor_incident_api.dependencies import SessionDep, StateDep
from candor_incident_api.status import feeds, queries, reports
from candor_incident_api.status.schemas import StatusSummary, UptimeDay
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


def _percent(value: float) -> str:
    """A percentage as the page writes it: "100 %", "99.30 %" (never rounded up to 100)."""
    return "100 %" if value >= 100 else f"{value:.2f} %"


UPTIME_BANDS = (
    ("up", "No downtime (100 %)", 100.0),
    ("minor", "Some downtime (99 % or more available)", 99.0),
    ("major", "Downtime (95 % to 99 % available)", 95.0),
    ("critical", "Long downtime (less than 95 % available)", 0.0),
)
"""Classes of the uptime bars, with what the legend says of each and the lowest
availability of each; a day without data has the class ``nodata``."""


def _band(day: UptimeDay) -> str:
    """The bar's class for ``day``: colour and height say the same thing."""
    if day.percent is None:
        return "nodata"
    return next(band for band, _, floor in UPTIME_BANDS if day.percent >= floor)


def _day_text(day: UptimeDay, today: bool = False) -> str:
    """The bar's text alternative: "12 Nov: 99.30 % available, 10 min down"."""
    label = day.day.strftime("%d %b") + (" (today, so far)" if today else "")
    if day.percent is None or day.downtime_seconds is None:
        return f"{label}: no data"
    down = "no downtime" if day.downtime_seconds == 0 else _duration(day.downtime_seconds) + " down"
    return f"{label}: {_percent(day.percent)} available, {down}"


_TEMPLATES.filters["iso"] = _iso
_TEMPLATES.filters["utc"] = _utc
_TEMPLATES.filters["duration"] = _duration
_TEMPLATES.filters["percent"] = _percent
_TEMPLATES.filters["band"] = _band
_TEMPLATES.filters["day_text"] = _day_text

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
    "their latest public message and when the next update is due, every service's status "
    "with a bar of its measured availability on each of the last 90 days, maintenance in "
    "progress or planned, and the incidents of the last 30 days. Times are in UTC; a small "
    "inline script shows them in the viewer's time zone where it runs.",
    response_class=HTMLResponse,
    responses={200: {"description": "The status page (HTML)."}},
)
async def status_page(session: SessionDep, state: StateDep) -> Response:
    """Render the page from the same facts as ``summary.json``."""
    public_url = state.settings.public_url.rstrip("/")
    summary = await queries.status_summary(session, now=utcnow(), public_url=public_url)
    html = _TEMPLATES.get_template("status.html").render(
        summary=summary,
        public_url=public_url,
        condition_labels=_CONDITION_LABELS,
        overall_labels=_OVERALL_LABELS,
        incident_status_labels=_INCIDENT_STATUS_LABELS,
        maintenance_status_labels=_MAINTENANCE_STATUS_LABELS,
        uptime_bands=UPTIME_BANDS,
    )
    return _cached(HTMLResponse(html))


@router.get(
    "/summary.json",
    summary="The status page's facts as JSON",
    description="What the status page shows, for embedding in an intranet: every service "
    "with its status and measured availability on each of the last 90 days (`uptime_90d`), "
    "open incidents with their latest public message, maintenance in "
    "progress or planned, and incidents resolved in the last 30 days. No login; nothing "
    "internal. Cached for 30 seconds.",
    responses={200: {"description": "The current status."}},
)
async def status_summary(session: SessionDep, state: StateDep, response: Response) -> StatusSummary:
    """The facts of the status page."""
    _cached(response)
    return await queries.status_summary(session, now=utcnow(), public_url=state.settings.public_url)


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


@router.get(
    "/incidents/{incident_id}/report",
    summary="A published post-incident report, for the public",
    description="Server-rendered HTML, no login: what users could not do, why it happened, "
    "what was done, the follow-up actions and which are done, and what users were told "
    "during the incident. Only published reports of incidents users were told of; nothing "
    "internal. The status page links it from the past incident. Cached for 30 seconds.",
    response_class=HTMLResponse,
    responses={
        200: {"description": "The report (HTML)."},
        404: {
            "description": "No published report for this incident (HTML).",
            "content": {"text/html": {"schema": {"type": "string"}}},
        },
    },
)
async def incident_report(
    incident_id: Annotated[str, PathParam(max_length=64, description="The incident's id.")],
    session: SessionDep,
    state: StateDep,
) -> Response:
    """The page of one published report; a page saying there is none otherwise."""
    public_url = state.settings.public_url.rstrip("/")
    try:
        report = await reports.public_report(session, uuid.UUID(incident_id))
    except ValueError:
        report = None
    html = _TEMPLATES.get_template("report.html").render(report=report, public_url=public_url)
    return _cached(HTMLResponse(html, status_code=200 if report is not None else 404))
