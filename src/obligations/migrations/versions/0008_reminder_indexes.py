"""reminder items: claim a (recipient, channel)'s due items through one index

ix_reminder_item_group (recipient_key, channel, state) is replaced by the same key followed by
next_attempt_at: the claim's pending half (state = pending, next_attempt_at <= now) is then
answered by the index alone. Without statistics (SQLite is never analyzed) SQLite preferred
ix_reminder_item_state_next for the claim, reading every due item of every group for each group.

Revision ID: 0008
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_reminder_item_group_due",
        "reminder_item",
        ["recipient_key", "channel", "state", "next_attempt_at"],
    )
    op.drop_index("ix_reminder_item_group", table_name="reminder_item")


def downgrade() -> None:
    op.create_index(
        "ix_reminder_item_group", "reminder_item", ["recipient_key", "channel", "state"]
    )
    op.drop_index("ix_reminder_item_group_due", table_name="reminder_item")
