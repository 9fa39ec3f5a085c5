"""tasks: an index for the latest period among live tasks

Revision ID: 0018
Revises: 0017

``ix_task_live_period_start`` (period_start, over the tasks not retired) answers generation's
first question, how far tasks already reach (``max(period_start)`` of the live tasks), by
reading one index entry instead of every task: 9 ms at 100,000 tasks on SQLite, paid by every
run, so it was the largest part of re-planning one unit after a change (``bench_generation``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

LIVE = sa.text("retired_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_task_live_period_start",
        "task",
        ["period_start"],
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )


def downgrade() -> None:
    op.drop_index("ix_task_live_period_start", table_name="task")
