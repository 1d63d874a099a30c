"""HTTP endpoints for routing rules and the alerts nothing could place."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog.models import Component, Service
from candor_incident_api.dependencies import AdminDep, OperatorDep, SessionDep, ViewerDep
from candor_incident_api.errors import ApiError, not_found
from candor_incident_api.incidents.service import RoutedAlert, apply_alerts
from candor_incident_api.ingest.model import InboundAlert
from candor_incident_api.integrations.models import Integration, RoutingRule, UnroutedAlert
from candor_incident_api.outbox import publish
from candor_incident_api.pagination import Page, decode_cursor, encode_cursor
from candor_incident_api.routing.matchers import Matcher
from candor_incident_api.routing.schemas import RouteIn, RuleIn, RuleOut, UnroutedOut
from candor_incident_api.routing.table import RoutingTable
from candor_shared.clock import utcnow
from candor_shared.contract.catalog import RoutingRulesChanged
from candor_shared.ids import uuid7

router = APIRouter(tags=["routing"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such integration, service or component."},
    422: {"description": "A rule is malformed (e.g. an invalid regular expression)."},
}


async def _target(
    session: AsyncSession, slug: str, component: str | None, where: str
) -> tuple[Service, Component | None]:
    service = await session.scalar(select(Service).where(Service.slug == slug))
    if service is None:
        raise ApiError(422, "Unknown service", f"{where}.service: no service with slug {slug!r}.")
    found: Component | None = None
    if component is not None:
        found = await session.scalar(
            select(Component).where(Component.service_id == service.id, Component.slug == component)
        )
        if found is None:
            raise ApiError(
                422,
                "Unknown component",
                f"{where}.component: service {slug!r} has no component {component!r}.",
            )
    return service, found


async def _rules_out(session: AsyncSession, integration_id: uuid.UUID | None) -> list[RuleOut]:
    rows = (
        await session.execute(
            select(RoutingRule, Service.slug, Component.slug)
            .join(Service, Service.id == RoutingRule.service_id)
            .outerjoin(Component, Component.id == RoutingRule.component_id)
            .where(
                RoutingRule.integration_id == integration_id
                if integration_id
                else RoutingRule.integration_id.is_(None)
            )
            .order_by(RoutingRule.position)
        )
    ).all()
    return [
        RuleOut(
            id=rule.id,
            position=rule.position,
            matchers=[Matcher.model_validate(m) for m in rule.matchers],
            service=service_slug,
            component=component_slug,
        )
        for rule, service_slug, component_slug in rows
    ]


async def _replace(
    request: Request, session: AsyncSession, integration_id: uuid.UUID | None, rules: list[RuleIn]
) -> list[RuleOut]:
    now = utcnow()
    await session.execute(
        delete(RoutingRule).where(
            RoutingRule.integration_id == integration_id
            if integration_id
            else RoutingRule.integration_id.is_(None)
        )
    )
    for position, rule in enumerate(rules):
        service, component = await _target(
            session, rule.service, rule.component, f"body.{position}"
        )
        session.add(
            RoutingRule(
                id=uuid7(),
                integration_id=integration_id,
                position=position,
                matchers=[m.model_dump() for m in rule.matchers],
                service_id=service.id,
                component_id=component.id if component else None,
                created_at=now,
            )
        )
    await session.flush()
    stored = await _rules_out(session, integration_id)
    publish(
        session,
        RoutingRulesChanged(
            integration_id=str(integration_id) if integration_id else None,
            rules=[rule.model_dump(mode="json") for rule in stored],
        ),
        key=str(integration_id) if integration_id else "global-routing",
    )
    table: RoutingTable = request.app.state.routing_table
    table.invalidate()
    return stored


async def _integration(session: AsyncSession, integration_id: uuid.UUID) -> Integration:
    found = await session.get(Integration, integration_id)
    if found is None:
        raise not_found("integration", str(integration_id))
    return found


@router.get(
    "/v1/integrations/{integration_id}/routing-rules",
    summary="An integration's routing rules",
    responses=_ERRORS,
)
async def get_integration_rules(
    integration_id: uuid.UUID, session: SessionDep, _: ViewerDep
) -> list[RuleOut]:
    """The rules tried first for this integration's alerts, in order; the first match wins."""
    await _integration(session, integration_id)
    return await _rules_out(session, integration_id)


@router.put(
    "/v1/integrations/{integration_id}/routing-rules",
    summary="Replace an integration's routing rules",
    responses=_ERRORS,
)
async def put_integration_rules(
    integration_id: uuid.UUID,
    rules: list[RuleIn],
    request: Request,
    session: SessionDep,
    _: AdminDep,
) -> list[RuleOut]:
    """The list replaces the integration's rules (idempotent). Matchers work as in
    Alertmanager: `=`, `!=`, `=~`, `!~` on a label (regular expressions match the whole
    value; a missing label is the empty string). The integration may post alerts for every
    service its rules name. Takes effect at once on this replica, within 5 s on others."""
    await _integration(session, integration_id)
    return await _replace(request, session, integration_id, rules)


@router.get("/v1/routing-rules", summary="Global routing rules")
async def get_global_rules(session: SessionDep, _: ViewerDep) -> list[RuleOut]:
    """Rules tried for every integration's alerts after the integration's own rules."""
    return await _rules_out(session, None)


@router.put("/v1/routing-rules", summary="Replace the global routing rules", responses=_ERRORS)
async def put_global_rules(
    rules: list[RuleIn], request: Request, session: SessionDep, _: AdminDep
) -> list[RuleOut]:
    """The list replaces the global rules (idempotent). A global rule does not let an
    integration post for a service it is not allowed to."""
    return await _replace(request, session, None, rules)


@router.get("/v1/unrouted-alerts", summary="Alerts that could not be placed")
async def list_unrouted(
    session: SessionDep,
    _: ViewerDep,
    integration: Annotated[uuid.UUID | None, Query(description="Integration id")] = None,
    status: Annotated[Literal["firing", "resolved"] | None, Query()] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[UnroutedOut]:
    """Alerts kept because no rule, `service` label or default service placed them, newest
    first. Add a rule or a service and route them (`POST .../{id}/route`)."""
    query = select(UnroutedAlert).order_by(UnroutedAlert.id.desc()).limit(limit + 1)
    if integration is not None:
        query = query.where(UnroutedAlert.integration_id == integration)
    if status is not None:
        query = query.where(UnroutedAlert.status == status)
    if cursor:
        query = query.where(UnroutedAlert.id < decode_cursor(cursor))
    rows = list((await session.scalars(query)).all())
    return Page[UnroutedOut](
        items=[UnroutedOut.model_validate(row) for row in rows[:limit]],
        next_cursor=encode_cursor(rows[limit - 1].id) if len(rows) > limit else None,
    )


@router.post(
    "/v1/unrouted-alerts/{alert_id}/route",
    summary="Place an unrouted alert on a service",
    responses=_ERRORS,
)
async def route_unrouted(
    alert_id: uuid.UUID, target: RouteIn, session: SessionDep, operator: OperatorDep
) -> dict[str, uuid.UUID | None]:
    """The alert is applied to the service as if it had arrived routed (opening, joining or
    resolving its incident) and leaves the unrouted list. Answers the incident's id."""
    row = await session.get(UnroutedAlert, alert_id, with_for_update=True)
    if row is None:
        raise not_found("unrouted alert", str(alert_id))
    service, component = await _target(session, target.service, target.component, "body")
    alert = InboundAlert(
        source=row.source,
        fingerprint=row.fingerprint,
        status="resolved" if row.status == "resolved" else "firing",
        summary=row.summary,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        severity=row.severity,
        labels=row.labels,
    )
    routed = RoutedAlert(
        alert=alert,
        service=service,
        integration_id=row.integration_id,
        component_id=component.id if component else None,
        actor=operator.name,
    )
    [incident] = await apply_alerts(session=session, alerts=[routed], now=utcnow())
    await session.delete(row)
    return {"incident_id": incident}
