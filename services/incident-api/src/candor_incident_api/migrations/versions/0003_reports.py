"""service reports: the newest report sla-monitor published per service and month

Revision ID: 0003_reports
Revises: 0002
Create Date: 2026-11-23

"""

from typing import Sequence

from alembic import op
import sqlalchemy as sa
import candor_shared.db


# revision identifiers, used by Alembic.
revision: str = "0003_reports"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "service_reports",
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("service_slug", sa.String(length=63), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("generated_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("service_id", "period", name=op.f("pk_service_reports")),
    )
    with op.batch_alter_table("service_reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_service_reports_service_slug_period", ["service_slug", "period"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("service_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_service_reports_service_slug_period")

    op.drop_table("service_reports")
