"""agreements per group of users: a service's terms with one group of subscribers

Revision ID: 0011_group_agreements
Revises: 0010_idempotency_subscriber
Create Date: 2026-11-23

"""

from typing import Sequence

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "0011_group_agreements"
down_revision: str | Sequence[str] | None = "0010_idempotency_subscriber"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "group_agreements",
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_group_agreements_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["subscriber_groups.id"],
            name=op.f("fk_group_agreements_group_id_subscriber_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("service_id", "group_id", name=op.f("pk_group_agreements")),
    )
    with op.batch_alter_table("group_agreements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_group_agreements_group_id"), ["group_id"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("group_agreements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_agreements_group_id"))
    op.drop_table("group_agreements")
