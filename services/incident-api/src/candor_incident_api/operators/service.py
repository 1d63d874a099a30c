"""Rules for operator tokens: issued with a role, shown once, stored hashed, revocable.

No event is published for tokens: they are credentials of this API, not facts the workers
(or anyone reading Kafka) act on, and the ``api_tokens`` table is their audit record
(who issued each, when, when last used, when revoked). Rows are never deleted.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from candor_incident_api.integrations import keys
from candor_incident_api.operators.models import ApiToken
from candor_incident_api.operators.schemas import TOKEN_PREFIX, TokenIn, TokenOut
from candor_shared.ids import uuid7


async def issue_token(
    *, session: AsyncSession, data: TokenIn, issued_by: str
) -> tuple[ApiToken, str]:
    """A new token and its plaintext, which the caller shows once; only the hash is kept."""
    token = keys.new_key(prefix=TOKEN_PREFIX)
    row = ApiToken(
        id=uuid7(),
        name=data.name,
        role=data.role,
        key_prefix=keys.display_prefix(token, prefix=TOKEN_PREFIX),
        key_hash=keys.hash_key(token),
        created_by=issued_by,
        created_at=datetime.now(UTC),
    )
    session.add(row)
    await session.flush()
    return row, token


def revoke_token(*, token: ApiToken) -> None:
    """Refuse the token from now on (keeps the first revocation time when repeated)."""
    if token.revoked_at is None:
        token.revoked_at = datetime.now(UTC)


def to_out(token: ApiToken) -> TokenOut:
    """The token as admins see it after creation."""
    return TokenOut.model_validate(token, from_attributes=True)
