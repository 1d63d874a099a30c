"""The service catalog: what users depend on, by the name they know it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from candor_incident_api.models import Base
from candor_shared.db import UTCDateTime


class Service(Base):
    """An IT service as users know it ("Email", "Payroll").

    ``impact_wording`` maps an impact level to what it means for users ("You may not be
    able to send email"); ``agreement`` holds the negotiated terms (see
    ``candor_shared.contract.AgreementTerms``) that the sla-monitor evaluates.
    """

    __tablename__ = "services"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(2000), default="", server_default="")
    owners: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    impact_wording: Mapped[dict[str, str]] = mapped_column(JSON, default=dict, server_default="{}")
    notification_delay_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    flap_window_seconds: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    agreement: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Component(Base):
    """A part of a service that can fail on its own ("Outgoing mail", "Webmail")."""

    __tablename__ = "components"
    __table_args__ = (UniqueConstraint("service_id", "slug"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    service_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    slug: Mapped[str] = mapped_column(String(63))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(2000), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)


class Dependency(Base):
    """``service`` needs ``depends_on`` (or just one of its components) to work.

    An incident on the service depended on shows as impact on the dependent service too.
    """

    __tablename__ = "dependencies"
    __table_args__ = (UniqueConstraint("service_id", "depends_on_id", "component_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    service_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    depends_on_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    component_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("components.id", ondelete="CASCADE")
    )
    impact: Mapped[str | None] = mapped_column(String(16))


class GroupAgreement(Base):
    """The terms negotiated with one group of users ("Finance department") for a service.

    They apply to that group instead of the service's own ``agreement``: a complete set of
    terms (see ``candor_shared.contract.AgreementTerms``), not an overlay. They go with the
    service, and with the group.
    """

    __tablename__ = "group_agreements"

    service_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subscriber_groups.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    terms: Mapped[dict[str, Any]] = mapped_column(JSON)
