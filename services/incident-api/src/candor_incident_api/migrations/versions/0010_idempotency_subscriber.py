"""idempotency records name the subscriber their answer is about, for erasure

Revision ID: 0010_idempotency_subscriber
Revises: 0009_merge
Create Date: 2026-11-23

"""

from typing import Sequence

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "0010_idempotency_subscriber"
down_revision: str | Sequence[str] | None = "0009_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``subscriber_id`` (nullable, indexed); records kept before it name nobody."""
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subscriber_id", sa.Uuid(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_idempotency_keys_subscriber_id"), ["subscriber_id"], unique=False
        )


def downgrade() -> None:
    """Drop the column and its index."""
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_subscriber_id"))
        batch_op.drop_column("subscriber_id")
