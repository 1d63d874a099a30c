"""Join the branches of the history: rhythm, channels, audience, resilience and notices.

They were written side by side, each on its own tables, and each applies by itself (the
migration runner upgrades to every head); from here on the history is one line again.

Revision ID: 0006_merge
Revises: 0002_rhythm, 0003_audience, 0004_resilience, 0005_notices
"""

from collections.abc import Sequence

revision: str = "0006_merge"
down_revision: str | Sequence[str] | None = (
    "0002_rhythm",
    "0003_audience",
    "0004_resilience",
    "0005_notices",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the branches' tables are all there."""


def downgrade() -> None:
    """Nothing to undo."""
