"""planning per unit: stamps per (rule, unit), tallies of bulk inserts counted once

Revision ID: 0017
Revises: 0016

``generation_stamp`` is keyed by (rule, unit): a change in one unit re-plans that unit only.
The old stamps (per rule) are dropped, not converted: ``PLANNING_VERSION`` 5 re-plans
everything once anyway. Generation reads a unit's stored tasks by organization too (a branch
moved to another unit), which 0016's ``ix_task_org_due`` (organization, due date) serves;
``ix_task_rule_id`` goes, the natural key's unique index (led by the rule) serves the same
lookups.

The tallies' insert trigger no longer costs two upserts per row in a bulk insert:

- PostgreSQL: inserts are counted by a statement-level trigger over the transition table of
  the inserted rows (one grouped upsert per statement; generation inserts with ``COPY``, one
  statement per chunk). Updates and deletes keep 0013's row trigger (PostgreSQL refuses
  transition tables on a trigger with a column list).
- SQLite has no statement-level triggers, and a row trigger skipped by a ``WHEN`` clause still
  costs its call: its triggers stay as they are, and the bulk insert of
  :mod:`obligations.tasks.bulk` drops the insert trigger for the insert (in its transaction)
  and counts the rows itself.

The decision text is 0013's (:data:`_OUTCOME`, which ``tests/test_task_state.py`` compares with
:func:`obligations.tasks.state_sql.trigger_outcome_sql`), copied so that this migration runs
the same whatever the code becomes. Downgrading restores 0013's triggers and per-rule stamps.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
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
_KEY_SOURCES = (
    "unit_id, ledger_item, due_on, nominal_due_on, opens_on, done_on, waived_at, retired_at"
)
_TALLIES = {
    "task_tally": ("due_on", "unit_id", "opens_on", "outcome"),
    "task_item_tally": ("unit_id", "due_on", "ledger_item", "opens_on", "outcome"),
}


def upgrade() -> None:
    _stamps(("rule_id", "unit_id"))
    # Plain index statements: a batch (table copy) on SQLite would drop the triggers.
    op.drop_index("ix_task_rule_id", table_name="task")
    if _sqlite():
        return
    statements = "\n".join(_add_grouped(name, key, "inserted") for name, key in _TALLIES.items())
    op.execute(
        "CREATE FUNCTION task_tally_insert_rows() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n{statements}\nRETURN NULL;\nEND $$"
    )
    op.execute("DROP TRIGGER task_tally_row ON task")
    op.execute(
        f"CREATE TRIGGER task_tally_row AFTER DELETE OR UPDATE OF {_KEY_SOURCES} "
        "ON task FOR EACH ROW EXECUTE FUNCTION task_tally_apply()"
    )
    op.execute(
        "CREATE TRIGGER task_tally_insert AFTER INSERT ON task "
        "REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT "
        "EXECUTE FUNCTION task_tally_insert_rows()"
    )


def downgrade() -> None:
    if not _sqlite():
        op.execute("DROP TRIGGER task_tally_insert ON task")
        op.execute("DROP FUNCTION task_tally_insert_rows()")
        op.execute("DROP TRIGGER task_tally_row ON task")
        op.execute(
            f"CREATE TRIGGER task_tally_row AFTER INSERT OR DELETE OR UPDATE OF {_KEY_SOURCES} "
            "ON task FOR EACH ROW EXECUTE FUNCTION task_tally_apply()"
        )
    op.create_index("ix_task_rule_id", "task", ["rule_id"])
    _stamps(("rule_id",))


def _stamps(key: tuple[str, ...]) -> None:
    """``generation_stamp`` keyed by ``key``, empty: the next generation re-plans."""
    op.drop_table("generation_stamp")
    columns: list[sa.Column[Any]] = [sa.Column("rule_id", sa.String(length=64), nullable=False)]
    if "unit_id" in key:
        columns.append(sa.Column("unit_id", sa.Integer(), nullable=False))
    op.create_table(
        "generation_stamp",
        *columns,
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("planned", sa.Integer(), nullable=False),
        sa.Column("provisional", sa.Integer(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(*key, name=op.f("pk_generation_stamp")),
    )


def _sqlite() -> bool:
    return bool(op.get_bind().dialect.name == "sqlite")


def _expression(column: str, row: str) -> str:
    """PostgreSQL: the value of a tally key column for the task ``row`` (a transition table's)."""
    decided = _OUTCOME.format(row=row)
    if column == "outcome":
        return decided
    if column in ("due_on", "opens_on"):
        # A settled task's state no longer depends on the day: file it under its due month.
        month = f"CAST(date_trunc('month', {row}.due_on) AS DATE)"
        return f"CASE WHEN {decided} = 'open' THEN {row}.{column} ELSE {month} END"
    return f"{row}.{column}"


def _add_grouped(name: str, key: tuple[str, ...], rows: str) -> str:
    values = ", ".join(_expression(c, rows) for c in key)
    ordinals = ", ".join(str(i + 1) for i in range(len(key)))
    return (
        f"INSERT INTO {name} ({', '.join(key)}, n) "
        f"SELECT {values}, count(*) FROM {rows} GROUP BY {ordinals} "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET n = {name}.n + excluded.n;"
    )
