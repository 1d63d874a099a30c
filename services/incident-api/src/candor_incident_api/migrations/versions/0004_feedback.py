"""feedback: users' answers per incident and respondent, and the perception reports kept

Revision ID: 0004_feedback
Revises: 0002
Create Date: 2026-11-23

"""

from typing import Sequence

from alembic import op
import sqlalchemy as sa
import candor_shared.db


# revision identifiers, used by Alembic.
revision: str = "0004_feedback"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "incident_feedback",
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("subscriber_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("kept_informed", sa.SmallInteger(), nullable=False),
        sa.Column("disruption", sa.SmallInteger(), nullable=False),
        sa.Column("adequate_percent", sa.Float(), nullable=False),
        sa.Column("desired_percent", sa.Float(), nullable=False),
        sa.Column("perceived_minutes", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        sa.Column("first_answered_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_feedback_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_incident_feedback_subscriber_id_subscribers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", "subscriber_id", name=op.f("pk_incident_feedback")),
    )
    with op.batch_alter_table("incident_feedback", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_feedback_service_id"), ["service_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_incident_feedback_subscriber_id"), ["subscriber_id"], unique=False
        )

    op.create_table(
        "perception_reports",
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("service_slug", sa.String(length=63), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("generated_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("service_id", "period", name=op.f("pk_perception_reports")),
    )
    with op.batch_alter_table("perception_reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_perception_reports_service_slug_period", ["service_slug", "period"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("perception_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_perception_reports_service_slug_period")

    op.drop_table("perception_reports")
    with op.batch_alter_table("incident_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_feedback_subscriber_id"))
        batch_op.drop_index(batch_op.f("ix_incident_feedback_service_id"))

    op.drop_table("incident_feedback")
