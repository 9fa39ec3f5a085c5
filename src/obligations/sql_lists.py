"""Many values in one statement parameter on PostgreSQL, plain lists elsewhere.

``column.in_(ids)`` renders one placeholder per value, and a multi-row ``INSERT ... VALUES``
one per value of every row: on PostgreSQL the driver then parses and converts a statement as
long as the data, a new one (never cached) for every length. ``column = ANY(:ids)`` with one
array parameter, and ``INSERT ... SELECT FROM unnest(:col1, :col2, ...)`` with one array per
column, are short statements whatever the number of values. SQLite keeps the plain forms: its
driver binds values without parsing anything and runs many rows in one C loop.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Integer, Table, any_, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import QueryableAttribute, Session


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def upsert(
    session: Session,
    table: Any,
    values: Mapping[str, Any],
    *,
    key: str,
    update: Mapping[str, Any] | None = None,
) -> postgresql.Insert | sqlite.Insert:
    """``INSERT values ... ON CONFLICT (key) DO UPDATE SET update`` in the session's dialect
    (both spell it the same). Without ``update`` the row's key is set to itself: the row is
    created if missing and, either way, locked until the transaction ends. ``table`` is a
    :class:`Table` or a mapped class."""
    dialect: Any = postgresql if is_postgresql(session) else sqlite
    insert = dialect.insert(table).values(**values)
    changes = update if update is not None else {key: insert.excluded[key]}
    statement: postgresql.Insert | sqlite.Insert = insert.on_conflict_do_update(
        index_elements=[key], set_=changes
    )
    return statement


def id_in(
    session: Session, column: ColumnElement[int] | QueryableAttribute[int], ids: Collection[int]
) -> ColumnElement[bool]:
    """``column IN ids``: one array parameter on PostgreSQL, a plain IN list elsewhere."""
    if is_postgresql(session):
        return column == any_(literal(list(ids), postgresql.ARRAY(Integer)))
    return column.in_(ids)


def unnest_insert(
    table: Table, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]
) -> postgresql.Insert:
    """PostgreSQL's ``INSERT INTO table (columns) SELECT ... FROM unnest(arrays) WITH
    ORDINALITY ORDER BY ordinality``: one array parameter per column whose values differ, one
    plain parameter per column with the same value in every row (each converted by the
    column's own type), the rows inserted in the order given."""
    values = {name: [row[name] for row in rows] for name in columns}
    varying = [name for name in columns if not _same(values[name])] or [columns[0]]
    arrays = [literal(values[name], postgresql.ARRAY(table.c[name].type)) for name in varying]
    source = (
        func.unnest(*arrays)
        .table_valued(*varying, with_ordinality="ordinality")
        .render_derived(name="unnested")
    )
    selected = [
        source.c[name] if name in varying else literal(values[name][0], table.c[name].type)
        for name in columns
    ]
    query = select(*selected).order_by(source.c.ordinality)
    return postgresql.insert(table).from_select(list(columns), query)


def _same(values: Sequence[Any]) -> bool:
    first = values[0]
    return all(type(value) is type(first) and value == first for value in values)
