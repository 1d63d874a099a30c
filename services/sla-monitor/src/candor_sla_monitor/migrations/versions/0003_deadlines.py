"""deadlines: tracked incidents, communications with users, and the deadlines themselves

Revision ID: 0003_deadlines
Revises: 0002
Create Date: 2026-11-23

"""

from typing import Sequence

from alembic import op
import sqlalchemy as sa
import candor_shared.db


# revision identifiers, used by Alembic.
revision: str = "0003_deadlines"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "deadline_incidents",
        sa.Column("incident_id", sa.String(length=64), nullable=False),
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("service_slug", sa.String(length=63), nullable=False),
        sa.Column("service_name", sa.String(length=200), nullable=False),
        sa.Column("impact", sa.String(length=16), nullable=False),
        sa.Column("started_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("opened_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", candor_shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", candor_shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("episodes", sa.JSON(), nullable=False),
        sa.Column("last_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_deadline_incidents")),
    )
    with op.batch_alter_table("deadline_incidents", schema=None) as batch_op:
        batch_op.create_index("ix_deadline_incidents_service_id", ["service_id"], unique=False)

    op.create_table(
        "communications",
        sa.Column("incident_id", sa.String(length=64), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("incident_id", "ref", name=op.f("pk_communications")),
    )
    with op.batch_alter_table("communications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_communications_incident_id_at", ["incident_id", "at"], unique=False
        )

    op.create_table(
        "deadlines",
        sa.Column("id", sa.String(length=120), nullable=False),
        sa.Column("incident_id", sa.String(length=64), nullable=False),
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("service_slug", sa.String(length=63), nullable=False),
        sa.Column("term", sa.String(length=32), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("impact", sa.String(length=16), nullable=False),
        sa.Column("started_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("allowed_seconds", sa.Integer(), nullable=False),
        sa.Column("business_hours_only", sa.Boolean(), nullable=False),
        sa.Column("due_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("update_due_at", candor_shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("at_risk_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("met_at", candor_shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", candor_shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column(
            "update_due_published_at", candor_shared.db.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "at_risk_published_at", candor_shared.db.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "breached_published_at", candor_shared.db.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("next_fire_at", candor_shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadlines")),
    )
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.create_index("ix_deadlines_incident_id", ["incident_id"], unique=False)
        batch_op.create_index("ix_deadlines_next_fire_at", ["next_fire_at"], unique=False)
        batch_op.create_index(
            "ix_deadlines_service_slug_started_at", ["service_slug", "started_at"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.drop_index("ix_deadlines_service_slug_started_at")
        batch_op.drop_index("ix_deadlines_next_fire_at")
        batch_op.drop_index("ix_deadlines_incident_id")

    op.drop_table("deadlines")
    with op.batch_alter_table("communications", schema=None) as batch_op:
        batch_op.drop_index("ix_communications_incident_id_at")

    op.drop_table("communications")
    with op.batch_alter_table("deadline_incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_deadline_incidents_service_id")

    op.drop_table("deadline_incidents")
