"""The inbox: the ids of events a consumer has handled, written in the handler's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from candor_shared.clock import utcnow
from candor_shared.contract.envelope import CloudEvent, EventData
from candor_shared.db import UTCDateTime


class InboxMixin:
    """Columns of a service's ``inbox`` table; mix into the service's declarative base."""

    __tablename__ = "inbox"

    if TYPE_CHECKING:
        # The declarative base provides this constructor at run time.
        def __init__(self, **values: Any) -> None: ...

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(200))
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime())


async def already_handled(
    session: AsyncSession, model: type[InboxMixin], *, consumer: str, event_id: str
) -> bool:
    """True when ``consumer`` has committed the handling of ``event_id`` before."""
    found = await session.scalar(
        select(model.event_id).where(model.consumer == consumer, model.event_id == event_id)
    )
    return found is not None


async def handled_among(
    session: AsyncSession, model: type[InboxMixin], *, consumer: str, event_ids: list[str]
) -> set[str]:
    """The ids among ``event_ids`` that ``consumer`` has committed the handling of."""
    found = await session.scalars(
        select(model.event_id).where(model.consumer == consumer, model.event_id.in_(event_ids))
    )
    return set(found)


async def record_handled_many(
    session: AsyncSession,
    model: type[InboxMixin],
    *,
    consumer: str,
    events: list[CloudEvent[EventData]],
) -> None:
    """Write the inbox rows of ``events`` with one statement."""
    if events:
        now = utcnow()
        await session.execute(
            insert(model),
            [
                {"consumer": consumer, "event_id": e.id, "event_type": e.type, "handled_at": now}
                for e in events
            ],
        )


def record_handled(
    session: AsyncSession,
    model: type[InboxMixin],
    *,
    consumer: str,
    event_id: str,
    event_type: str,
) -> None:
    """Stage the inbox row for ``event_id`` in the handler's transaction."""
    session.add(
        model(consumer=consumer, event_id=event_id, event_type=event_type, handled_at=utcnow())
    )
