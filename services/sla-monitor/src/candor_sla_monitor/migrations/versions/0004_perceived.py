"""perceived: users' answers per incident and respondent, and the ledger's perceived column

Revision ID: 0004_perceived
Revises: 0002
Create Date: 2026-11-23

"""

from typing import Sequence

from alembic import op
import sqlalchemy as sa
import candor_shared.db


# revision identifiers, used by Alembic.
revision: str = "0004_perceived"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "feedback_answers",
        sa.Column("incident_id", sa.String(length=64), nullable=False),
        sa.Column("respondent", sa.String(length=64), nullable=False),
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("service_slug", sa.String(length=63), nullable=False),
        sa.Column("kept_informed", sa.SmallInteger(), nullable=False),
        sa.Column("disruption", sa.SmallInteger(), nullable=False),
        sa.Column("adequate_percent", sa.Float(), nullable=False),
        sa.Column("desired_percent", sa.Float(), nullable=False),
        sa.Column("perceived_seconds", sa.Integer(), nullable=True),
        sa.Column("answered_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("incident_id", "respondent", name=op.f("pk_feedback_answers")),
    )
    op.create_table(
        "perceived_downtime",
        sa.Column("incident_id", sa.String(length=64), nullable=False),
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("service_slug", sa.String(length=63), nullable=False),
        sa.Column("respondents", sa.Integer(), nullable=False),
        sa.Column("perceived_answers", sa.Integer(), nullable=False),
        sa.Column("perceived_seconds", sa.Integer(), nullable=True),
        sa.Column("kept_informed_mean", sa.Float(), nullable=True),
        sa.Column("disruption_mean", sa.Float(), nullable=True),
        sa.Column("updated_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_perceived_downtime")),
    )
    with op.batch_alter_table("perceived_downtime", schema=None) as batch_op:
        batch_op.create_index("ix_perceived_downtime_service_slug", ["service_slug"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("perceived_downtime", schema=None) as batch_op:
        batch_op.drop_index("ix_perceived_downtime_service_slug")

    op.drop_table("perceived_downtime")
    op.drop_table("feedback_answers")
