"""Many new tasks inserted at about the cost of a plain insert, the tallies kept exact.

The tallies (``task_tally``, ``task_item_tally``) count every task; a row trigger that adds
each inserted task with two upserts made a bulk insert 1.35x (SQLite) to 1.8x (PostgreSQL)
as slow as the same insert without it. Here the inserted rows are counted once, grouped:

- PostgreSQL: the rows go in with one ``COPY``; the statement-level insert trigger of migration
  0017 adds them to the tallies with one grouped upsert over its transition table.
- SQLite has no statement-level trigger, and a row trigger costs its call per row even when a
  ``WHEN`` clause skips it: the insert trigger is dropped for the insert and created again
  from its own stored text, in the caller's transaction (SQLite's DDL is transactional, and
  with one writer no other connection ever sees it missing). The rows go in with one driver
  ``executemany`` (values bound by their column types, without SQLAlchemy's per-row work);
  the rows, still in memory, are counted by their tally keys (:func:`count_into_tallies`)
  and added with one upsert per tally row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Connection, Table, func, insert, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from obligations.models import Task
from obligations.models.tasks import TaskItemTally, TaskTally
from obligations.tasks.status import settled_status
from obligations.vocabulary import TallyOutcome

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
    values = _bound(connection, {c: [row[c] for row in rows] for c in columns})
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
    # begins the driver's transaction, so the DDL below is part of it. A few rows go in that
    # way too: dropping and creating the trigger costs more than their triggers.
    small = len(rows) <= max(FEW_ROWS, 1)
    connection.execute(insert(_TASK), rows if small else [rows[0]])
    if small:
        return
    trigger = connection.scalar(
        text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
        {"name": _SQLITE_TRIGGER},
    )
    columns = list(rows[0])
    rest = rows[1:]
    # Column by column: one list comprehension per column is far cheaper than a loop per row.
    by_column = {c: [row[c] for row in rest] for c in columns}
    statement = (
        f"INSERT INTO task ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    )
    if trigger is None:  # a database without the tallies (a benchmark's baseline)
        connection.exec_driver_sql(statement, _bound(connection, by_column))
        return
    # No savepoint: it would copy every page the insert touches to a statement journal,
    # which doubled the insert's time in a large database. Instead, if the insert is
    # refused part way, the rows it added (SQLite's executemany keeps them) are counted too
    # and the trigger is created again, so the tallies hold whatever the caller does next.
    floor = connection.scalar(select(func.max(_TASK.c.id)))
    connection.exec_driver_sql(f"DROP TRIGGER {_SQLITE_TRIGGER}")
    try:
        connection.exec_driver_sql(statement, _bound(connection, by_column))
    except BaseException:
        added = connection.scalar(select(func.count()).where(_TASK.c.id > floor))
        count_into_tallies(connection, {c: v[:added] for c, v in by_column.items()})
        connection.exec_driver_sql(trigger)
        raise
    count_into_tallies(connection, by_column)
    connection.exec_driver_sql(trigger)


def _bound(connection: Connection, by_column: dict[str, list[Any]]) -> list[tuple[Any, ...]]:
    """The rows as the driver takes them: each value through its column type's processor,
    once per distinct value of a column (dates and instants repeat across thousands of rows;
    the processors cost a microsecond or two a call)."""
    dialect = connection.dialect
    bound: list[list[Any]] = []
    for column, values in by_column.items():
        process = _TASK.c[column].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            converted = {v: process(v) for v in set(values)}
            values = [converted[v] for v in values]
        bound.append(values)
    return list(zip(*bound, strict=True))


def count_into_tallies(connection: Connection, by_column: dict[str, list[Any]]) -> None:
    """Add new tasks (their values column by column) to both tallies, as the row trigger would.

    The tasks are grouped by the columns the tally key is made of first (a chunk of thousands
    of tasks has a few hundred distinct ones), then each group's outcome is decided by
    :func:`~obligations.tasks.status.settled_status` (the table the triggers are built from);
    a settled task is filed under the first day of its due month for both dates, as the
    triggers file it (tests compare the two). One upsert per tally row.
    """
    count = len(next(iter(by_column.values())))
    if not count:
        return
    columns = ("unit_id", "ledger_item", "opens_on", "due_on", "nominal_due_on", "done_on")
    unset = [None] * count
    groups: Counter[tuple[Any, ...]] = Counter(
        zip(
            *(by_column.get(c, unset) for c in columns),
            by_column.get("waived_at", unset),
            by_column.get("retired_at", unset),
            strict=True,
        )
    )
    tally: Counter[tuple[Any, ...]] = Counter()
    item_tally: Counter[tuple[Any, ...]] = Counter()
    for (unit_id, item, opens_on, due_on, nominal, done_on, waived, retired), n in groups.items():
        status = settled_status(
            opens_on=opens_on,
            due_on=due_on,
            nominal_due_on=nominal,
            done_on=done_on,
            waived=waived is not None,
            retired=retired is not None,
        )
        if status is None:
            outcome, due, opens = TallyOutcome.OPEN.value, due_on, opens_on
        else:
            outcome, due = status.value, due_on.replace(day=1)
            opens = due
        tally[(due, unit_id, opens, outcome)] += n
        item_tally[(unit_id, due, item, opens, outcome)] += n
    for table, counted in ((TaskTally, tally), (TaskItemTally, item_tally)):
        key = _TALLIES[table.__tablename__]
        statement = sqlite.insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=list(key), set_={"n": table.n + statement.excluded.n}
        )
        connection.execute(
            statement, [{**dict(zip(key, k, strict=True)), "n": n} for k, n in counted.items()]
        )
