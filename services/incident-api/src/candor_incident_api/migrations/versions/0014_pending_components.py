"""self-service requests may choose components, each under its service

Revision ID: 0014_pending_components
Revises: 0013_group_reports
Create Date: 2026-11-23

"""

from typing import Sequence

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "0014_pending_components"
down_revision: str | Sequence[str] | None = "0013_group_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``components`` (a JSON list, empty for the requests kept before it)."""
    with op.batch_alter_table("pending_subscriptions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("components", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )


def downgrade() -> None:
    """Drop the column."""
    with op.batch_alter_table("pending_subscriptions", schema=None) as batch_op:
        batch_op.drop_column("components")
