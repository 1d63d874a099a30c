"""rhythm: when each change happened and first reached someone; holding updates, one per SLA
deadline

Revision ID: 0002_rhythm
Revises: 0001
Create Date: 2026-11-30 10:00:00.000000

"""

from typing import Sequence

from alembic import op
import sqlalchemy as sa
import candor_shared.db


# revision identifiers, used by Alembic.
revision: str = "0002_rhythm"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "first_delivered_at",
                candor_shared.db.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column("unchanged_since", candor_shared.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("occurred_at", candor_shared.db.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "holding_updates",
        sa.Column("deadline_id", sa.String(length=200), nullable=False),
        sa.Column("incident_id", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("notice_event_id", sa.String(length=64), nullable=True),
        sa.Column("due_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('planned', 'superseded', 'resolved', 'unknown')",
            name=op.f("ck_holding_updates_outcome"),
        ),
        sa.PrimaryKeyConstraint("deadline_id", name=op.f("pk_holding_updates")),
    )
    with op.batch_alter_table("holding_updates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_holding_updates_incident_id"), ["incident_id"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("holding_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_holding_updates_incident_id"))
    op.drop_table("holding_updates")
    # Plain DROP COLUMN (SQLite 3.35+): a batch rebuild of "notices" would drop the table,
    # and its ON DELETE CASCADE would take every delivery with it.
    op.drop_column("notices", "occurred_at")
    op.drop_column("notices", "unchanged_since")
    op.drop_column("notices", "first_delivered_at")
