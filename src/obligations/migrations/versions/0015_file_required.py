"""records without a file: they close a task only where its rule expects no file

Revision ID: 0015
Revises: 0014

``task.file_required`` says whether a record must carry a file to count towards the task (the
rule's ``file_required``, default true). Existing tasks get true: every shipped rule expects a
file, and the rules a data directory may override live in its files, which a migration does
not read. The next generation re-plans every rule (``PLANNING_VERSION`` 4) and sets the column
from the rules; a task whose value changes has its completion recomputed then
(:mod:`obligations.tasks.reconcile`).

A record without a file no longer counts (:func:`obligations.tasks.status.qualifies`), so the
stored completion date of every task that counted one is recomputed here from the records that
still qualify: the local date of the ``min_count``-th record not withdrawn, not rejected and
with a file, or NULL. The tally triggers (0013's) follow the update of ``task.done_on``, so
the tallies stay exact without a recount. A task no longer complete loses its rule's
generation stamp, as :func:`obligations.tasks.state.refresh_done_on` does, so the next
generation re-plans the rule (a completed task's dates are kept; an open one follows its rule).

Downgrading counts the records without a file again (the same recomputation, without the
file condition) and drops the column.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import op

from obligations.timeutil import local_date_sql

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_COUNTING = "e.task_id IS NOT NULL AND e.withdrawn_at IS NULL AND e.review_state != 'REJECTED'"
_HAS_FILE = "EXISTS (SELECT 1 FROM evidence_file f WHERE f.record_id = e.id)"


def upgrade() -> None:
    op.add_column(
        "task",
        sa.Column("file_required", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    _recompute_done_on(require_file=True)


def downgrade() -> None:
    _recompute_done_on(require_file=False)
    op.drop_column("task", "file_required")


def _recompute_done_on(*, require_file: bool) -> None:
    """Recompute ``task.done_on`` of the tasks that have a counting record without a file,
    counting such records (``require_file`` false) or not."""
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    affected = (
        "SELECT t.id, t.min_count, t.done_on, t.rule_id FROM task t WHERE EXISTS ("
        f"SELECT 1 FROM evidence_record e WHERE e.task_id = t.id AND {_COUNTING} "
        f"AND NOT {_HAS_FILE}) ORDER BY t.id"
    )
    tasks = bind.execute(sa.text(affected)).all()
    if not tasks:
        return
    day = local_date_sql("e.recorded_at", sqlite=sqlite)
    condition = f" AND {_HAS_FILE}" if require_file else ""
    recorded: dict[int, list[date]] = {}
    for task_id, recorded_on in bind.execute(
        sa.text(
            f"SELECT e.task_id, {day} FROM evidence_record e "
            f"WHERE {_COUNTING}{condition} AND e.task_id IN ("
            f"SELECT t.id FROM ({affected}) t) ORDER BY e.task_id, e.recorded_at, e.id"
        )
    ):
        recorded.setdefault(task_id, []).append(_date(recorded_on))
    changed: list[dict[str, Any]] = []
    reopened: set[str] = set()
    for task_id, min_count, done_on, rule_id in tasks:
        days = sorted(recorded.get(task_id, []))
        new = days[min_count - 1] if len(days) >= min_count else None
        if new != (_date(done_on) if done_on is not None else None):
            changed.append({"id": task_id, "done_on": new})
            if new is None:
                reopened.add(rule_id)
    if changed:
        bind.execute(
            sa.text("UPDATE task SET done_on = :done_on WHERE id = :id").bindparams(
                sa.bindparam("done_on", type_=sa.Date())
            ),
            changed,
        )
    for rule_id in sorted(reopened):
        bind.execute(
            sa.text("DELETE FROM generation_stamp WHERE rule_id = :rule_id"), {"rule_id": rule_id}
        )


def _date(value: object) -> date:
    """A date as the driver returns it (SQLite: ISO text; PostgreSQL: a date)."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))
