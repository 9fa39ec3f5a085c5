"""task tallies: triggers built from the one task-state table

Revision ID: 0011
Revises: 0010

The triggers of 0007 spelled out by hand which outcome a tally row files a task under (done,
done late, retired, waived or open), a copy of the decision in ``task_status``. These are
built from :data:`_OUTCOME`, the text :func:`obligations.tasks.state_sql.trigger_outcome_sql`
generates from :data:`obligations.tasks.status.OUTCOMES`; ``tests/test_task_state.py`` checks
that it still does (a change to the decision then needs a migration like this one). The text
is copied here rather than imported so that this migration runs the same whatever the code
becomes. The tallies are recounted with it.

Downgrading keeps these triggers: they compute what 0007's did, under the same names, and
0007's downgrade drops them.
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# trigger_outcome_sql(dialect, "{row}"), the same on SQLite and PostgreSQL.
_OUTCOME = (
    "CASE WHEN ({row}.done_on IS NOT NULL AND {row}.done_on <= {row}.due_on) THEN 'done' "
    "WHEN ({row}.done_on IS NOT NULL) THEN 'done_late' "
    "WHEN ({row}.retired_at IS NOT NULL) THEN 'retired' "
    "WHEN ({row}.waived_at IS NOT NULL) THEN 'waived' ELSE 'open' END"
)

# The columns a task's tally key is made of: an update of any other column changes nothing.
_KEY_SOURCES = "unit_id, ledger_item, due_on, opens_on, done_on, waived_at, retired_at"
_TALLIES = {
    "task_tally": ("due_on", "unit_id", "opens_on", "outcome"),
    "task_item_tally": ("unit_id", "due_on", "ledger_item", "opens_on", "outcome"),
}


def upgrade() -> None:
    if _sqlite():
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER task_tally_{event}")
        _sqlite_triggers()
    else:
        _postgresql_triggers()  # replaces the functions the 0007 triggers call
    for name, key in _TALLIES.items():
        values = ", ".join(_expression(c, "task") for c in key)
        op.execute(f"DELETE FROM {name}")
        op.execute(
            f"INSERT INTO {name} ({', '.join(key)}, n) "
            f"SELECT {values}, count(*) FROM task GROUP BY {values}"
        )


def downgrade() -> None:
    pass


def _sqlite() -> bool:
    return bool(op.get_bind().dialect.name == "sqlite")


def _expression(column: str, row: str) -> str:
    """The value of a tally key column for the task ``row`` (NEW, OLD or task)."""
    outcome = _OUTCOME.format(row=row)
    if column == "outcome":
        return outcome
    if column in ("due_on", "opens_on"):
        # A settled task's state no longer depends on the day: file it under its due month.
        month = (
            f"date({row}.due_on, 'start of month')"
            if _sqlite()
            else f"CAST(date_trunc('month', {row}.due_on) AS DATE)"
        )
        return f"CASE WHEN {outcome} = 'open' THEN {row}.{column} ELSE {month} END"
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
    """The row trigger of 0007 (task_tally_row) calls this function: replacing it is enough.
    Its TRUNCATE trigger has no decision in it and stays."""
    op.execute(
        "CREATE OR REPLACE FUNCTION task_tally_apply() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\nIF TG_OP IN ('INSERT', 'UPDATE') THEN\n{_add('NEW')}\nEND IF;\n"
        f"IF TG_OP IN ('UPDATE', 'DELETE') THEN\n{_subtract('OLD')}\nEND IF;\n"
        "RETURN NULL;\nEND $$"
    )
