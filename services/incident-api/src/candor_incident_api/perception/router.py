"""``/v1/reports/{service}/perception``: a service's perception-gap report of a month.

Like the monthly report beside it: any operator token reads it, operators and admins ask
for a new one, and the same address answers JSON or, to a client that asks for
``text/html``, a page with a chart.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from candor_incident_api.catalog.schemas import problem_responses
from candor_incident_api.dependencies import OperatorDep, SessionDep, StateDep, ViewerDep
from candor_incident_api.perception import service
from candor_incident_api.perception.page import render_perception
from candor_incident_api.perception.schemas import PerceptionRequested
from candor_incident_api.reports.routing import (
    AUTH_RESPONSES,
    MONTH_RESPONSES,
    Month,
    Slug,
    html_responses,
    negotiated,
    not_made_yet,
    service_and_month,
)
from candor_shared.contract import PerceptionReport

# The monthly report's path, month, 404 and content negotiation are shared (reports/routing.py),
# so that both reports of a service are asked for and read alike.
router = APIRouter(prefix="/v1/reports", tags=["reports"])


def _report_url(slug: str, period: str) -> str:
    return f"/v1/reports/{slug}/perception?month={period}"


@router.post(
    "/{slug}/perception",
    status_code=202,
    summary="Ask for a service's perception-gap report of a month",
    description="Asks sla-monitor to compare the service's `month` (default: the current "
    "month) as the facts tell it — measured, declared downtime, availability against the "
    "agreement, communication terms kept — with what users answered in the feedback form: "
    "how long it felt down, how well they were kept informed. It is served at `report_url` "
    "(also in `Location`) a moment later. Ask again after more answers came in: the newest "
    "report is kept.",
    responses={
        **AUTH_RESPONSES,
        **problem_responses(e404="No service has this slug."),
        **MONTH_RESPONSES,
    },
)
async def request_perception_report(
    slug: Slug,
    session: SessionDep,
    operator: OperatorDep,
    response: Response,
    month: Month = None,
) -> PerceptionRequested:
    """Publish the request (`candor.sla.perception_requested.v1`) with the commit."""
    found, period = await service_and_month(session, slug=slug, month=month)
    service.request_report(
        session=session, service=found, period=period, requested_by=operator.name
    )
    response.headers["Location"] = _report_url(slug, period)
    return PerceptionRequested(
        service=slug,
        period=period,
        requested_by=operator.name,
        report_url=_report_url(slug, period),
    )


_HTML_RESPONSE = html_responses(
    "The report: JSON, or with `Accept: text/html` a page with a chart of "
    "measured, declared and perceived downtime and the kept-informed score."
)


@router.get(
    "/{slug}/perception",
    summary="A service's perception-gap report of a month",
    description="The newest perception-gap report sla-monitor made of the service's `month` "
    "(default: the current month): measured, declared and perceived downtime (the median "
    "of what respondents said, per incident), availability and its zone, the communication "
    "terms' compliance beside the mean kept-informed score (1-7), what users expect, a "
    "verdict on the facts and one on the perception, and `flags`: `communication_gap` "
    "(facts good, perception poor) or `perception_better_than_facts`. Ask with "
    "`Accept: text/html` for the page with its chart. 404 until a report was made: ask for "
    "one with POST.",
    response_model=PerceptionReport,
    responses={
        **_HTML_RESPONSE,
        **AUTH_RESPONSES,
        **problem_responses(
            e404="No service has this slug, or no perception report of this month was made "
            "yet (`detail` says which, and how to ask for one)."
        ),
        **MONTH_RESPONSES,
    },
)
async def get_perception_report(
    slug: Slug,
    request: Request,
    session: SessionDep,
    state: StateDep,
    _: ViewerDep,
    month: Month = None,
) -> Any:
    """The stored report, as JSON or HTML."""
    found, period = await service_and_month(session, slug=slug, month=month)
    report = await service.stored_report(session=session, service=found, period=period)
    if report is None:
        raise not_made_yet(
            what="perception report",
            slug=slug,
            period=period,
            report_url=_report_url(slug, period),
        )
    return negotiated(
        report,
        request=request,
        page=lambda: render_perception(report, public_url=state.settings.public_url),
    )
