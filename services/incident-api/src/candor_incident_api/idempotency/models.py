"""The answers remembered for idempotency keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from candor_incident_api.models import Base
from candor_shared.db import UTCDateTime


class IdempotencyRecord(Base):
    """The first answer to a POST carrying ``Idempotency-Key``, per caller and key.

    ``request_hash`` detects a key reused for a different request (422). Records older than
    the retention are pruned.
    """

    __tablename__ = "idempotency_keys"

    principal: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    headers: Mapped[dict[str, Any]] = mapped_column(JSON)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    subscriber_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True, default=None)
    """The subscriber whose data the answer (and the request behind ``request_hash``)
    carries, so that erasing them deletes it: the body is sealed, but whoever holds the token
    could replay it. Not a foreign key: the record must not stop or outlive an erasure."""
