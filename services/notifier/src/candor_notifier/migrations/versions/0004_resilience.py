"""endpoints (quarantine of failing chat and webhook endpoints) and notice summaries

Revision ID: 0004_resilience
Revises: 0001
Create Date: 2026-11-23 13:20:00.000000

"""

from typing import Sequence

from alembic import op
import sqlalchemy as sa
import candor_shared.db


# revision identifiers, used by Alembic.
revision: str = "0004_resilience"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "endpoints",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("failures_in_a_row", sa.Integer(), nullable=False),
        sa.Column("failing_since", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("quarantined_at", candor_shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("quarantined_until", candor_shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_endpoints")),
    )
    op.create_table(
        "notice_summaries",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("published_at", candor_shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("settled_at", candor_shared.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["notices.event_id"],
            name=op.f("fk_notice_summaries_event_id_notices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_notice_summaries")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("notice_summaries")
    op.drop_table("endpoints")
