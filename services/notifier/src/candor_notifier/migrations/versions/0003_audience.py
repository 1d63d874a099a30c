"""audience: component subscriptions, groups and their members, quiet hours and digests

Revision ID: 0003_audience
Revises: 0002_channels
Create Date: 2026-11-23 13:20:00.000000

"""

from typing import Sequence

from alembic import op
import sqlalchemy as sa

import candor_shared.db


# revision identifiers, used by Alembic.
revision: str = "0003_audience"
# After 0002_channels, which rebuilds "subscribers" on SQLite: a rebuild drops the old table,
# and with foreign keys on that would cascade to the tables below.
down_revision: str | Sequence[str] | None = "0002_channels"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    # Plain ADD COLUMN (no table rebuild on SQLite): subscribers keeps its rows and the
    # subscriptions that refer to them.
    op.add_column("subscribers", sa.Column("quiet_start", sa.Time(), nullable=True))
    op.add_column("subscribers", sa.Column("quiet_end", sa.Time(), nullable=True))
    op.add_column("subscribers", sa.Column("digest_seconds", sa.Integer(), nullable=True))
    op.create_table(
        "component_subscriptions",
        sa.Column("subscriber_id", sa.String(length=64), nullable=False),
        sa.Column("service_slug", sa.String(length=63), nullable=False),
        sa.Column("component_slug", sa.String(length=63), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_component_subscriptions_subscriber_id_subscribers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "subscriber_id",
            "service_slug",
            "component_slug",
            name=op.f("pk_component_subscriptions"),
        ),
    )
    op.create_index(
        op.f("ix_component_subscriptions_service_slug"),
        "component_subscriptions",
        ["service_slug"],
    )
    op.create_table(
        "subscriber_groups",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("updated_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriber_groups")),
    )
    op.create_table(
        "group_subscriptions",
        sa.Column("group_id", sa.String(length=64), nullable=False),
        sa.Column("service_slug", sa.String(length=63), nullable=False),
        sa.Column("component_slug", sa.String(length=63), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["subscriber_groups.id"],
            name=op.f("fk_group_subscriptions_group_id_subscriber_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "group_id", "service_slug", "component_slug", name=op.f("pk_group_subscriptions")
        ),
    )
    op.create_index(
        op.f("ix_group_subscriptions_service_slug"), "group_subscriptions", ["service_slug"]
    )
    op.create_table(
        "group_members",
        sa.Column("group_id", sa.String(length=64), nullable=False),
        sa.Column("subscriber_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_group_members_subscriber_id_subscribers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "subscriber_id", name=op.f("pk_group_members")),
    )
    op.create_index(op.f("ix_group_members_group_id"), "group_members", ["group_id"])
    op.create_table(
        "digest_entries",
        sa.Column("recipient_id", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("digest_event_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["notices.event_id"],
            name=op.f("fk_digest_entries_event_id_notices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["digest_event_id"],
            ["notices.event_id"],
            name=op.f("fk_digest_entries_digest_event_id_notices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("recipient_id", "event_id", name=op.f("pk_digest_entries")),
    )
    op.create_index(
        op.f("ix_digest_entries_digest_event_id"), "digest_entries", ["digest_event_id"]
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index(op.f("ix_digest_entries_digest_event_id"), table_name="digest_entries")
    op.drop_table("digest_entries")
    op.drop_index(op.f("ix_group_members_group_id"), table_name="group_members")
    op.drop_table("group_members")
    op.drop_index(op.f("ix_group_subscriptions_service_slug"), table_name="group_subscriptions")
    op.drop_table("group_subscriptions")
    op.drop_table("subscriber_groups")
    op.drop_index(
        op.f("ix_component_subscriptions_service_slug"), table_name="component_subscriptions"
    )
    op.drop_table("component_subscriptions")
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.drop_column("digest_seconds")
        batch_op.drop_column("quiet_end")
        batch_op.drop_column("quiet_start")
