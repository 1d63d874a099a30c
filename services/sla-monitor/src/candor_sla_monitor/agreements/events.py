"""The catalog-topic events sla-monitor handles: services and their agreement terms."""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from candor_shared.contract import CloudEvent, EventData, ServiceDeleted, ServiceUpserted
from candor_shared.kafka import Handler
from candor_sla_monitor.agreements import repository

log = structlog.get_logger(__name__)


async def on_service_upserted(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
    """Keep the service's agreement terms, unless a newer version is recorded."""
    data = event.data
    if not isinstance(data, ServiceUpserted):
        raise TypeError(f"{event.type} carries {type(data).__name__}, not ServiceUpserted")
    terms = None if data.agreement is None else data.agreement.model_dump(mode="json")
    changed = await repository.upsert(
        session,
        service_id=data.id,
        service_slug=data.slug,
        name=data.name,
        terms=terms,
        version=data.version,
        group_agreements={
            group_id: {
                "name": data.group_names.get(group_id, group_id),
                "terms": group_terms.model_dump(mode="json"),
            }
            for group_id, group_terms in data.group_agreements.items()
        },
    )
    log.info(
        "agreements.service_upserted",
        service=data.slug,
        version=data.version,
        has_agreement=terms is not None,
        group_agreements=len(data.group_agreements),
        changed=changed,
    )


async def on_service_deleted(*, session: AsyncSession, event: CloudEvent[EventData]) -> None:
    """Forget the service's agreement for good."""
    data = event.data
    if not isinstance(data, ServiceDeleted):
        raise TypeError(f"{event.type} carries {type(data).__name__}, not ServiceDeleted")
    changed = await repository.mark_deleted(session, service_id=data.id, service_slug=data.slug)
    log.info("agreements.service_deleted", service=data.slug, changed=changed)


def handlers() -> dict[str, Handler]:
    """Handlers by event type, for a consumer of the catalog topic."""
    return {
        ServiceUpserted.event_type: on_service_upserted,
        ServiceDeleted.event_type: on_service_deleted,
    }
