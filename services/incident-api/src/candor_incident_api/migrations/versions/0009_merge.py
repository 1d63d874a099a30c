"""Join the branches of the history: channels, reports, feedback, audience, delivery facts, post-incident reports and self-service.

They were written side by side, each on its own tables, and each applies by itself (the
migration runner upgrades to every head); from here on the history is one line again.

Revision ID: 0009_merge
Revises: 0004_feedback, 0005_audience, 0006_delivery_facts, 0007_postmortem, 0008_selfservice, 0003_reports
"""

from collections.abc import Sequence

revision: str = "0009_merge"
down_revision: str | Sequence[str] | None = (
    "0004_feedback",
    "0005_audience",
    "0006_delivery_facts",
    "0007_postmortem",
    "0008_selfservice",
    "0003_reports",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the branches' tables are all there."""


def downgrade() -> None:
    """Nothing to undo."""
