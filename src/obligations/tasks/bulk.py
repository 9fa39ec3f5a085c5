"""Many new tasks inserted at about the cost of a plain insert, the tallies kept exact.

The tallies (``task_tally``, ``task_item_tally``) count every task; a row trigger that adds
each inserted task with two upserts made a bulk insert 1.35x (SQLite) to 1.8x (PostgreSQL)
as slow as the same insert without it. Here the inserted rows are counted once, grouped:

- PostgreSQL: the rows go in with one ``COPY``; the statement-level insert trigger of migration
  0016 adds them to the tallies with one grouped upsert over its transition table.
- SQLite has no statement-level trigger, and a row trigger costs its call per row even when a
  ``WHEN`` clause skips it: the insert trigger is dropped for the insert and created again
  from its own stored text, all under a savepoint of the caller's transaction (SQLite's DDL
  is transactional: a failure restores it, and no other connection ever sees it missing; it
  has one writer). The rows go in with one driver ``executemany`` (values bound by their
  column types, without SQLAlchemy's per-row work), then one grouped upsert per tally adds
  the rows whose ids are above the largest id before the insert.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Connection, Table, func, insert, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from obligations.models import Task
from obligations.tasks.state_sql import trigger_outcome_sql

_TASK = cast(Table, Task.__table__)
_SQLITE_TRIGGER = "task_tally_insert"
# SQLite: up to this many rows are inserted with the row trigger (a regeneration's handful).
FEW_ROWS = 500
_TALLIES = {
    "task_tally": ("due_on", "unit_id", "opens_on", "outcome"),
    "task_item_tally": ("unit_id", "due_on", "ledger_item", "opens_on", "outcome"),
}


def bulk_insert(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (column values of new tasks, all with the same keys) into ``task``
    in the session's transaction, the tallies following. Raises what the insert raises (an
    ``IntegrityError`` for a duplicate natural key); on SQLite nothing of it is left then."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        _copy(connection, rows)
    else:
        _sqlite_insert(connection, rows)


def _copy(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    columns = list(rows[0])
    values = _bound(connection, columns, rows)
    driver = connection.connection.driver_connection
    assert driver is not None  # a live connection of the session's transaction
    statement = f"COPY task ({', '.join(columns)}) FROM STDIN"
    error = connection.dialect.loaded_dbapi.Error
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in values:
                copy.write_row(row)
    except error as exc:
        # As SQLAlchemy raises for its own statements (IntegrityError for a duplicate key).
        raise DBAPIError.instance(statement, None, exc, error) from exc


def _sqlite_insert(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    # The first row goes in as any insert does (trigger and all): being a write, it also
    # begins the driver's transaction, so the savepoint below is one inside it. A few rows go
    # in that way too: dropping and creating the trigger costs more than their triggers.
    small = len(rows) <= max(FEW_ROWS, 1)
    connection.execute(insert(_TASK), rows if small else [rows[0]])
    if small:
        return
    # SQLite gives the rows inserted next ids above the largest (and it has one writer).
    floor = connection.scalar(select(func.max(_TASK.c.id)))
    trigger = connection.scalar(
        text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
        {"name": _SQLITE_TRIGGER},
    )
    columns = list(rows[0])
    values = _bound(connection, columns, rows[1:])
    marks = ", ".join("?" for _ in columns)
    with connection.begin_nested():  # a failure restores the trigger and drops the rows
        if trigger is not None:
            connection.exec_driver_sql(f"DROP TRIGGER {_SQLITE_TRIGGER}")
        connection.exec_driver_sql(
            f"INSERT INTO task ({', '.join(columns)}) VALUES ({marks})", values
        )
        if trigger is not None:
            for name, key in _TALLIES.items():
                connection.execute(text(recount_sql(name, key)), {"floor": floor})
            connection.exec_driver_sql(trigger)


def _bound(
    connection: Connection, columns: list[str], rows: Sequence[dict[str, Any]]
) -> list[tuple[Any, ...]]:
    """The rows as the driver takes them: each value through its column type's processor,
    once per distinct value of a column (dates and instants repeat across thousands of rows;
    the processors cost a microsecond or two a call)."""
    dialect = connection.dialect
    bound: list[list[Any]] = []
    for column in columns:
        values = [row[column] for row in rows]
        process = _TASK.c[column].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            converted = {v: process(v) for v in set(values)}
            values = [converted[v] for v in values]
        bound.append(values)
    return list(zip(*bound, strict=True))


def recount_sql(name: str, key: tuple[str, ...]) -> str:
    """SQLite: add the tasks with ids above ``:floor`` to the tally ``name`` keyed by ``key``
    (the key values the row trigger of migration 0016 computes, grouped)."""
    outcome = trigger_outcome_sql(sqlite.dialect(), "task")
    month = "date(task.due_on, 'start of month')"

    def value(column: str) -> str:
        if column == "outcome":
            return outcome
        if column in ("due_on", "opens_on"):
            return f"CASE WHEN {outcome} = 'open' THEN task.{column} ELSE {month} END"
        return f"task.{column}"

    ordinals = ", ".join(str(i + 1) for i in range(len(key)))
    return (
        f"INSERT INTO {name} ({', '.join(key)}, n) "
        f"SELECT {', '.join(value(c) for c in key)}, count(*) FROM task "
        f"WHERE task.id > :floor GROUP BY {ordinals} "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET n = {name}.n + excluded.n"
    )
