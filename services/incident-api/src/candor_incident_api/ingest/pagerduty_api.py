"""PagerDuty Events API v2 at ``/v2/enqueue`` and ``/v1/ingest/pagerduty``, answering as
PagerDuty does, so that any PagerDuty client can point here unchanged.

PagerDuty answers 202 ``{"status": "success", "message": "Event processed", "dedup_key"}``,
400 ``{"status": "invalid event", "message": "Event object is invalid", "errors": [...]}``
for an event it refuses and ``{"status": "Unrecognized object", "message": "Event object
format is unrecognized", "errors": ["JSON parse error"]}`` for a body that is not JSON
(https://github.com/PagerDuty/api-schema, reference/events-v2/openapiv3.json).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy import select

from candor_incident_api.catalog.models import Service
from candor_incident_api.errors import ApiError
from candor_incident_api.incidents.models import Alert
from candor_incident_api.ingest.admission import SIGNING, IngestRefused, admit
from candor_incident_api.ingest.auth import IngestCaller
from candor_incident_api.ingest.model import InboundAlert
from candor_incident_api.ingest.schemas import PagerDutyAccepted, PagerDutyError
from candor_incident_api.ingest.sources import SOURCES, pagerduty
from candor_incident_api.ingest.writer import IngestWriter


def _answer(status: int, body: PagerDutyError, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def invalid_event(errors: list[str]) -> Response:
    """PagerDuty's 400 for an event that is not valid."""
    return _answer(
        400,
        PagerDutyError(status="invalid event", message="Event object is invalid", errors=errors),
    )


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(part) for part in loc if part != "body"]
    return ".".join(parts) or "event"


def _from_validation(exc: RequestValidationError) -> Response:
    errors = list(exc.errors())
    if any(error.get("type") == "json_invalid" for error in errors):
        return _answer(
            400,
            PagerDutyError(
                status="Unrecognized object",
                message="Event object format is unrecognized",
                errors=["JSON parse error"],
            ),
        )
    return invalid_event([_described(error) for error in errors])


def _described(error: Any) -> str:
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    field = _field(error.get("loc", ()))
    return message if field == "event" else f"'{field}': {message}"


def _from_api_error(exc: ApiError) -> Response:
    if isinstance(exc, IngestRefused) and exc.reason in ("no_key", "unknown_key", "wrong_source"):
        return invalid_event(["Invalid routing key"])
    if isinstance(exc, IngestRefused) and exc.reason == "rate_limited":
        body = PagerDutyError(status="throttle event", message=exc.detail, errors=[exc.detail])
        return _answer(429, body, exc.headers)
    body = PagerDutyError(status=exc.title, message=exc.detail, errors=[exc.detail])
    return _answer(exc.status, body, exc.headers)


class PagerDutyRoute(APIRoute):
    """A route whose refusals are PagerDuty's, not RFC 9457 problems."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def pagerduty_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return _from_validation(exc)
            except ApiError as exc:
                return _from_api_error(exc)

        return pagerduty_handler


router = APIRouter(route_class=PagerDutyRoute, tags=["ingest"])


async def routing_key_caller(request: Request) -> IngestCaller:
    """The integration named by the body's ``routing_key`` (PagerDuty sends no header)."""
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ("body",), "msg": "JSON parse error"}]
        ) from None
    key = body.get("routing_key") if isinstance(body, dict) else None
    if not isinstance(key, str) or not key.strip():
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body", "routing_key"), "msg": "missing or blank"}]
        )
    return await admit(request, source="pagerduty", key=key.strip(), how="as 'routing_key'")


async def _with_service_of_trigger(
    request: Request, caller: IngestCaller, alert: InboundAlert
) -> InboundAlert:
    """An acknowledge or resolve names only the dedup_key: route it where its trigger went,
    past the routing rules (which see only the dedup_key, not the trigger's labels)."""
    sessions = request.app.state.candor.sessions
    async with sessions() as session:
        slug = await session.scalar(
            select(Service.slug)
            .join(Alert, Alert.service_id == Service.id)
            .where(
                Alert.integration_id == caller.integration_id,
                Alert.source == "pagerduty",
                Alert.fingerprint == alert.fingerprint,
            )
            .order_by(Alert.last_received_at.desc())
            .limit(1)
        )
    return replace(alert, service_slug=slug, service_pinned=True) if slug else alert


DESCRIPTION = (
    f"{SOURCES['pagerduty'].setup}\n\nAnswers exactly as PagerDuty does: 202 "
    '`{"status": "success", "message": "Event processed", "dedup_key": ...}`; 400 '
    '`{"status": "invalid event", "message": "Event object is invalid", "errors": [...]}` '
    '(an unknown or revoked `routing_key` gives `"errors": ["Invalid routing key"]`); '
    "429 when the integration's rate limit is spent.\n\n" + SIGNING
)

_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": PagerDutyError, "description": "Invalid event, unknown routing key, not JSON."},
    401: {
        "model": PagerDutyError,
        "description": "Missing or bad signature (signed integrations).",
    },
    403: {"model": PagerDutyError, "description": "A service this integration may not post for."},
    413: {"description": "The body is larger than CANDOR_MAX_BODY_BYTES."},
    429: {"model": PagerDutyError, "description": "Rate limit spent; retry after `Retry-After`."},
    503: {"description": "The database is unreachable; retry after `Retry-After` seconds."},
}


async def enqueue(
    event: pagerduty.PagerDutyEvent,
    caller: Annotated[IngestCaller, Depends(routing_key_caller)],
    request: Request,
) -> PagerDutyAccepted:
    """Trigger, acknowledge or resolve an alert (PagerDuty Events API v2)."""
    alerts = pagerduty.to_alerts(event)
    if event.event_action != "trigger":
        alerts = [await _with_service_of_trigger(request, caller, alert) for alert in alerts]
    writer: IngestWriter = request.app.state.ingest_writer
    await writer.submit(caller=caller, alerts=alerts)
    assert event.dedup_key is not None
    return PagerDutyAccepted(dedup_key=event.dedup_key)


for _path, _name in (
    ("/v2/enqueue", "pagerduty_enqueue"),
    ("/v1/ingest/pagerduty", "ingest_pagerduty"),
):
    router.add_api_route(
        _path,
        enqueue,
        methods=["POST"],
        status_code=202,
        summary="PagerDuty Events API v2 (send an alert event)",
        description=DESCRIPTION,
        name=_name,
        responses=_RESPONSES,
    )
