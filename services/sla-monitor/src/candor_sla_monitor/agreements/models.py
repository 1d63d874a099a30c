"""The agreements table: each service's terms as of its newest catalog event."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from candor_sla_monitor.models import Base


class Agreement(Base):
    """One service and its agreement terms (``terms`` NULL: the service has none).

    ``group_agreements`` holds the terms negotiated with groups of users, by group id, as
    ``{"name": ..., "terms": {...}}``: each applies to its group instead of ``terms`` and is
    evaluated by itself (see :func:`.repository.evaluated`).

    ``version`` is the service version the row reflects; an older event never overwrites it.
    A deleted service keeps its row with ``deleted`` set, so that a late upsert of it cannot
    bring it back (service ids are never reused).
    """

    __tablename__ = "agreements"
    __table_args__ = (Index("ix_agreements_service_slug", "service_slug"),)

    service_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_slug: Mapped[str] = mapped_column(String(63))
    name: Mapped[str] = mapped_column(String(200))
    terms: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    group_agreements: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
