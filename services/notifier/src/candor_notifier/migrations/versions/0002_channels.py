"""subscriber channels: Slack, Teams, webhooks, Apprise; email optional

Revision ID: 0002_channels
Revises: 0001
Create Date: 2026-11-30 09:00:00.000000

"""

from typing import Sequence

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "0002_channels"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _email_nullable(nullable: bool) -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        # SQLite rebuilds "subscribers" to change a column; dropping the old table deletes its
        # rows first, and with foreign keys on that cascades to "subscriptions". Keep a copy.
        op.execute(
            "CREATE TEMPORARY TABLE subscriptions_kept AS "
            "SELECT subscriber_id, service_slug FROM subscriptions"
        )
    with op.batch_alter_table("subscribers", schema=None) as batch_op:
        batch_op.alter_column("email", existing_type=sa.String(length=320), nullable=nullable)
    if sqlite:
        op.execute(
            "INSERT INTO subscriptions (subscriber_id, service_slug) "
            "SELECT subscriber_id, service_slug FROM subscriptions_kept "
            "WHERE subscriber_id IN (SELECT id FROM subscribers)"
        )
        op.execute("DROP TABLE subscriptions_kept")


def upgrade() -> None:
    """Upgrade schema."""
    _email_nullable(True)
    op.create_table(
        "subscriber_channels",
        sa.Column("subscriber_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=True),
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
