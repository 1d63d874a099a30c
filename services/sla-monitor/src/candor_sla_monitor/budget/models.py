"""The budget alerts table: which of a service's error-budget alerts were last published as
firing, so that each transition is published once, across restarts and replicas."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from candor_shared.db import UTCDateTime
from candor_sla_monitor.models import Base


class BudgetAlert(Base):
    """One alert of one service: a burn-rate rule (``burn_rate:1h/5m``) or ``at_risk``.

    ``group_id`` is the group whose agreement it evaluates ("": the service's own).
    No row means the alert never fired. ``period_start`` is the period the budget at-risk
    alert was published for (a calendar month announces it once); ``changed_at`` is the
    evaluation time of the last transition.
    """

    __tablename__ = "budget_alerts"

    service_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    group_id: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    alert: Mapped[str] = mapped_column(String(32), primary_key=True)
    service_slug: Mapped[str] = mapped_column(String(63))
    firing: Mapped[bool] = mapped_column(Boolean)
    period_start: Mapped[datetime | None] = mapped_column(UTCDateTime())
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
