"""What every month report of a service shares over HTTP: the path and month parameters,
the service and month asked for, the 404 that says how to ask for a report, and the one
address that answers JSON or, to a client that prefers ``text/html``, a page.

The monthly report and the perception-gap report are routed through it, so that both
reports of a service are asked for and read alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Path, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog import repository as catalog
from candor_incident_api.catalog.models import Service
from candor_incident_api.catalog.schemas import SLUG_PATTERN, problem_responses
from candor_incident_api.errors import ApiError, not_found
from candor_incident_api.reports.service import MONTH_PATTERN, month_of
from candor_shared.clock import utcnow

Slug = Annotated[
    str, Path(pattern=SLUG_PATTERN, description="The service's slug.", examples=["email"])
]
Month = Annotated[
    str | None,
    Query(
        pattern=MONTH_PATTERN,
        description="The month, YYYY-MM, in the service agreement's timezone; "
        "absent: the current month.",
        examples=["2026-03"],
    ),
]

AUTH_RESPONSES = problem_responses(
    e401="No valid operator token.", e403="The token's role may not do this."
)
MONTH_RESPONSES = problem_responses(
    e422="`month` is not YYYY-MM, is outside 1971-9998, or has not begun in the service's timezone."
)


def html_responses(description: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI 200 of an address that also answers ``text/html``, said in ``description``."""
    return {
        200: {"description": description, "content": {"text/html": {"schema": {"type": "string"}}}}
    }


async def service_and_month(
    session: AsyncSession, *, slug: str, month: str | None, terms: dict[str, Any] | None = None
) -> tuple[Service, str]:
    """The service named by ``slug`` (404 if none) and the month meant (422 if not valid),
    in the timezone of ``terms`` (a group's agreement) when given."""
    found = await catalog.get_by_slug(session, slug)
    if found is None:
        raise not_found("service", slug)
    return found, month_of(month=month, service=found, now=utcnow(), terms=terms)


def not_made_yet(*, what: str, slug: str, period: str, report_url: str) -> ApiError:
    """The 404 for a month whose ``what`` was not made yet, saying how to ask for one."""
    return ApiError(
        404,
        "Not found",
        f"No {what} of {slug!r} for {period} was made yet; ask for one with "
        f"POST {report_url}, then read it here again.",
    )


def wants_html(accept: str) -> bool:
    """True when ``accept`` prefers ``text/html`` to JSON (named explicitly, higher q)."""
    weights: dict[str, float] = {}
    for part in accept.split(","):
        media, *parameters = (piece.strip() for piece in part.split(";"))
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[media.lower()] = max(weights.get(media.lower(), 0.0), weight)
    return weights.get("text/html", 0.0) > weights.get("application/json", 0.0)


def negotiated(report: BaseModel, *, request: Request, page: Callable[[], str]) -> Response:
    """``report`` as JSON, or ``page()`` to a client that prefers HTML; ``Vary: Accept``."""
    if wants_html(request.headers.get("accept", "")):
        return HTMLResponse(page(), headers={"Vary": "Accept"})
    return Response(
        report.model_dump_json(), media_type="application/json", headers={"Vary": "Accept"}
    )
