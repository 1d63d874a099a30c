"""``/v1/reports/{service}``: a service's monthly report, asked for and served.

Reports are for IT: any operator token reads them (like the rest of the operator API),
operators and admins ask for new ones. The same address answers JSON, or an HTML page
with a chart to a client that asks for ``text/html``.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog.models import Service
from candor_incident_api.catalog.schemas import problem_responses
from candor_incident_api.dependencies import OperatorDep, SessionDep, StateDep, ViewerDep
from candor_incident_api.reports import service
from candor_incident_api.reports.page import render_report
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
from candor_incident_api.reports.schemas import ReportRequested
from candor_shared.contract import GroupRef, ServiceReport

router = APIRouter(prefix="/v1/reports", tags=["reports"])


def _report_url(slug: str, period: str, group: GroupRef | None = None) -> str:
    url = f"/v1/reports/{slug}?month={period}"
    return url if group is None else f"{url}&group={group.id}"


Group = Annotated[
    uuid.UUID | None,
    Query(
        description="A group of users' id: the report against the service's agreement with "
        "that group (GET /v1/services/{slug}/agreements); absent: the service's own agreement.",
        examples=["01a207cd-8501-733a-818b-9ecf802bbdf5"],
    ),
]


async def _resolve(
    session: AsyncSession, *, slug: str, month: str | None, group_id: uuid.UUID | None
) -> tuple[Service, str, GroupRef | None]:
    """The service, the month meant (in the timezone of the agreement reported on) and the
    group; 404 for an unknown service or group, or a group without an agreement."""
    if group_id is None:
        found, period = await service_and_month(session, slug=slug, month=month)
        return found, period, None
    found, _ = await service_and_month(session, slug=slug, month=None)
    group, terms = await service.group_agreement_of(session, service=found, group_id=group_id)
    found, period = await service_and_month(session, slug=slug, month=month, terms=terms)
    return found, period, group


@router.post(
    "/{slug}",
    status_code=202,
    response_model_exclude_none=True,
    summary="Ask for a service's report of a month",
    description="Asks sla-monitor to make the service's report of `month` (default: the "
    "current month) as of now: final once the month is over in the agreement's timezone, "
    "else the month so far. It is served at `report_url` (also in `Location`) a moment "
    "later. Each month's final report is also made by itself after the month closes. With "
    "`group`, the report is against the service's agreement with that group of users (one "
    "is made by itself each month too).",
    responses={
        **AUTH_RESPONSES,
        **problem_responses(
            e404="No service has this slug, no group this id, or the service has no "
            "agreement with the group."
        ),
        **MONTH_RESPONSES,
    },
)
async def request_report(
    slug: Slug,
    session: SessionDep,
    operator: OperatorDep,
    response: Response,
    month: Month = None,
    group: Group = None,
) -> ReportRequested:
    """Publish the request (`candor.sla.report_requested.v1`) with the commit."""
    found, period, whose = await _resolve(session, slug=slug, month=month, group_id=group)
    service.request_report(
        session=session, service=found, period=period, requested_by=operator.name, group=whose
    )
    response.headers["Location"] = _report_url(slug, period, whose)
    return ReportRequested(
        service=slug,
        period=period,
        requested_by=operator.name,
        report_url=_report_url(slug, period, whose),
        group=whose,
    )


_HTML_RESPONSE = html_responses(
    "The report: JSON, or with `Accept: text/html` a page with a chart "
    "of daily availability against the adequate and desired levels."
)


@router.get(
    "/{slug}",
    summary="A service's report of a month",
    description="The newest report sla-monitor made of the service's `month` (default: the "
    "current month): availability of the month (so far) against the adequate and desired "
    "levels and its zone, measured and declared downtime, maintenance excluded or counted "
    "late, the error budget, each response term's compliance, the incidents and the "
    "maintenance of the month, and the availability of each local day. `final` tells "
    "whether the month is over. Ask with `Accept: text/html` for the page with its chart. "
    "With `group`, the report against the service's agreement with that group of users. "
    "404 until a report was made: ask for one with POST.",
    response_model=ServiceReport,
    responses={
        **_HTML_RESPONSE,
        **AUTH_RESPONSES,
        **problem_responses(
            e404="No service has this slug, no group this id (or no agreement with it), "
            "or no report of this month was made yet (`detail` says which, and how to ask "
            "for one)."
        ),
        **MONTH_RESPONSES,
    },
)
async def get_report(
    slug: Slug,
    request: Request,
    session: SessionDep,
    state: StateDep,
    _: ViewerDep,
    month: Month = None,
    group: Group = None,
) -> Any:
    """The stored report, as JSON or HTML."""
    found, period, whose = await _resolve(session, slug=slug, month=month, group_id=group)
    report = await service.stored_report(session=session, service=found, period=period, group=whose)
    if report is None:
        raise not_made_yet(
            what="report" if whose is None else f"report against {whose.name!r}'s agreement",
            slug=slug,
            period=period,
            report_url=_report_url(slug, period, whose),
        )
    return negotiated(
        report,
        request=request,
        page=lambda: render_report(report, public_url=state.settings.public_url),
    )
