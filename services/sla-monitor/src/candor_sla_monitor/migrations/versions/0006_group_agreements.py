"""agreements per group of users: their terms with the service, and the group in the keys of
what is evaluated per agreement (monthly reports, budget alerts, deadlines)

Revision ID: 0006_group_agreements
Revises: 0005_merge
Create Date: 2026-11-23

"""

from typing import Sequence

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = "0006_group_agreements"
down_revision: str | Sequence[str] | None = "0005_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_agreements", sa.JSON(), nullable=True))

    # "" is the service's own agreement: a primary key column cannot be NULL.
    with op.batch_alter_table("monthly_reports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("group_id", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.drop_constraint("pk_monthly_reports", type_="primary")
        batch_op.create_primary_key("pk_monthly_reports", ["service_id", "group_id", "period"])

    with op.batch_alter_table("budget_alerts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("group_id", sa.String(length=64), nullable=False, server_default="")
        )
        batch_op.drop_constraint("pk_budget_alerts", type_="primary")
        batch_op.create_primary_key("pk_budget_alerts", ["service_id", "group_id", "alert"])

    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("group_name", sa.String(length=200), nullable=True))


def downgrade() -> None:
    """Downgrade schema (group agreements' rows go)."""
    op.execute("DELETE FROM deadlines WHERE group_id IS NOT NULL")
    with op.batch_alter_table("deadlines", schema=None) as batch_op:
        batch_op.drop_column("group_name")
        batch_op.drop_column("group_id")
    op.execute("DELETE FROM budget_alerts WHERE group_id <> ''")
    with op.batch_alter_table("budget_alerts", schema=None) as batch_op:
        batch_op.drop_constraint("pk_budget_alerts", type_="primary")
        batch_op.create_primary_key("pk_budget_alerts", ["service_id", "alert"])
        batch_op.drop_column("group_id")
    op.execute("DELETE FROM monthly_reports WHERE group_id <> ''")
    with op.batch_alter_table("monthly_reports", schema=None) as batch_op:
        batch_op.drop_constraint("pk_monthly_reports", type_="primary")
        batch_op.create_primary_key("pk_monthly_reports", ["service_id", "period"])
        batch_op.drop_column("group_id")
    with op.batch_alter_table("agreements", schema=None) as batch_op:
        batch_op.drop_column("group_agreements")
