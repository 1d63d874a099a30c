"""maintenance windows, to exclude them from availability

Revision ID: 0003_maintenance
Revises: 0002
Create Date: 2026-11-23

"""

from typing import Sequence

from alembic import op
import sqlalchemy as sa
import candor_shared.db


# revision identifiers, used by Alembic.
revision: str = "0003_maintenance"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("service_slugs", sa.JSON(), nullable=False),
        sa.Column("starts_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("announced_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", candor_shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", candor_shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", candor_shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_windows")),
    )
    with op.batch_alter_table("maintenance_windows", schema=None) as batch_op:
        batch_op.create_index("ix_maintenance_windows_starts_at", ["starts_at"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("maintenance_windows", schema=None) as batch_op:
        batch_op.drop_index("ix_maintenance_windows_starts_at")

    op.drop_table("maintenance_windows")
