"""The status page's feeds: Atom (RFC 4287) of incident updates, iCalendar (RFC 5545) of
maintenance windows.

Atom is written by feedgen and iCalendar by icalendar, which escape, fold and format what
the standards ask; ids are stable (``urn:uuid:`` of the timeline entry, the window's id as
UID) so that readers and calendars recognise an entry they have already seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator
from icalendar import Calendar, Event

from candor_incident_api.catalog.models import Service
from candor_incident_api.maintenance.models import MaintenanceWindow
from candor_incident_api.status.queries import FeedItem

FEED_TITLE = "Service status: incidents and updates"
CALENDAR_NAME = "Planned maintenance"
PRODID = "-//Candor//Status page//EN"

_KIND_LABELS = {
    "opened": "Incident opened",
    "resolved": "Resolved",
    "reopened": "Reopened",
    "status": "Status changed",
    "impact": "Impact changed",
}


_IMPACT_WORDS = {
    "none": "none, the services stay available",
    "minor": "minor disruption",
    "major": "major disruption",
    "critical": "the services are unavailable",
}


def _label(item: FeedItem) -> str:
    return _KIND_LABELS.get(item.kind, "Update")


def _entry_text(item: FeedItem) -> str:
    parts = [text for text in (item.public_message, item.summary) if text]
    if parts:
        return "\n\n".join(parts)
    if item.kind == "opened":
        return f"We are looking into a problem with {item.service_name}."
    if item.kind == "resolved":
        return f"{item.service_name} works normally again."
    return f"{item.service_name}: {_label(item).lower()}."


def atom_feed(items: Sequence[FeedItem], *, public_url: str, now: datetime) -> bytes:
    """An Atom feed of ``items`` (newest first), linking to the status page."""
    base = public_url.rstrip("/")
    feed = FeedGenerator()
    feed.id(f"{base}/status")
    feed.title(FEED_TITLE)
    feed.author({"name": "IT service status"})
    feed.link(href=f"{base}/status", rel="alternate", type="text/html")
    feed.link(href=f"{base}/status/feed.atom", rel="self", type="application/atom+xml")
    feed.language("en")
    feed.updated(items[0].at if items else now)
    for item in items:
        entry = feed.add_entry(order="append")
        entry.id(f"urn:uuid:{item.id}")
        entry.title(f"{item.incident_title} — {_label(item)}")
        entry.updated(item.at)
        entry.published(item.at)
        entry.link(href=f"{base}/status#incident-{item.incident_id}", rel="alternate")
        entry.category(term=item.kind)
        entry.content(_entry_text(item), type="text")
    xml: bytes = feed.atom_str(pretty=True)
    return xml


def maintenance_calendar(
    windows: Sequence[tuple[MaintenanceWindow, Sequence[Service]]], *, public_url: str
) -> bytes:
    """An iCalendar of maintenance windows; cancelled ones carry ``STATUS:CANCELLED``."""
    base = public_url.rstrip("/")
    host = urlsplit(base).hostname or "candor"
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", CALENDAR_NAME)
    for window, services in windows:
        names = ", ".join(service.name for service in services)
        description = "\n\n".join(
            text
            for text in (
                window.description,
                f"Affected services: {names}." if names else "",
                f"Expected impact: {_IMPACT_WORDS.get(window.impact, window.impact)}.",
            )
            if text
        )
        event = Event()
        event.add("uid", f"maintenance-{window.id}@{host}")
        event.add("dtstamp", window.updated_at)
        event.add("last-modified", window.updated_at)
        event.add("created", window.created_at)
        event.add("sequence", max(0, window.version - 1))
        event.add("dtstart", window.starts_at)
        event.add("dtend", window.ends_at)
        event.add("summary", window.title)
        event.add("description", description)
        event.add("status", "CANCELLED" if window.status == "cancelled" else "CONFIRMED")
        event.add("transp", "TRANSPARENT")
        event.add("categories", ["Maintenance"])
        for service in services:
            event.add("x-candor-service", service.slug)
        event.add("url", f"{base}/status")
        calendar.add_component(event)
    ics: bytes = calendar.to_ical()
    return ics
