"""reports against a group's agreement: the group in the key of stored reports

Revision ID: 0013_group_reports
Revises: 0012_channel_fallback
Create Date: 2026-11-23

"""

from typing import Sequence

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "0013_group_reports"
down_revision: str | Sequence[str] | None = "0012_channel_fallback"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    # "" is the service's own agreement: a primary key column cannot be NULL.
    with op.batch_alter_table("service_reports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("group_id", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.drop_constraint("pk_service_reports", type_="primary")
        batch_op.create_primary_key("pk_service_reports", ["service_id", "group_id", "period"])


def downgrade() -> None:
    """Downgrade schema (reports against groups' agreements go)."""
    op.execute("DELETE FROM service_reports WHERE group_id <> ''")
    with op.batch_alter_table("service_reports", schema=None) as batch_op:
        batch_op.drop_constraint("pk_service_reports", type_="primary")
        batch_op.create_primary_key("pk_service_reports", ["service_id", "period"])
        batch_op.drop_column("group_id")
