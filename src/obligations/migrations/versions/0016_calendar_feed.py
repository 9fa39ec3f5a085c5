"""calendar feed: addresses derived from a per-user nonce, due date indexes for its window

Revision ID: 0016
Revises: 0015

``app_user.feed_nonce``: a user's calendar feed address is now derived from the server's feed
key and this nonce (see :mod:`obligations.accounts.feed_address`), so it can be shown again;
NULL for every existing user (no address of the new kind yet). The addresses made before,
stored hashed in ``calendar_feed_token``, keep working until their user makes a new one.

``ix_task_org_due`` and ``ix_task_person_due``: what an organization or a person owes in a due
date window (the feed of a branch secretary reads a few hundred rows instead of walking the
whole window of the college on ``ix_task_due``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("feed_nonce", sa.String(length=32), nullable=True))
    op.create_index("ix_task_org_due", "task", ["organization_id", "due_on"])
    op.create_index("ix_task_person_due", "task", ["person_id", "due_on"])


def downgrade() -> None:
    op.drop_index("ix_task_person_due", table_name="task")
    op.drop_index("ix_task_org_due", table_name="task")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("feed_nonce")
