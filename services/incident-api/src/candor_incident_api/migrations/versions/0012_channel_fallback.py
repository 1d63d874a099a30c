"""fallback channels: a subscriber's channel (or email address) the notifier reaches only when
their other channels failed for good for a notice

Revision ID: 0012_channel_fallback
Revises: 0011_group_agreements
Create Date: 2026-11-23

"""

from typing import Sequence

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "0012_channel_fallback"
down_revision: str | Sequence[str] | None = "0011_group_agreements"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("subscriber_channels", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("fallback", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("email_fallback", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.drop_column("email_fallback")
    with op.batch_alter_table("subscriber_channels", schema=None) as batch_op:
        batch_op.drop_column("fallback")
