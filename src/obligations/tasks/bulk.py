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
  and added with one driver ``executemany`` of upserts, one per tally row.

Rows are handed over column by column (:func:`insert_columns`: a list of values per column,
as the binding, the ``COPY`` and the counting read them), or as dicts (:func:`bulk_insert`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any, cast

from sqlalchemy import Connection, Table, func, insert, select, text
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
# The task columns that decide where a task is tallied, after its unit and ledger item.
_FILED_BY = ("opens_on", "due_on", "nominal_due_on", "done_on", "waived_at", "retired_at")

# Column name -> the values of the rows, in row order (every list as long as the others).
Columns = dict[str, list[Any]]


def bulk_insert(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (column values of new tasks, all with the same keys) into ``task``:
    :func:`insert_columns` of the same values."""
    if rows:
        insert_columns(session, {c: [row[c] for row in rows] for c in rows[0]})


def insert_columns(session: Session, by_column: Columns) -> None:
    """Insert new tasks given column by column (``{column: [value per task]}``, no ``id``)
    into ``task`` in the session's transaction, the tallies following. Raises what the
    insert raises (an ``IntegrityError`` for a duplicate natural key); on SQLite nothing of
    it is left then."""
    if not by_column or not next(iter(by_column.values())):
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        _copy(connection, by_column)
    else:
        _sqlite_insert(connection, by_column)


def _copy(connection: Connection, by_column: Columns) -> None:
    values = _bound(connection, _TASK, by_column)
    driver = connection.connection.driver_connection
    assert driver is not None  # a live connection of the session's transaction
    statement = f"COPY task ({', '.join(by_column)}) FROM STDIN"
    error = connection.dialect.loaded_dbapi.Error
    try:
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in values:
                copy.write_row(row)
    except error as exc:
        # As SQLAlchemy raises for its own statements (IntegrityError for a duplicate key).
        raise DBAPIError.instance(statement, None, exc, error) from exc


def _sqlite_insert(connection: Connection, by_column: Columns) -> None:
    # The first row goes in as any insert does (trigger and all): being a write, it also
    # begins the driver's transaction, so the DDL below is part of it. A few rows go in that
    # way too: dropping and creating the trigger costs more than their triggers.
    columns = list(by_column)
    count = len(by_column[columns[0]])
    if count <= max(FEW_ROWS, 1):
        rows = [
            dict(zip(columns, row, strict=True)) for row in zip(*by_column.values(), strict=True)
        ]
        connection.execute(insert(_TASK), rows)
        return
    connection.execute(insert(_TASK), [{c: v[0] for c, v in by_column.items()}])
    trigger = connection.scalar(
        text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
        {"name": _SQLITE_TRIGGER},
    )
    rest = {c: v[1:] for c, v in by_column.items()}
    statement = (
        f"INSERT INTO task ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    )
    if trigger is None:  # a database without the tallies (a benchmark's baseline)
        connection.exec_driver_sql(statement, _bound(connection, _TASK, rest))
        return
    # No savepoint: it would copy every page the insert touches to a statement journal,
    # which doubled the insert's time in a large database. Instead, if the insert is
    # refused part way, the rows it added (SQLite's executemany keeps them) are counted too
    # and the trigger is created again, so the tallies hold whatever the caller does next.
    floor = connection.scalar(select(func.max(_TASK.c.id)))
    connection.exec_driver_sql(f"DROP TRIGGER {_SQLITE_TRIGGER}")
    try:
        connection.exec_driver_sql(statement, _bound(connection, _TASK, rest))
    except BaseException:
        added = connection.scalar(select(func.count()).where(_TASK.c.id > floor))
        count_into_tallies(connection, {c: v[:added] for c, v in rest.items()})
        connection.exec_driver_sql(trigger)
        raise
    count_into_tallies(connection, rest)
    connection.exec_driver_sql(trigger)


def _bound(connection: Connection, table: Table, by_column: Columns) -> list[tuple[Any, ...]]:
    """The rows of ``table`` as the driver takes them: each value through its column type's
    processor, once per distinct value of a column (dates and instants repeat across
    thousands of rows; the processors cost a microsecond or two a call)."""
    dialect = connection.dialect
    bound: list[list[Any]] = []
    for column, values in by_column.items():
        process = table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            converted = {v: process(v) for v in set(values)}
            values = [converted[v] for v in values]
        bound.append(values)
    return list(zip(*bound, strict=True))


def count_into_tallies(connection: Connection, by_column: Columns) -> None:
    """Add new tasks (their values column by column) to both tallies, as the row trigger would
    (SQLite).

    The tasks are grouped by the columns the tally key is made of first (a chunk of thousands
    of tasks has a few hundred distinct ones); each distinct combination of dates and marks
    is filed once (:func:`_filed`); then one driver ``executemany`` of upserts per tally.
    """
    count = len(next(iter(by_column.values()), []))
    if not count:
        return
    unset = [None] * count
    groups: Counter[tuple[Any, ...]] = Counter(
        zip(
            by_column["unit_id"],
            by_column["ledger_item"],
            *(by_column.get(c, unset) for c in _FILED_BY),
            strict=True,
        )
    )
    filed: dict[tuple[Any, ...], tuple[date, date, str]] = {}
    tally: Counter[tuple[Any, ...]] = Counter()
    item_tally: Counter[tuple[Any, ...]] = Counter()
    for (unit_id, item, *facts), n in groups.items():
        key = tuple(facts)
        place = filed.get(key)
        if place is None:
            place = filed[key] = _filed(*key)
        due, opens, outcome = place
        tally[(due, unit_id, opens, outcome)] += n
        item_tally[(unit_id, due, item, opens, outcome)] += n
    for table, counted in ((TaskTally, tally), (TaskItemTally, item_tally)):
        name = table.__tablename__
        key_columns = _TALLIES[name]
        statement = (
            f"INSERT INTO {name} ({', '.join(key_columns)}, n)"
            f" VALUES ({', '.join('?' for _ in key_columns)}, ?)"
            f" ON CONFLICT ({', '.join(key_columns)}) DO UPDATE SET n = {name}.n + excluded.n"
        )
        keys = list(counted)
        values = {c: [k[i] for k in keys] for i, c in enumerate(key_columns)}
        values["n"] = list(counted.values())
        connection.exec_driver_sql(
            statement, _bound(connection, cast(Table, table.__table__), values)
        )


def _filed(
    opens_on: date,
    due_on: date,
    nominal_due_on: date | None,
    done_on: date | None,
    waived_at: object,
    retired_at: object,
) -> tuple[date, date, str]:
    """(due date, opening date, outcome) a task is tallied under, as the triggers file it
    (tests compare the two): its state by :func:`~obligations.tasks.status.settled_status`
    (the table the triggers are built from); a settled task under the first day of its due
    month for both dates, an open one under its own dates."""
    status = settled_status(
        opens_on=opens_on,
        due_on=due_on,
        nominal_due_on=nominal_due_on,
        done_on=done_on,
        waived=waived_at is not None,
        retired=retired_at is not None,
    )
    if status is None:
        return due_on, opens_on, TallyOutcome.OPEN.value
    month = due_on.replace(day=1)
    return month, month, status.value
