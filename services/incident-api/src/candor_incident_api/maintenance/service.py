"""The rules of maintenance windows: scheduled → in_progress → completed, or cancelled.

Every change is a conditional UPDATE on the window's status and version (see
``repository.change_if_unchanged``) with its event staged in the same transaction, so a
transition is made — and published — once, however many requests or replicas try it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.catalog import repository as catalog
from candor_incident_api.catalog.models import Service
from candor_incident_api.errors import ApiError, conflict
from candor_incident_api.maintenance import holds, repository
from candor_incident_api.maintenance.events import WindowEvent, publish_window
from candor_incident_api.maintenance.models import MaintenanceWindow
from candor_incident_api.maintenance.schemas import MaintenanceIn, MaintenancePatch
from candor_shared.contract.maintenance import (
    MaintenanceCancelled,
    MaintenanceCompleted,
    MaintenanceScheduled,
    MaintenanceStarted,
    MaintenanceUpdated,
)
from candor_shared.ids import uuid7

STARTING_NOW_GRACE = timedelta(minutes=5)
"""How far in the past a new start may lie: "starting now", sent with a slow clock or hand."""


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(
        422,
        "Invalid request",
        f"body.{field}: {message}",
        extra={"errors": [{"loc": ["body", field], "msg": message, "type": "value_error"}]},
    )


async def _services(session: AsyncSession, slugs: Sequence[str]) -> list[Service]:
    """The services named, in slug order; 422 naming the field and every unknown slug."""
    wanted = sorted(set(slugs))
    found = await catalog.get_many_by_slug(session, wanted)
    unknown = sorted(set(wanted) - {service.slug for service in found})
    if unknown:
        raise _invalid(
            "services",
            f"no service with slug {', '.join(map(repr, unknown))}; "
            "create it first with POST /v1/services.",
        )
    return sorted(found, key=lambda service: service.slug)


def _check_times(*, starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    if ends_at <= starts_at:
        raise _invalid(
            "ends_at",
            f"ends_at ({ends_at.isoformat()}) must be after starts_at ({starts_at.isoformat()}).",
        )
    if starts_at < now - STARTING_NOW_GRACE:
        raise _invalid(
            "starts_at",
            f"starts_at ({starts_at.isoformat()}) is more than 5 minutes in the past; "
            "send the current time to start the window now.",
        )
    if ends_at <= now:
        raise _invalid("ends_at", f"ends_at ({ends_at.isoformat()}) has already passed.")


async def schedule(
    *, session: AsyncSession, data: MaintenanceIn, created_by: str, now: datetime
) -> tuple[MaintenanceWindow, list[Service]]:
    """Create a scheduled window and publish ``maintenance.scheduled``.

    A start up to 5 minutes in the past means "starting now": the window is scheduled and the
    scheduler starts it at once. ``announced_at`` defaults to now and may not be later.
    """
    _check_times(starts_at=data.starts_at, ends_at=data.ends_at, now=now)
    if data.announced_at is not None and data.announced_at > now:
        raise _invalid(
            "announced_at",
            f"announced_at ({data.announced_at.isoformat()}) is in the future; "
            "leave it out to mean now.",
        )
    services = await _services(session, data.services)
    window = MaintenanceWindow(
        id=uuid7(),
        title=data.title,
        description=data.description,
        status="scheduled",
        impact=data.impact,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        announced_at=data.announced_at or now,
        created_by=created_by,
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(window)
    await session.flush()
    await repository.set_services(session, window.id, [service.id for service in services])
    publish_window(session, MaintenanceScheduled, window, services)
    return window, services


async def services_of(session: AsyncSession, window: MaintenanceWindow) -> list[Service]:
    """The services the window affects, in slug order."""
    return (await repository.services_of(session, [window.id]))[window.id]


def _not_now(window: MaintenanceWindow, action: str, allowed: str) -> ApiError:
    return conflict(
        f"The maintenance window is {window.status}; {action} needs a {allowed} window."
    )


def _lost_race() -> ApiError:
    return conflict("The maintenance window changed while this request ran; read it and retry.")


async def change(
    *,
    session: AsyncSession,
    window: MaintenanceWindow,
    data: MaintenancePatch,
    now: datetime,
    actor: str = "candor",
) -> tuple[MaintenanceWindow, list[Service]]:
    """Apply the changes to a scheduled window and publish ``maintenance.updated``.

    Moving the window (a new start or end) re-announces it: ``announced_at`` becomes now, as
    users learn of the new times only now. A PATCH that changes nothing publishes nothing.
    Moving it or changing its services moves the incidents it holds back (``holds``).
    """
    if window.status != "scheduled":
        raise _not_now(window, "changing it", "scheduled")
    current_services = await services_of(session, window)
    starts_at = data.starts_at or window.starts_at
    ends_at = data.ends_at or window.ends_at
    moved = starts_at != window.starts_at or ends_at != window.ends_at
    if moved:
        if ends_at <= starts_at:
            field = "ends_at" if data.ends_at is not None else "starts_at"
            raise _invalid(
                field,
                f"ends_at ({ends_at.isoformat()}) must be after starts_at "
                f"({starts_at.isoformat()}).",
            )
        if starts_at != window.starts_at and starts_at < now - STARTING_NOW_GRACE:
            raise _invalid(
                "starts_at",
                f"starts_at ({starts_at.isoformat()}) is more than 5 minutes in the past; "
                "send the current time to start the window now.",
            )
        if ends_at <= now:
            raise _invalid("ends_at", f"ends_at ({ends_at.isoformat()}) has already passed.")
    services = current_services
    if data.services is not None:
        services = await _services(session, data.services)
    values: dict[str, object] = {}
    for field in ("title", "description", "impact"):
        new = getattr(data, field)
        if new is not None and new != getattr(window, field):
            values[field] = new
    if moved:
        values.update(starts_at=starts_at, ends_at=ends_at, announced_at=now)
    services_changed = [s.id for s in services] != [s.id for s in current_services]
    if not values and not services_changed:
        return window, current_services
    if not await repository.change_if_unchanged(session, window, **values, updated_at=now):
        raise _lost_race()
    if services_changed:
        await repository.set_services(session, window.id, [service.id for service in services])
    publish_window(session, MaintenanceUpdated, window, services)
    if moved or services_changed:
        await holds.follow_window(
            session=session,
            window=window,
            service_ids=[s.id for s in (*current_services, *services)],
            now=now,
            actor=actor,
        )
    return window, services


async def start(
    *, session: AsyncSession, window: MaintenanceWindow, now: datetime
) -> MaintenanceWindow:
    """An operator starts a scheduled window now (early, or without waiting for the scheduler)."""
    if window.status != "scheduled":
        raise _not_now(window, "starting it", "scheduled")
    if not await repository.change_if_unchanged(
        session, window, status="in_progress", started_at=now, updated_at=now
    ):
        raise _lost_race()
    publish_window(session, MaintenanceStarted, window, await services_of(session, window))
    return window


async def complete(
    *, session: AsyncSession, window: MaintenanceWindow, now: datetime, actor: str = "candor"
) -> MaintenanceWindow:
    """An operator ends a window in progress now (early, or on time); the incidents it held
    back are told of once no other window holds them (``holds``)."""
    if window.status != "in_progress":
        raise _not_now(window, "completing it", "in_progress")
    if not await repository.change_if_unchanged(
        session, window, status="completed", completed_at=now, updated_at=now
    ):
        raise _lost_race()
    await _ended(session, window, now=now, actor=actor, event=MaintenanceCompleted)
    return window


async def cancel(
    *, session: AsyncSession, window: MaintenanceWindow, now: datetime, actor: str = "candor"
) -> MaintenanceWindow:
    """An operator calls off a scheduled window (one in progress is completed instead); the
    incidents it held back are told of once no other window holds them (``holds``)."""
    if window.status != "scheduled":
        raise _not_now(window, "cancelling it", "scheduled")
    if not await repository.change_if_unchanged(
        session, window, status="cancelled", cancelled_at=now, updated_at=now
    ):
        raise _lost_race()
    await _ended(session, window, now=now, actor=actor, event=MaintenanceCancelled)
    return window


async def _ended(
    session: AsyncSession,
    window: MaintenanceWindow,
    *,
    now: datetime,
    actor: str,
    event: WindowEvent,
    services: list[Service] | None = None,
) -> None:
    """Publish the end of a window and release (or move) the incidents it held back."""
    services = services if services is not None else await services_of(session, window)
    publish_window(session, event, window, services)
    await holds.follow_window(
        session=session,
        window=window,
        service_ids=[service.id for service in services],
        now=now,
        actor=actor,
    )


async def advance_due(*, session: AsyncSession, window: MaintenanceWindow, now: datetime) -> int:
    """Make the automatic transitions due at ``now``; return how many events were staged.

    A scheduled window whose start has come is started (``started_at`` = its planned start);
    one in progress whose end has come is completed (``completed_at`` = its planned end). A
    window whose end passed while still scheduled goes through both, in order, in this one
    transaction. A transition someone else made first is skipped. Completing a window moves
    the incidents it held back (``holds``).
    """
    made = 0
    services: list[Service] | None = None
    if window.status == "scheduled" and window.starts_at <= now:
        if not await repository.change_if_unchanged(
            session, window, status="in_progress", started_at=window.starts_at, updated_at=now
        ):
            return made
        services = await services_of(session, window)
        publish_window(session, MaintenanceStarted, window, services)
        made += 1
    if window.status == "in_progress" and window.ends_at <= now:
        if not await repository.change_if_unchanged(
            session, window, status="completed", completed_at=window.ends_at, updated_at=now
        ):
            return made
        await _ended(
            session, window, now=now, actor="candor", event=MaintenanceCompleted, services=services
        )
        made += 1
    return made
