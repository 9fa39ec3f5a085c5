"""nominal due dates: on time by the later of the moved due date and the rule's own

Revision ID: 0013
Revises: 0012

``task.nominal_due_on`` keeps the due date a rule gives before it is moved to a working day
(``task.due_on``, which reminders and the overdue state keep following). A task completed by
the later of the two is on time: 31 October 2026 is a Saturday, October's study falls due on
Friday the 30th, and a study held and recorded on the 31st is no longer 逾期完成.

Existing tasks get NULL, "not known": the rules that would give the date live in the data
directory's files, which a migration does not read. With NULL the decision compares with
``due_on`` alone, exactly as before, so upgrading changes no verdict and the tallies need no
recount. The next generation fills every row (``PLANNING_VERSION`` 3 re-plans every rule):
an open task from its rule; a completed one, whose dates are kept, from its rule only if the
rule still gives its stored due date, else with its due date (see
:mod:`obligations.tasks.reconcile`).

The tally triggers (0011's) decide the outcome from the new column too: they are rebuilt from
:data:`_OUTCOME`, the text :func:`obligations.tasks.state_sql.trigger_outcome_sql` generates
from :data:`obligations.tasks.status.OUTCOMES` (``tests/test_task_state.py`` checks it still
does), and fire on updates of the new column. The texts are copied here rather than imported
so that this migration runs the same whatever the code becomes. Downgrading restores 0011's
triggers, drops the column and recounts the tallies (a task on time only by its nominal date
is late again).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# trigger_outcome_sql(dialect, "{row}"), the same on SQLite and PostgreSQL.
_OUTCOME = (
    "CASE WHEN ({row}.done_on IS NOT NULL AND {row}.done_on <= {row}.due_on) THEN 'done' "
    "WHEN ({row}.done_on IS NOT NULL AND {row}.done_on <= {row}.nominal_due_on) THEN 'done' "
    "WHEN ({row}.done_on IS NOT NULL) THEN 'done_late' "
    "WHEN ({row}.retired_at IS NOT NULL) THEN 'retired' "
    "WHEN ({row}.waived_at IS NOT NULL) THEN 'waived' ELSE 'open' END"
)
# The columns a task's tally key is made of: an update of any other column changes nothing.
_KEY_SOURCES = (
    "unit_id, ledger_item, due_on, nominal_due_on, opens_on, done_on, waived_at, retired_at"
)

# 0011's, for the downgrade.
_OUTCOME_0011 = (
    "CASE WHEN ({row}.done_on IS NOT NULL AND {row}.done_on <= {row}.due_on) THEN 'done' "
    "WHEN ({row}.done_on IS NOT NULL) THEN 'done_late' "
    "WHEN ({row}.retired_at IS NOT NULL) THEN 'retired' "
    "WHEN ({row}.waived_at IS NOT NULL) THEN 'waived' ELSE 'open' END"
)
_KEY_SOURCES_0011 = "unit_id, ledger_item, due_on, opens_on, done_on, waived_at, retired_at"

_TALLIES = {
    "task_tally": ("due_on", "unit_id", "opens_on", "outcome"),
    "task_item_tally": ("unit_id", "due_on", "ledger_item", "opens_on", "outcome"),
}


def upgrade() -> None:
    op.add_column("task", sa.Column("nominal_due_on", sa.Date(), nullable=True))
    _replace_triggers(_OUTCOME, _KEY_SOURCES)


def downgrade() -> None:
    _replace_triggers(_OUTCOME_0011, _KEY_SOURCES_0011)
    op.drop_column("task", "nominal_due_on")
    for name, key in _TALLIES.items():
        values = ", ".join(_expression(c, "task", _OUTCOME_0011) for c in key)
        op.execute(f"DELETE FROM {name}")
        op.execute(
            f"INSERT INTO {name} ({', '.join(key)}, n) "
            f"SELECT {values}, count(*) FROM task GROUP BY {values}"
        )


def _sqlite() -> bool:
    return bool(op.get_bind().dialect.name == "sqlite")


def _replace_triggers(outcome: str, key_sources: str) -> None:
    """The triggers of 0007 (names and shape kept) deciding by ``outcome`` and firing on
    updates of ``key_sources``."""
    add, subtract = _add("NEW", outcome), _subtract("OLD", outcome)
    if _sqlite():
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER task_tally_{event}")
        op.execute(f"CREATE TRIGGER task_tally_insert AFTER INSERT ON task BEGIN\n{add}\nEND")
        op.execute(f"CREATE TRIGGER task_tally_delete AFTER DELETE ON task BEGIN\n{subtract}\nEND")
        # Adding before subtracting: an update that keeps the key leaves the row in place.
        op.execute(
            f"CREATE TRIGGER task_tally_update AFTER UPDATE OF {key_sources} ON task BEGIN\n"
            f"{add}\n{subtract}\nEND"
        )
        return
    # The row trigger of 0007 calls this function; its TRUNCATE trigger has no decision in it.
    op.execute(
        "CREATE OR REPLACE FUNCTION task_tally_apply() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\nIF TG_OP IN ('INSERT', 'UPDATE') THEN\n{add}\nEND IF;\n"
        f"IF TG_OP IN ('UPDATE', 'DELETE') THEN\n{subtract}\nEND IF;\n"
        "RETURN NULL;\nEND $$"
    )
    op.execute("DROP TRIGGER task_tally_row ON task")
    op.execute(
        f"CREATE TRIGGER task_tally_row AFTER INSERT OR DELETE OR UPDATE OF {key_sources} "
        "ON task FOR EACH ROW EXECUTE FUNCTION task_tally_apply()"
    )


def _expression(column: str, row: str, outcome: str) -> str:
    """The value of a tally key column for the task ``row`` (NEW, OLD or task)."""
    decided = outcome.format(row=row)
    if column == "outcome":
        return decided
    if column in ("due_on", "opens_on"):
        # A settled task's state no longer depends on the day: file it under its due month.
        month = (
            f"date({row}.due_on, 'start of month')"
            if _sqlite()
            else f"CAST(date_trunc('month', {row}.due_on) AS DATE)"
        )
        return f"CASE WHEN {decided} = 'open' THEN {row}.{column} ELSE {month} END"
    return f"{row}.{column}"


def _add(row: str, outcome: str) -> str:
    statements = []
    for name, key in _TALLIES.items():
        values = ", ".join(_expression(c, row, outcome) for c in key)
        statements.append(
            f"INSERT INTO {name} ({', '.join(key)}, n) VALUES ({values}, 1) "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET n = {name}.n + 1;"
        )
    return "\n".join(statements)


def _subtract(row: str, outcome: str) -> str:
    statements = []
    for name, key in _TALLIES.items():
        match = " AND ".join(f"{c} = {_expression(c, row, outcome)}" for c in key)
        statements.append(f"UPDATE {name} SET n = n - 1 WHERE {match};")
        statements.append(f"DELETE FROM {name} WHERE {match} AND n = 0;")
    return "\n".join(statements)
