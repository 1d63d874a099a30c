"""The report as an HTML page: server-rendered, autoescaped, its chart inline SVG."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from candor_incident_api.reports.chart import daily_chart
from candor_shared.contract import ServiceReport

REPORT_TEMPLATES = Path(__file__).parent / "templates"
"""The month reports' templates, among them ``month_report_base.html`` that both pages extend."""

_TEMPLATES = Environment(
    loader=FileSystemLoader(REPORT_TEMPLATES),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

ZONE_LABELS = {
    "below": "Below the adequate level",
    "within": "Within the zone of tolerance",
    "above": "At or above the desired level",
}
TERM_LABELS = {
    "acknowledge": "Acknowledged in time",
    "first_communication": "Users first told in time",
    "update": "Updated in time",
    "restore": "Restored in time",
}


def _utc(value: datetime | None) -> str:
    """A time in UTC as people read it ("—" for none)."""
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime("%d %b %Y, %H:%M UTC")


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _duration(value: timedelta) -> str:
    """A duration as people read it: "2 h 5 min", "40 min", "none", "under a minute";
    negative for an overspent budget."""
    seconds = int(value.total_seconds())
    if seconds == 0:
        return "none"
    sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
    minutes = round(seconds / 60)
    if minutes < 1:
        return f"{sign}under a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min"]
    return sign + " ".join(part for part in parts if part and part != "0 min")


def _percent(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f} %"


_TEMPLATES.filters["utc"] = _utc
_TEMPLATES.filters["iso"] = _iso
_TEMPLATES.filters["duration"] = _duration
_TEMPLATES.filters["percent"] = _percent


def render_report(report: ServiceReport, *, public_url: str) -> str:
    """The report page."""
    chart = daily_chart(
        report.daily, adequate=report.adequate_percent, desired=report.desired_percent
    )
    return _TEMPLATES.get_template("report.html").render(
        report=report,
        chart=chart,
        public_url=public_url.rstrip("/"),
        zone_labels=ZONE_LABELS,
        term_labels=TERM_LABELS,
    )
