"""subscriber channels: name, optional email, Slack/Teams/webhook/Apprise channels

Revision ID: 0003_channels
Revises: 0002
Create Date: 2026-11-30 09:00:00.000000

"""

from typing import Sequence

from alembic import op
import sqlalchemy as sa
import candor_shared.db


# revision identifiers, used by Alembic.
revision: str = "0003_channels"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _email_nullable(nullable: bool) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        # SQLite rebuilds "subscribers" to change a column; dropping the old table deletes its
        # rows first, and with foreign keys on that cascades to "subscriptions". Keep a copy.
        op.execute(
            "CREATE TEMPORARY TABLE subscriptions_kept AS "
            "SELECT subscriber_id, service_id FROM subscriptions"
        )
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.alter_column("email", existing_type=sa.String(length=320), nullable=nullable)
    if sqlite:
        op.execute(
            "INSERT INTO subscriptions (subscriber_id, service_id) "
            "SELECT subscriber_id, service_id FROM subscriptions_kept "
            "WHERE subscriber_id IN (SELECT id FROM subscribers)"
        )
        op.execute("DROP TABLE subscriptions_kept")


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=200), nullable=True))
    _email_nullable(True)
    op.create_table(
        "subscriber_channels",
        sa.Column("subscriber_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=True),
        sa.Column("created_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_subscriber_channels_subscriber_id_subscribers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subscriber_id", "type", name=op.f("pk_subscriber_channels")),
    )


def downgrade() -> None:
    """Downgrade schema: subscribers without an email address cannot be kept."""
    op.drop_table("subscriber_channels")
    op.execute("DELETE FROM subscribers WHERE email IS NULL")
    _email_nullable(False)
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.drop_column("name")
