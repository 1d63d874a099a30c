"""budget alerts: which error-budget alerts of each service were published as firing

Revision ID: 0003_burn
Revises: 0002
Create Date: 2026-11-24

"""

from typing import Sequence

from alembic import op
import sqlalchemy as sa
import candor_shared.db


# revision identifiers, used by Alembic.
revision: str = "0003_burn"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "budget_alerts",
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("alert", sa.String(length=32), nullable=False),
        sa.Column("service_slug", sa.String(length=63), nullable=False),
        sa.Column("firing", sa.Boolean(), nullable=False),
        sa.Column("period_start", candor_shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("changed_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("service_id", "alert", name=op.f("pk_budget_alerts")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("budget_alerts")
