"""task.done_on and the task tallies kept by triggers

Revision ID: 0007
Revises: 0006

``task.done_on`` is a stored copy of a derived fact (the local date a task reached its minimum
count of qualifying records), kept exact by the application in the same transaction as every
change to records or ``min_count``. ``task_tally`` and ``task_item_tally`` count tasks per
unit (and ledger item), due date, opening date and outcome; database triggers on ``task`` keep
them exact on every insert, update and delete, so the dashboard counts states for any day by
reading a few thousand tally rows instead of a million tasks.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from obligations.timeutil import local_date_sql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The columns a task's tally key is made of: an update of any other column changes nothing.
_KEY_SOURCES = "unit_id, ledger_item, due_on, opens_on, done_on, waived_at, retired_at"
_TALLIES = {
    "task_tally": ("due_on", "unit_id", "opens_on", "outcome"),
    "task_item_tally": ("unit_id", "due_on", "ledger_item", "opens_on", "outcome"),
}


def upgrade() -> None:
    op.add_column("task", sa.Column("done_on", sa.Date(), nullable=True))
    # The unit page lists a year of a unit's tasks along this index and its period filter
    # reads the keys from it alone.
    op.drop_index("ix_task_unit_due", table_name="task")
    op.create_index("ix_task_unit_due_period", "task", ["unit_id", "due_on", "period_key"])
    _backfill_done_on()
    for name, key in _TALLIES.items():
        columns = [_column(c) for c in key]
        op.create_table(
            name,
            *columns,
            sa.Column("n", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint(*key, name=op.f(f"pk_{name}")),
            sqlite_with_rowid=False,
        )
        values = ", ".join(_expression(c, "task") for c in key)
        op.execute(
            f"INSERT INTO {name} ({', '.join(key)}, n) "
            f"SELECT {values}, count(*) FROM task GROUP BY {values}"
        )
    if _sqlite():
        _sqlite_triggers()
    else:
        _postgresql_triggers()


def downgrade() -> None:
    if _sqlite():
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER task_tally_{event}")
    else:
        op.execute("DROP TRIGGER task_tally_truncate ON task")
        op.execute("DROP TRIGGER task_tally_row ON task")
        op.execute("DROP FUNCTION task_tally_clear()")
        op.execute("DROP FUNCTION task_tally_apply()")
    for name in _TALLIES:
        op.drop_table(name)
    op.drop_index("ix_task_unit_due_period", table_name="task")
    op.create_index("ix_task_unit_due", "task", ["unit_id", "due_on"])
    op.drop_column("task", "done_on")


def _sqlite() -> bool:
    return bool(op.get_bind().dialect.name == "sqlite")


_TYPES: dict[str, Any] = {
    "unit_id": sa.Integer(),
    "due_on": sa.Date(),
    "opens_on": sa.Date(),
    "ledger_item": sa.String(length=8),
    "outcome": sa.String(length=16),
}


def _column(name: str) -> sa.Column[Any]:
    return sa.Column(name, _TYPES[name], nullable=False)


def _backfill_done_on() -> None:
    """The local date of the ``min_count``-th qualifying record (not withdrawn, not rejected);
    records sort by their instant, which sorts their local dates too."""
    day = local_date_sql("e.recorded_at", sqlite=_sqlite())
    op.execute(
        "UPDATE task SET done_on = r.day FROM ("
        f"  SELECT e.task_id, {day} AS day, row_number() OVER ("
        "    PARTITION BY e.task_id ORDER BY e.recorded_at, e.id) AS k"
        "  FROM evidence_record e"
        "  WHERE e.task_id IS NOT NULL AND e.withdrawn_at IS NULL"
        "    AND e.review_state != 'REJECTED'"
        ") AS r WHERE r.task_id = task.id AND r.k = task.min_count"
    )


def _expression(column: str, row: str) -> str:
    """The value of a tally key column for the task ``row`` (NEW, OLD or task)."""
    open_ = f"{row}.done_on IS NULL AND {row}.retired_at IS NULL AND {row}.waived_at IS NULL"
    # A settled task's state no longer depends on the day: file it under its due month.
    month = (
        f"date({row}.due_on, 'start of month')"
        if _sqlite()
        else f"CAST(date_trunc('month', {row}.due_on) AS DATE)"
    )
    if column in ("due_on", "opens_on"):
        return f"CASE WHEN {open_} THEN {row}.{column} ELSE {month} END"
    if column == "outcome":
        # Mirrors domain.status.task_status: done (history) before retired before waived.
        return (
            f"CASE WHEN {row}.done_on IS NOT NULL AND {row}.done_on <= {row}.due_on THEN 'done'"
            f" WHEN {row}.done_on IS NOT NULL THEN 'done_late'"
            f" WHEN {row}.retired_at IS NOT NULL THEN 'retired'"
            f" WHEN {row}.waived_at IS NOT NULL THEN 'waived'"
            " ELSE 'open' END"
        )
    return f"{row}.{column}"


def _add(row: str) -> str:
    statements = []
    for name, key in _TALLIES.items():
        values = ", ".join(_expression(c, row) for c in key)
        statements.append(
            f"INSERT INTO {name} ({', '.join(key)}, n) VALUES ({values}, 1) "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET n = {name}.n + 1;"
        )
    return "\n".join(statements)


def _subtract(row: str) -> str:
    statements = []
    for name, key in _TALLIES.items():
        match = " AND ".join(f"{c} = {_expression(c, row)}" for c in key)
        statements.append(f"UPDATE {name} SET n = n - 1 WHERE {match};")
        statements.append(f"DELETE FROM {name} WHERE {match} AND n = 0;")
    return "\n".join(statements)


def _sqlite_triggers() -> None:
    op.execute(f"CREATE TRIGGER task_tally_insert AFTER INSERT ON task BEGIN\n{_add('NEW')}\nEND")
    op.execute(
        f"CREATE TRIGGER task_tally_delete AFTER DELETE ON task BEGIN\n{_subtract('OLD')}\nEND"
    )
    # Adding before subtracting: an update that keeps the key leaves the row in place.
    op.execute(
        f"CREATE TRIGGER task_tally_update AFTER UPDATE OF {_KEY_SOURCES} ON task BEGIN\n"
        f"{_add('NEW')}\n{_subtract('OLD')}\nEND"
    )


def _postgresql_triggers() -> None:
    op.execute(
        "CREATE FUNCTION task_tally_apply() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
        f"IF TG_OP IN ('INSERT', 'UPDATE') THEN\n{_add('NEW')}\nEND IF;\n"
        f"IF TG_OP IN ('UPDATE', 'DELETE') THEN\n{_subtract('OLD')}\nEND IF;\n"
        "RETURN NULL;\nEND $$"
    )
    op.execute(
        f"CREATE TRIGGER task_tally_row AFTER INSERT OR DELETE OR UPDATE OF {_KEY_SOURCES} "
        "ON task FOR EACH ROW EXECUTE FUNCTION task_tally_apply()"
    )
    # TRUNCATE fires no row trigger: empty the tallies with the tasks.
    op.execute(
        "CREATE FUNCTION task_tally_clear() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
        + "\n".join(f"DELETE FROM {name};" for name in _TALLIES)
        + "\nRETURN NULL;\nEND $$"
    )
    op.execute(
        "CREATE TRIGGER task_tally_truncate AFTER TRUNCATE ON task "
        "FOR EACH STATEMENT EXECUTE FUNCTION task_tally_clear()"
    )
