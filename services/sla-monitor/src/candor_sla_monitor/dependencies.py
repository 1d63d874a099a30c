"""What sla-monitor's read-only routes share: one read transaction per request, and the
parameters that name a service and a group the same way on every route.

No ``from __future__ import annotations`` here: FastAPI reads these annotations at run time.
"""

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import Path, Query
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

ServiceSlug = Annotated[str, Path(min_length=1, max_length=63)]
"""A service's slug in the path, as the catalog allows it."""


def read_transactions(
    sessions: async_sessionmaker[AsyncSession],
) -> Callable[[], AsyncIterator[AsyncSession]]:
    """A dependency opening one session from ``sessions`` per request, inside one transaction
    (one consistent read), closed when the response is done."""

    async def session() -> AsyncIterator[AsyncSession]:
        async with sessions() as read_session, read_session.begin():
            yield read_session

    return session


def group_query(description: str) -> Any:
    """The optional ``group`` query parameter (a group's id), described for its route."""
    return Query(min_length=1, max_length=64, description=description)
