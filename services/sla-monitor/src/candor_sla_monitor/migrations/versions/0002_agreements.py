"""agreements, and when outages were acknowledged

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

"""

from typing import Sequence

from alembic import op
import sqlalchemy as sa
import candor_shared.db


# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "agreements",
        sa.Column("service_id", sa.String(length=64), nullable=False),
        sa.Column("service_slug", sa.String(length=63), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("service_id", name=op.f("pk_agreements")),
    )
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.create_index("ix_agreements_service_slug", ["service_slug"], unique=False)

    with op.batch_alter_table("outages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("acknowledged_at", candor_shared.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("outages", schema=None) as batch_op:
        batch_op.drop_column("acknowledged_at")

    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_index("ix_agreements_service_slug")

    op.drop_table("agreements")
