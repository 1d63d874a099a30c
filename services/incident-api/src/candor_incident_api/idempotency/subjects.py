"""Which subscriber a request's answer is about, so that erasure can find the answer.

A handler marks the request's session (``concerns_subscriber``); the idempotency middleware
writes the mark into the record it keeps, and erasing the subscriber deletes every record
so marked (``repository.delete_of_subscriber``). Requests without ``Idempotency-Key`` carry
the mark for nothing: it costs a dictionary entry.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

_SUBSCRIBER = "candor.idempotency.subscriber"


def concerns_subscriber(session: AsyncSession, subscriber_id: uuid.UUID) -> None:
    """Note that this request's answer carries the subscriber's personal data."""
    session.info[_SUBSCRIBER] = subscriber_id


def subscriber_of(session: AsyncSession) -> uuid.UUID | None:
    """The subscriber the request's answer is about, if a handler said so."""
    found = session.info.get(_SUBSCRIBER)
    return found if isinstance(found, uuid.UUID) else None
