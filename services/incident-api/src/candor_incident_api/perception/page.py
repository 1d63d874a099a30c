"""The perception report as an HTML page: server-rendered, autoescaped, charts inline SVG."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from candor_incident_api.perception.chart import downtime_chart, score_chart
from candor_incident_api.reports.page import (
    REPORT_TEMPLATES,
    TERM_LABELS,
    ZONE_LABELS,
    _duration,
    _iso,
    _percent,
    _utc,
)
from candor_shared.contract import PerceptionReport
from candor_shared.contract.perception import KEPT_INFORMED_GOOD_FROM, KEPT_INFORMED_POOR_UP_TO

_TEMPLATES = Environment(
    # The reports' folder too, for the page both month reports extend.
    loader=FileSystemLoader([Path(__file__).parent / "templates", REPORT_TEMPLATES]),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
# Times, durations and percentages read as on the monthly report.
_TEMPLATES.filters["utc"] = _utc
_TEMPLATES.filters["iso"] = _iso
_TEMPLATES.filters["duration"] = _duration
_TEMPLATES.filters["percent"] = _percent

FLAG_TEXTS = {
    "communication_gap": (
        "Communication gap",
        "The facts are good but users feel poorly served: the service did better than its "
        "users know. Tell them more, sooner, and show them the figures.",
    ),
    "perception_better_than_facts": (
        "Perception better than the facts",
        "The facts are poor but users feel well served: their goodwill is not to be counted "
        "on. Fix what the figures show before it wears out.",
    ),
}
VERDICT_LABELS = {
    "good": "Good",
    "mixed": "Mixed",
    "poor": "Poor",
    "unknown": "Not known",
}


def render_perception(report: PerceptionReport, *, public_url: str) -> str:
    """The perception report page."""
    return _TEMPLATES.get_template("perception.html").render(
        report=report,
        downtime=downtime_chart(
            measured=report.measured_downtime,
            declared=report.declared_downtime,
            perceived=report.perceived_downtime,
        ),
        score=score_chart(report.kept_informed_mean),
        public_url=public_url.rstrip("/"),
        zone_labels=ZONE_LABELS,
        term_labels=TERM_LABELS,
        flag_texts=FLAG_TEXTS,
        verdict_labels=VERDICT_LABELS,
        poor_up_to=KEPT_INFORMED_POOR_UP_TO,
        good_from=KEPT_INFORMED_GOOD_FROM,
    )
