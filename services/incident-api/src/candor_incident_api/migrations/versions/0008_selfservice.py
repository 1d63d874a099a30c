"""self-service subscriptions: pending subscriptions (double opt-in) and sign-up attempts

Revision ID: 0008_selfservice
Revises: 0002
Create Date: 2026-11-23

"""

from typing import Sequence

from alembic import op
import sqlalchemy as sa
import candor_shared.db


# revision identifiers, used by Alembic.
revision: str = "0008_selfservice"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "pending_subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("created_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_subscriptions")),
    )
    with op.batch_alter_table("pending_subscriptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pending_subscriptions_email"), ["email"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_pending_subscriptions_expires_at"), ["expires_at"], unique=False
        )
    op.create_table(
        "signup_attempts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("at", candor_shared.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signup_attempts")),
    )
    with op.batch_alter_table("signup_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signup_attempts_at"), ["at"], unique=False)
        batch_op.create_index(
            "ix_signup_attempts_scope_key_at", ["scope", "key_hash", "at"], unique=False
        )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("signup_attempts")
    op.drop_table("pending_subscriptions")
