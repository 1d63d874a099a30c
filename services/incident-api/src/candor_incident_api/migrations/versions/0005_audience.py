"""audience: component subscriptions, groups and their members, quiet hours and digests

Revision ID: 0005_audience
Revises: 0003_channels
Create Date: 2026-11-23 13:20:00.000000

"""

from typing import Sequence

from alembic import op
import sqlalchemy as sa
import candor_shared.db


# revision identifiers, used by Alembic.
revision: str = "0005_audience"
# After 0003_channels, which rebuilds "subscribers" on SQLite: a rebuild drops the old table,
# and with foreign keys on that would cascade to the tables below.
down_revision: str | Sequence[str] | None = "0003_channels"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _link(name: str, left: tuple[str, str], right: tuple[str, str]) -> None:
    """A table of (left id, right id) pairs, both foreign keys with ON DELETE CASCADE."""
    (left_column, left_table), (right_column, right_table) = left, right
    op.create_table(
        name,
        sa.Column(left_column, sa.Uuid(), nullable=False),
        sa.Column(right_column, sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            [left_column],
            [f"{left_table}.id"],
            name=op.f(f"fk_{name}_{left_column}_{left_table}"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            [right_column],
            [f"{right_table}.id"],
            name=op.f(f"fk_{name}_{right_column}_{right_table}"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(left_column, right_column, name=op.f(f"pk_{name}")),
    )
    op.create_index(op.f(f"ix_{name}_{right_column}"), name, [right_column])


def upgrade() -> None:
    """Upgrade schema."""
    # Plain ADD COLUMN: no table rebuild on SQLite.
    op.add_column("subscribers", sa.Column("quiet_start", sa.Time(), nullable=True))
    op.add_column("subscribers", sa.Column("quiet_end", sa.Time(), nullable=True))
    op.add_column("subscribers", sa.Column("digest_seconds", sa.Integer(), nullable=True))
    _link(
        "component_subscriptions",
        ("subscriber_id", "subscribers"),
        ("component_id", "components"),
    )
    op.create_table(
        "subscriber_groups",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriber_groups")),
        sa.UniqueConstraint("name", name=op.f("uq_subscriber_groups_name")),
    )
    _link("group_services", ("group_id", "subscriber_groups"), ("service_id", "services"))
    _link("group_components", ("group_id", "subscriber_groups"), ("component_id", "components"))
    _link("group_members", ("group_id", "subscriber_groups"), ("subscriber_id", "subscribers"))


def downgrade() -> None:
    """Downgrade schema."""
    for name in ("group_members", "group_components", "group_services"):
        op.drop_table(name)
    op.drop_table("subscriber_groups")
    op.drop_table("component_subscriptions")
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.drop_column("digest_seconds")
        batch_op.drop_column("quiet_end")
        batch_op.drop_column("quiet_start")
