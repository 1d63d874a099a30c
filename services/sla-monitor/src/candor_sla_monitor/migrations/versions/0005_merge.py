"""Join the branches of the history: maintenance, deadlines, reports, burn rates and perceived downtime.

They were written side by side, each on its own tables, and each applies by itself (the
migration runner upgrades to every head); from here on the history is one line again.

Revision ID: 0005_merge
Revises: 0003_burn, 0003_deadlines, 0003_maintenance, 0003_reports, 0004_perceived
"""

from collections.abc import Sequence

revision: str = "0005_merge"
down_revision: str | Sequence[str] | None = (
    "0003_burn",
    "0003_deadlines",
    "0003_maintenance",
    "0003_reports",
    "0004_perceived",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the branches' tables are all there."""


def downgrade() -> None:
    """Nothing to undo."""
