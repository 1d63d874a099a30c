"""Who is posting alerts: the integration behind the key, cached briefly."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candor_incident_api.integrations import keys, repository


@dataclass(frozen=True, slots=True)
class IngestCaller:
    """The integration a key belongs to, as the ingest path needs it."""

    integration_id: uuid.UUID
    source: str
    default_service: str | None
    allowed_services: frozenset[str] = frozenset()
    """Slugs of the services it may post for besides the default (routing rules add theirs)."""
    signing_secret: str | None = None
    rate_limit_per_minute: int | None = None
    name: str = ""
    """The integration's name, as timelines show who reported an alert."""
    """None: the server's default (``CANDOR_INGEST_RATE_LIMIT_PER_MINUTE``); 0: unlimited."""


class IntegrationKeys:
    """Resolves integration keys, remembering answers for ``ttl`` seconds.

    A revoked key is refused, and a changed integration (allowed services, signing secret,
    rate limit) takes effect, at the latest ``ttl`` seconds after the change; in return a busy
    monitoring source costs one lookup per ``ttl``, not one per request.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, ttl: float = 5.0) -> None:
        self._sessions = sessions
        self._ttl = ttl
        self._cache: dict[str, tuple[float, IngestCaller]] = {}
        self._forgotten = 0
        """How many times :meth:`forget` ran: a lookup that overlapped one is not cached."""

    async def resolve(self, key: str) -> IngestCaller | None:
        """The caller for ``key``, or None when no active integration has it."""
        key_hash = keys.hash_key(key)
        forgotten = self._forgotten
        cached = self._cache.get(key_hash)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        async with self._sessions() as session:
            integration = await repository.get_active_by_hash(session, key_hash)
            if integration is None:
                self._cache.pop(key_hash, None)
                return None
            allowed = await repository.service_slugs(session, [integration.id])
            caller = IngestCaller(
                integration_id=integration.id,
                source=integration.source,
                default_service=(
                    integration.default_service.slug if integration.default_service else None
                ),
                allowed_services=frozenset(allowed[integration.id]),
                signing_secret=integration.signing_secret,
                rate_limit_per_minute=integration.rate_limit_per_minute,
                name=integration.name,
            )
        if forgotten != self._forgotten:
            return caller  # read before a change committed: may be stale already
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key_hash] = (now + self._ttl, caller)
        return caller

    def forget(self) -> None:
        """Drop every remembered answer (after a change made in this process)."""
        self._forgotten += 1
        self._cache.clear()
