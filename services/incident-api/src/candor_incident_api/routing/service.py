"""Placing alerts: which service and component each concerns, or why none.

For each alert, in order: a matching rule of its integration, a matching global rule, the
``service`` the source names (a label), the integration's default service. An integration
may post only for its default service, the services it lists and its own rules' targets (an
integration configured with none of these posts for any service by label). An alert that
names a service the integration may not post for refuses the whole request (403): that is a
misconfiguration its sender must see. One that can be placed nowhere — no service named, an
unknown service — is kept as unrouted, for operators to see and route.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog.models import Component, Service
from candor_incident_api.errors import ApiError
from candor_incident_api.incidents.service import RoutedAlert
from candor_incident_api.ingest.auth import IngestCaller
from candor_incident_api.ingest.model import InboundAlert
from candor_incident_api.integrations.models import UnroutedAlert
from candor_incident_api.routing.services import ServiceCache
from candor_incident_api.routing.table import Rules
from candor_shared.ids import uuid7


@dataclass(frozen=True, slots=True)
class Unrouted:
    """An alert that could not be placed, and why."""

    alert: InboundAlert
    integration_id: uuid.UUID | None
    reason: str


@dataclass(frozen=True, slots=True)
class _Target:
    service_id: uuid.UUID | None
    slug: str | None
    component_id: uuid.UUID | None
    component_slug: str | None
    by_rule: bool


async def place(
    session: AsyncSession,
    rules: Rules,
    requests: list[tuple[IngestCaller, list[InboundAlert]]],
    *,
    services: ServiceCache | None = None,
) -> list[list[RoutedAlert | Unrouted] | ApiError]:
    """For each request, its alerts placed (in order), or the error that refuses it
    (``services``: where to look services up first, else the database)."""
    targets: list[list[_Target]] = []
    slugs: set[str] = set()
    ids: set[uuid.UUID] = set()
    for caller, alerts in requests:
        own: list[_Target] = []
        for alert in alerts:
            pinned = alert.service_pinned
            rule = None if pinned else rules.first_match(caller.integration_id, alert.labels)
            if rule is not None:
                target = _Target(rule.service_id, None, rule.component_id, None, True)
                ids.add(rule.service_id)
            else:
                slug = alert.service_slug or caller.default_service
                target = _Target(None, slug, None, alert.component_slug, False)
                if slug:
                    slugs.add(slug)
            own.append(target)
        targets.append(own)
    found = (
        await services.lookup(session, slugs, ids)
        if services is not None
        else await _services(session, slugs, ids)
    )
    by_slug = {service.slug: service for service in found.values()}
    components = await _components(session, targets, by_slug)
    result: list[list[RoutedAlert | Unrouted] | ApiError] = []
    for (caller, alerts), own in zip(requests, targets, strict=True):
        own_rule_targets = {
            rule.service_id for rule in rules.for_integration(caller.integration_id)
        }
        allowed = _allowed(caller, own_rule_targets, found)
        placed: list[RoutedAlert | Unrouted] = []
        refused: ApiError | None = None
        for index, (alert, target) in enumerate(zip(alerts, own, strict=True)):
            service = found.get(target.service_id) if target.service_id else None
            if service is None and target.slug:
                service = by_slug.get(target.slug)
            if service is None:
                reason = (
                    f"no service with slug {target.slug!r}"
                    if target.slug
                    else "no routing rule matched, no 'service' label, no default service"
                )
                placed.append(Unrouted(alert, caller.integration_id, reason))
                continue
            if allowed is not None and service.id not in allowed:
                refused = ApiError(
                    403,
                    "Service not allowed for this integration",
                    f"alerts.{index}: this integration may not post alerts for service "
                    f"{service.slug!r}; an admin can add it to the integration's services.",
                )
                break
            component_id = target.component_id
            if component_id is None and target.component_slug:
                component_id = components.get((service.id, target.component_slug))
            placed.append(
                RoutedAlert(
                    alert=alert,
                    service=service,
                    integration_id=caller.integration_id,
                    component_id=component_id,
                    actor=f"integration:{caller.name or caller.integration_id}",
                )
            )
        result.append(refused if refused is not None else placed)
    return result


def _allowed(
    caller: IngestCaller, rule_targets: set[uuid.UUID], services: dict[uuid.UUID, Service]
) -> set[uuid.UUID] | None:
    """The ids of the services ``caller`` may post for; None: any."""
    slugs = set(caller.allowed_services)
    if caller.default_service:
        slugs.add(caller.default_service)
    if not slugs and not rule_targets:
        return None
    return rule_targets | {service.id for service in services.values() if service.slug in slugs}


async def _services(
    session: AsyncSession, slugs: set[str], ids: set[uuid.UUID]
) -> dict[uuid.UUID, Service]:
    if not slugs and not ids:
        return {}
    rows = await session.scalars(
        select(Service).where(or_(Service.slug.in_(slugs), Service.id.in_(ids)))
    )
    return {service.id: service for service in rows}


async def _components(
    session: AsyncSession, targets: list[list[_Target]], by_slug: dict[str, Service]
) -> dict[tuple[uuid.UUID, str], uuid.UUID]:
    wanted = {
        (by_slug[target.slug].id, target.component_slug)
        for own in targets
        for target in own
        if target.component_slug and target.slug in by_slug
    }
    if not wanted:
        return {}
    rows = await session.execute(
        select(Component.service_id, Component.slug, Component.id).where(
            Component.service_id.in_({service_id for service_id, _ in wanted}),
            Component.slug.in_({slug for _, slug in wanted}),
        )
    )
    return {(service_id, slug): component_id for service_id, slug, component_id in rows}


async def record_unrouted(session: AsyncSession, unrouted: list[Unrouted], now: datetime) -> None:
    """Keep unrouted alerts, deduplicated like routed ones (a repeat counts and updates)."""
    if not unrouted:
        return
    existing = {
        (row.integration_id, row.source, row.fingerprint): row
        for row in await session.scalars(
            select(UnroutedAlert)
            .where(UnroutedAlert.fingerprint.in_({item.alert.fingerprint for item in unrouted}))
            .with_for_update()
        )
    }
    for item in unrouted:
        alert = item.alert
        key = (item.integration_id, alert.source, alert.fingerprint)
        row = existing.get(key)
        if row is None:
            row = UnroutedAlert(
                id=uuid7(),
                integration_id=item.integration_id,
                source=alert.source,
                fingerprint=alert.fingerprint,
                received=0,
                first_received_at=now,
            )
            session.add(row)
            existing[key] = row
        if alert.status == "acknowledged":
            row.status = row.status or "firing"
        else:
            row.status = alert.status
        row.severity = alert.severity
        row.summary = alert.summary[:500]
        row.labels = alert.labels
        row.reason = item.reason[:500]
        row.starts_at = alert.starts_at
        row.ends_at = alert.ends_at
        row.received += 1
        row.last_received_at = now
    await session.flush()
