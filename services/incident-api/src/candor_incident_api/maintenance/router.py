"""HTTP endpoints of maintenance windows."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog.models import Service
from candor_incident_api.concurrency import check_if_match, set_etag
from candor_incident_api.dependencies import OperatorDep, SessionDep, ViewerDep
from candor_incident_api.errors import not_found
from candor_incident_api.incidents.broadcaster import Broadcaster
from candor_incident_api.maintenance import repository, service
from candor_incident_api.maintenance.models import MaintenanceWindow
from candor_incident_api.maintenance.scheduler import MaintenanceScheduler
from candor_incident_api.maintenance.schemas import (
    MaintenanceIn,
    MaintenanceOut,
    MaintenancePatch,
    WindowStatus,
    WindowTime,
)
from candor_incident_api.pagination import Page, decode_cursor, encode_cursor
from candor_shared.clock import utcnow

router = APIRouter(prefix="/v1/maintenance", tags=["maintenance"])

_READ_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid operator token."},
    404: {"description": "No maintenance window has this id."},
}
_WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    **_READ_ERRORS,
    403: {"description": "The token's role is viewer; this needs operator or admin."},
    409: {"description": "The window's status does not allow this; `detail` names it."},
    412: {"description": "`If-Match` names an older version; read the window again."},
}


def _out(window: MaintenanceWindow, services: Sequence[Service]) -> MaintenanceOut:
    return MaintenanceOut(
        id=window.id,
        title=window.title,
        description=window.description,
        services=[s.slug for s in services],
        impact=window.impact,
        status=window.status,
        starts_at=window.starts_at,
        ends_at=window.ends_at,
        announced_at=window.announced_at,
        started_at=window.started_at,
        completed_at=window.completed_at,
        cancelled_at=window.cancelled_at,
        created_by=window.created_by,
        created_at=window.created_at,
        updated_at=window.updated_at,
        version=window.version,
    )


def _wake_scheduler(request: Request, background: BackgroundTasks) -> None:
    """After the commit (background tasks run once the response is out), look for due windows."""
    scheduler: MaintenanceScheduler | None = getattr(
        request.app.state, "maintenance_scheduler", None
    )
    if scheduler is not None:
        background.add_task(scheduler.wake)


def _wake_broadcaster(request: Request, background: BackgroundTasks) -> None:
    """After the commit, let the broadcaster announce incidents this change released."""
    broadcaster: Broadcaster | None = getattr(request.app.state, "broadcaster", None)
    if broadcaster is not None:
        background.add_task(broadcaster.wake)


async def _window(
    session: AsyncSession, window_id: uuid.UUID, request: Request | None = None
) -> MaintenanceWindow:
    window = await repository.get(session, window_id)
    if window is None:
        raise not_found("maintenance window", str(window_id))
    if request is not None:
        check_if_match(request, window.id, window.version)
    return window


async def _answer(
    session: AsyncSession, window: MaintenanceWindow, response: Response
) -> MaintenanceOut:
    set_etag(response, window.id, window.version)
    return _out(window, await service.services_of(session, window))


@router.post(
    "",
    status_code=201,
    summary="Schedule a maintenance window",
    responses={
        401: _READ_ERRORS[401],
        403: _WRITE_ERRORS[403],
        422: {
            "description": "A field is invalid (end not after start, start more than 5 "
            "minutes ago, announced_at in the future, unknown service); `detail` names it."
        },
    },
)
async def schedule_window(
    data: MaintenanceIn,
    request: Request,
    response: Response,
    background: BackgroundTasks,
    session: SessionDep,
    operator: OperatorDep,
) -> MaintenanceOut:
    """Plan work on some services and announce it (`maintenance.scheduled`). The window
    starts and completes by itself at `starts_at` and `ends_at`. A `starts_at` up to 5
    minutes in the past means "starting now": the window is answered `scheduled` and starts
    a moment later. `announced_at` (default now) records when users were first told, so
    that the notice they had can be measured; it may not be in the future."""
    window, services = await service.schedule(
        session=session, data=data, created_by=operator.name, now=utcnow()
    )
    _wake_scheduler(request, background)
    set_etag(response, window.id, window.version)
    response.headers["Location"] = f"/v1/maintenance/{window.id}"
    return _out(window, services)


@router.get(
    "",
    summary="List maintenance windows, newest first",
    responses={
        400: {"description": "The cursor is not one this API handed out."},
        401: _READ_ERRORS[401],
    },
)
async def list_windows(
    session: SessionDep,
    _: ViewerDep,
    status: Annotated[WindowStatus | None, Query(description="Only windows in this status")] = None,
    service_slug: Annotated[
        str | None, Query(alias="service", description="Only windows affecting this service")
    ] = None,
    time_from: Annotated[
        WindowTime | None,
        Query(alias="from", description="Only windows ending after this time (ISO 8601)"),
    ] = None,
    time_to: Annotated[
        WindowTime | None,
        Query(alias="to", description="Only windows starting before this time (ISO 8601)"),
    ] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[MaintenanceOut]:
    """Windows by creation, newest first. `from` and `to` keep the windows whose planned
    time overlaps [from, to); follow `next_cursor` for more."""
    rows = await repository.list_page(
        session,
        status=status,
        service=service_slug,
        overlapping_from=time_from,
        overlapping_to=time_to,
        before_id=decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
    )
    page = rows[:limit]
    services = await repository.services_of(session, [row.id for row in page])
    return Page[MaintenanceOut](
        items=[_out(row, services[row.id]) for row in page],
        next_cursor=encode_cursor(rows[limit - 1].id) if len(rows) > limit else None,
    )


@router.get("/{window_id}", summary="Get a maintenance window", responses=_READ_ERRORS)
async def get_window(
    window_id: uuid.UUID, response: Response, session: SessionDep, _: ViewerDep
) -> MaintenanceOut:
    """One window, with its `ETag` to send back as `If-Match` when changing it."""
    return await _answer(session, await _window(session, window_id), response)


@router.patch(
    "/{window_id}",
    summary="Change a scheduled maintenance window",
    responses={
        **_WRITE_ERRORS,
        422: {"description": "A field is invalid; `detail` names it."},
    },
)
async def change_window(
    window_id: uuid.UUID,
    data: MaintenancePatch,
    request: Request,
    response: Response,
    background: BackgroundTasks,
    session: SessionDep,
    operator: OperatorDep,
) -> MaintenanceOut:
    """Change the wording, services, impact or times of a window that has not started
    (`maintenance.updated`). Moving it (a new `starts_at` or `ends_at`) re-announces it:
    `announced_at` becomes now, and incidents it holds back are told of at its new end
    (plus the service's notification delay). Send the `ETag` you read as `If-Match` to be
    refused (412) if someone changed it meanwhile. A window in progress, completed or
    cancelled: 409."""
    window = await _window(session, window_id, request)
    window, _services = await service.change(
        session=session, window=window, data=data, now=utcnow(), actor=operator.name
    )
    _wake_scheduler(request, background)
    _wake_broadcaster(request, background)
    return await _answer(session, window, response)


@router.post(
    "/{window_id}/start", summary="Start a maintenance window now", responses=_WRITE_ERRORS
)
async def start_window(
    window_id: uuid.UUID, request: Request, response: Response, session: SessionDep, _: OperatorDep
) -> MaintenanceOut:
    """Start a scheduled window now, before its planned start (`maintenance.started`). It
    still completes by itself at `ends_at`. Any other status: 409."""
    window = await _window(session, window_id, request)
    await service.start(session=session, window=window, now=utcnow())
    return await _answer(session, window, response)


@router.post(
    "/{window_id}/complete",
    summary="Complete a maintenance window now",
    responses=_WRITE_ERRORS,
)
async def complete_window(
    window_id: uuid.UUID,
    request: Request,
    response: Response,
    background: BackgroundTasks,
    session: SessionDep,
    operator: OperatorDep,
) -> MaintenanceOut:
    """End a window in progress now, before its planned end (`maintenance.completed`).
    Incidents it held back are told of now (after the service's notification delay), unless
    another window still covers their service. Any other status: 409."""
    window = await _window(session, window_id, request)
    await service.complete(session=session, window=window, now=utcnow(), actor=operator.name)
    _wake_broadcaster(request, background)
    return await _answer(session, window, response)


@router.post("/{window_id}/cancel", summary="Cancel a maintenance window", responses=_WRITE_ERRORS)
async def cancel_window(
    window_id: uuid.UUID,
    request: Request,
    response: Response,
    background: BackgroundTasks,
    session: SessionDep,
    operator: OperatorDep,
) -> MaintenanceOut:
    """Call off a window that has not started (`maintenance.cancelled`). Incidents it held
    back (its start had come) are told of as after a completion. A window in progress is
    completed instead; any other status: 409."""
    window = await _window(session, window_id, request)
    await service.cancel(session=session, window=window, now=utcnow(), actor=operator.name)
    _wake_broadcaster(request, background)
    return await _answer(session, window, response)
