"""notices: maintenance windows as the notifier knows them, with the reminder each one owes;
deliveries that fold a burst of updates; each service's newest SLA standing

Revision ID: 0005_notices
Revises: 0001
Create Date: 2026-11-23 13:30:00.000000

"""

from typing import Sequence

from alembic import op
import sqlalchemy as sa
import candor_shared.db


# revision identifiers, used by Alembic.
revision: str = "0005_notices"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("maintenance", sa.JSON(), nullable=False),
        sa.Column("reminder_due_at", candor_shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminder_sent_at", candor_shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_maintenance_windows")),
    )
    with op.batch_alter_table("maintenance_windows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_maintenance_windows_reminder_due_at"),
            ["reminder_due_at"],
            unique=False,
        )
    op.create_table(
        "service_standings",
        sa.Column("service_slug", sa.String(length=63), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("starts_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("availability_percent", sa.Float(), nullable=False),
        sa.Column("adequate_percent", sa.Float(), nullable=True),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("generated_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("service_slug", name=op.f("pk_service_standings")),
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("folded", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(
            sa.Column("folded_since", candor_shared.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("service_standings")
    # Plain DROP COLUMN (SQLite 3.35+): a batch rebuild of "deliveries" is not needed.
    op.drop_column("deliveries", "folded_since")
    op.drop_column("deliveries", "folded")
    with op.batch_alter_table("maintenance_windows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_maintenance_windows_reminder_due_at"))
    op.drop_table("maintenance_windows")
