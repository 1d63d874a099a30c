"""Who holds an operator token: the token behind a bearer credential, cached briefly.

A revoked token is refused at once by the process that revoked it (it forgets the token)
and within ``ttl`` seconds (5 by default) by every other replica; in return a busy operator
costs one query per ``ttl``, not one per request.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from candor_incident_api.integrations import keys
from candor_incident_api.integrations import repository as integrations
from candor_incident_api.operators import repository
from candor_incident_api.operators.schemas import Role

INTEGRATION_KEY: Literal["integration-key"] = "integration-key"
"""What :meth:`OperatorTokens.resolve` answers for an integration key (which only ingests)."""

_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """The holder of a valid operator token and the role it grants."""

    token_id: uuid.UUID
    name: str
    role: Role


class OperatorTokens:
    """Resolves operator tokens by their hash, remembering answers for ``ttl`` seconds."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, ttl: float = 5.0) -> None:
        self._sessions = sessions
        self._ttl = ttl
        self._cache: dict[str, tuple[float, TokenGrant]] = {}
        self._forgotten = 0
        """How many times :meth:`forget` ran: a lookup that overlapped one is not cached."""

    async def resolve(self, token: str) -> TokenGrant | Literal["integration-key"] | None:
        """The grant of ``token``; INTEGRATION_KEY for an integration key; else None."""
        key_hash = keys.hash_key(token)
        now = time.monotonic()
        forgotten = self._forgotten
        cached = self._cache.get(key_hash)
        if cached is not None and cached[0] > now:
            return cached[1]
        async with self._sessions() as session, session.begin():
            row = await repository.get_active_by_hash(session, key_hash)
            if row is None:
                self._cache.pop(key_hash, None)
                if await integrations.get_by_hash(session, key_hash) is not None:
                    return INTEGRATION_KEY
                return None
            grant = TokenGrant(token_id=row.id, name=row.name, role=row.role)  # type: ignore[arg-type]
            seen = datetime.now(UTC)
            if row.last_used_at is None or seen - row.last_used_at > _TOUCH_EVERY:
                await repository.touch(session, row.id, at=seen)
        if forgotten != self._forgotten:
            return grant  # read before a revocation committed: may be stale already
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key_hash] = (now + self._ttl, grant)
        return grant

    def forget(self, key_hash: str) -> None:
        """Drop a cached answer, so that a revocation applies at once in this process."""
        self._forgotten += 1
        self._cache.pop(key_hash, None)
