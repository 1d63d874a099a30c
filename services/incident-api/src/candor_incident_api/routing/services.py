"""The services alerts are placed on, remembered briefly between ingest batches.

Placing a batch needs the services its alerts name (by slug, or by id through a rule); under
load the same few are read again for every batch. They are kept for ``ttl`` seconds per
process, like the routing rules and integration keys: a change to a service (its flap window,
its notification delay, a new or deleted service) that this process commits drops them at
once; one committed by another process is seen within ``ttl``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from candor_incident_api.catalog.models import Service

_CHANGED = "candor.services_changed"
_generation = 0
"""Bumped by every commit of this process that wrote a service."""


def _touches_services(objects: Iterable[Any]) -> bool:
    return any(isinstance(obj, Service) for obj in objects)


@event.listens_for(Session, "after_flush")
def _note_service_writes(session: Session, _context: Any) -> None:
    # The new/dirty/deleted collections still hold what this flush wrote.
    if (
        _touches_services(session.new)
        or _touches_services(session.dirty)
        or _touches_services(session.deleted)
    ):
        session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _forget_on_commit(session: Session) -> None:
    global _generation
    if session.info.pop(_CHANGED, False):
        _generation += 1


@event.listens_for(Session, "after_rollback")
def _keep_on_rollback(session: Session) -> None:
    session.info.pop(_CHANGED, None)


class ServiceCache:
    """Services by slug and by id (absent ones too), each remembered for ``ttl`` seconds."""

    def __init__(self, *, ttl: float = 5.0, max_entries: int = 10_000) -> None:
        self._ttl = ttl
        self._max_entries = max_entries
        self._by_slug: dict[str, tuple[float, Service | None]] = {}
        self._by_id: dict[uuid.UUID, tuple[float, Service | None]] = {}
        self._generation = _generation

    async def lookup(
        self, session: AsyncSession, slugs: set[str], ids: set[uuid.UUID]
    ) -> dict[uuid.UUID, Service]:
        """The existing services among ``slugs`` and ``ids``, by id (read with ``session``
        what is not remembered)."""
        generation = _generation
        if generation != self._generation:
            self.clear()
            self._generation = generation
        now = time.monotonic()
        found: dict[uuid.UUID, Service] = {}
        missing_slugs: set[str] = set()
        missing_ids: set[uuid.UUID] = set()
        for slug in slugs:
            cached = self._by_slug.get(slug)
            if cached is None or cached[0] <= now:
                missing_slugs.add(slug)
            elif cached[1] is not None:
                found[cached[1].id] = cached[1]
        for service_id in ids:
            cached_by_id = self._by_id.get(service_id)
            if cached_by_id is None or cached_by_id[0] <= now:
                missing_ids.add(service_id)
            elif cached_by_id[1] is not None:
                found[service_id] = cached_by_id[1]
        if not missing_slugs and not missing_ids:
            return found
        rows = await session.scalars(
            select(Service).where(or_(Service.slug.in_(missing_slugs), Service.id.in_(missing_ids)))
        )
        loaded = {service.id: service for service in rows}
        found.update(loaded)
        if generation != _generation:
            return found  # a change committed while reading: this may be stale already
        if len(self._by_slug) + len(self._by_id) > self._max_entries:
            self.clear()
        expires = now + self._ttl
        by_slug = {service.slug: service for service in loaded.values()}
        for slug in missing_slugs:
            self._by_slug[slug] = (expires, by_slug.get(slug))
        for service_id in missing_ids:
            self._by_id[service_id] = (expires, loaded.get(service_id))
        return found

    def clear(self) -> None:
        """Forget everything."""
        self._by_slug.clear()
        self._by_id.clear()
