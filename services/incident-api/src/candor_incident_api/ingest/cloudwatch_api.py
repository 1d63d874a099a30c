"""``POST /v1/ingest/cloudwatch``: AWS CloudWatch alarms through an SNS HTTPS subscription.

SNS posts its envelope as ``text/plain``, so the body is read and parsed here rather than
by FastAPI; the signature is checked before anything in it is trusted.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from candor_incident_api.ingest.admission import ERRORS, SIGNING, accepted, admit, bearer_key
from candor_incident_api.ingest.auth import IngestCaller
from candor_incident_api.ingest.schemas import SnsAccepted
from candor_incident_api.ingest.sns import SnsVerifier
from candor_incident_api.ingest.sources import SOURCES, cloudwatch
from candor_incident_api.ingest.writer import IngestWriter
from candor_incident_api.integrations import sns as confirmations

router = APIRouter(tags=["ingest"])


def _invalid(exc: ValidationError, *prefix: str) -> RequestValidationError:
    return RequestValidationError(
        [
            {**error, "loc": ("body", *prefix, *error.get("loc", ()))}
            for error in exc.errors(include_url=False, include_context=False)
        ]
    )


async def sns_caller(request: Request) -> IngestCaller:
    """The integration of the ``key`` query parameter (SNS sends no headers) or bearer key."""
    key = bearer_key(request) or request.query_params.get("key")
    return await admit(
        request, source="cloudwatch", key=key, how="as the 'key' query parameter of the URL"
    )


_SCHEMA = cloudwatch.SnsMessage.model_json_schema()
_OPENAPI: dict[str, Any] = {
    "security": [{"HTTPBearer": []}],
    "parameters": [
        {
            "name": "key",
            "in": "query",
            "required": False,
            "schema": {"type": "string"},
            "description": "The integration key (SNS cannot send an Authorization header).",
        }
    ],
    "requestBody": {
        "required": True,
        "content": {
            "text/plain": {"schema": _SCHEMA, "example": cloudwatch.EXAMPLE},
            "application/json": {"schema": _SCHEMA, "example": cloudwatch.EXAMPLE},
        },
    },
}


@router.post(
    "/v1/ingest/cloudwatch",
    status_code=202,
    summary=SOURCES["cloudwatch"].title,
    description=(
        f"{SOURCES['cloudwatch'].setup}\n\nThe notification's `Message` is the alarm: "
        f"`{', '.join(cloudwatch.CloudWatchAlarm.model_fields)}`. A subscription "
        "confirmation answers 202 with its `confirmation_id`. 401 when the SNS signature "
        f"does not verify.\n\n{SIGNING}"
    ),
    responses=ERRORS,
    openapi_extra=_OPENAPI,
)
async def ingest_cloudwatch(
    request: Request, caller: Annotated[IngestCaller, Depends(sns_caller)]
) -> SnsAccepted:
    """One SNS message: a subscription confirmation to keep, or an alarm to apply."""
    try:
        message = cloudwatch.SnsMessage.model_validate_json(await request.body())
    except ValidationError as exc:
        raise _invalid(exc) from None
    verifier: SnsVerifier = request.app.state.sns
    await verifier.verify(message)
    if message.Type == "SubscriptionConfirmation":
        confirmation_id = await confirmations.record(
            request.app.state.candor.sessions, caller=caller, message=message
        )
        return SnsAccepted(
            alerts=0, incidents=[], sns_type=message.Type, confirmation_id=confirmation_id
        )
    try:
        alerts = cloudwatch.to_alerts(message)
    except ValidationError as exc:
        raise _invalid(exc, "Message") from None
    if not alerts:
        return SnsAccepted(alerts=0, incidents=[], sns_type=message.Type)
    writer: IngestWriter = request.app.state.ingest_writer
    outcome = await writer.submit(caller=caller, alerts=alerts)
    return SnsAccepted(**accepted(len(alerts), outcome).model_dump(), sns_type=message.Type)
