"""HTTP endpoints through which monitoring tools report trouble."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from candor_incident_api.dependencies import BearerCredentials, unauthorized
from candor_incident_api.ingest import alertmanager
from candor_incident_api.ingest.auth import IngestCaller, IntegrationKeys
from candor_incident_api.ingest.schemas import IngestAccepted
from candor_incident_api.ingest.writer import IngestWriter

router = APIRouter(prefix="/v1/ingest", tags=["ingest"])

_ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "Missing, unknown or revoked integration key."},
    413: {"description": "The body is larger than CANDOR_MAX_BODY_BYTES."},
    422: {"description": "The payload is malformed; `detail` names the field."},
    503: {"description": "The database is unreachable; retry after `Retry-After` seconds."},
}


def _caller_for(source: str):  # type: ignore[no-untyped-def]
    async def caller(request: Request, credentials: BearerCredentials) -> IngestCaller:
        if credentials is None:
            raise unauthorized("Send the integration key as 'Authorization: Bearer <key>'.")
        keys: IntegrationKeys = request.app.state.integration_keys
        found = await keys.resolve(credentials.credentials)
        if found is None:
            raise unauthorized("The integration key is unknown or revoked.")
        if found.source != source:
            raise unauthorized(
                f"This key belongs to a {found.source!r} integration; post to "
                f"/v1/ingest/{found.source} instead."
            )
        return found

    return caller


async def _writer(request: Request) -> IngestWriter:
    writer: IngestWriter = request.app.state.ingest_writer
    return writer


WriterDep = Annotated[IngestWriter, Depends(_writer)]


def _accepted(count: int, outcome: list[uuid.UUID | None]) -> IngestAccepted:
    incidents = list(dict.fromkeys(incident for incident in outcome if incident is not None))
    return IngestAccepted(alerts=count, incidents=incidents)


@router.post(
    "/alertmanager",
    status_code=202,
    summary="Prometheus Alertmanager webhook (payload version 4)",
    responses=_ERRORS,
)
async def ingest_alertmanager(
    payload: alertmanager.AlertmanagerPayload,
    caller: Annotated[IngestCaller, Depends(_caller_for("alertmanager"))],
    writer: WriterDep,
) -> IngestAccepted:
    """Point an Alertmanager `webhook_configs` receiver here with
    `http_config.authorization.credentials` set to the integration key.

    The alert label `service` names the service by its slug (or the integration's default
    service applies). Answers 202 once the alerts are committed.
    """
    alerts = alertmanager.to_alerts(payload)
    outcome = await writer.submit(caller=caller, alerts=alerts)
    return _accepted(len(alerts), outcome)
