"""Queries on operator tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.operators.models import ApiToken


async def get_active_by_hash(session: AsyncSession, key_hash: str) -> ApiToken | None:
    """The unrevoked token whose hash is ``key_hash``."""
    return await session.scalar(
        select(ApiToken).where(ApiToken.key_hash == key_hash, ApiToken.revoked_at.is_(None))
    )


async def get(session: AsyncSession, token_id: uuid.UUID) -> ApiToken | None:
    """One token by id, revoked or not."""
    return await session.get(ApiToken, token_id)


async def list_page(
    session: AsyncSession, *, revoked: bool | None, after: uuid.UUID | None, limit: int
) -> list[ApiToken]:
    """Tokens in creation (id) order after the cursor; ``revoked`` filters when given."""
    query = select(ApiToken).order_by(ApiToken.id).limit(limit)
    if after is not None:
        query = query.where(ApiToken.id > after)
    if revoked is True:
        query = query.where(ApiToken.revoked_at.is_not(None))
    elif revoked is False:
        query = query.where(ApiToken.revoked_at.is_(None))
    return list((await session.scalars(query)).all())


async def touch(session: AsyncSession, token_id: uuid.UUID, *, at: datetime) -> None:
    """Record that the token was used at ``at``."""
    await session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=at))
