"""HTTP endpoints for integrations."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from candor_incident_api.dependencies import CurrentOperator, SessionDep, StateDep
from candor_incident_api.errors import not_found
from candor_incident_api.integrations import repository, service
from candor_incident_api.integrations.schemas import (
    IntegrationCreated,
    IntegrationIn,
    IntegrationOut,
)

router = APIRouter(prefix="/v1/integrations", tags=["integrations"])


@router.post("", status_code=201, summary="Register a monitoring source and get its key")
async def create_integration(
    data: IntegrationIn, session: SessionDep, state: StateDep, _: CurrentOperator
) -> IntegrationCreated:
    """The answer carries the key; it is stored hashed and never shown again."""
    integration, key = await service.create_integration(session=session, data=data)
    view = service.to_out(integration, public_url=state.settings.public_url)
    return IntegrationCreated(**view.model_dump(), key=key)


@router.get("", summary="List integrations")
async def list_integrations(
    session: SessionDep, state: StateDep, _: CurrentOperator
) -> list[IntegrationOut]:
    """Every integration, with the prefix of its key but never the key."""
    return [
        service.to_out(row, public_url=state.settings.public_url)
        for row in await repository.list_all(session)
    ]


@router.delete("/{integration_id}", status_code=204, summary="Revoke an integration's key")
async def revoke_integration(
    integration_id: uuid.UUID, session: SessionDep, _: CurrentOperator
) -> None:
    """Alerts sent with the key are refused (401) from now on."""
    found = await repository.get(session, integration_id)
    if found is None:
        raise not_found("integration", str(integration_id))
    await service.revoke_integration(session=session, integration=found)
