"""monthly reports: the final report owed or published per service and month

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
        "monthly_reports",
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("service_slug", sa.String(length=63), nullable=False),
        sa.Column("due_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", candor_shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("service_id", "period", name=op.f("pk_monthly_reports")),
    )
    with op.batch_alter_table("monthly_reports", schema=None) as batch_op:
        batch_op.create_index(
            "ix_monthly_reports_published_at_due_at", ["published_at", "due_at"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("monthly_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_monthly_reports_published_at_due_at")

    op.drop_table("monthly_reports")
