"""Engine and session creation for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from obligations.errors import OUT_OF_SPACE, OutOfSpace

POSTGRES_DISK_FULL = "53100"  # SQLSTATE disk_full


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    with factory() as session, session.begin():
        yield session


@contextmanager
def full_database_refused() -> Iterator[None]:
    """Inside: a write the database refuses for a full disk raises :class:`OutOfSpace` (the
    transaction rolled back). SQLite says SQLITE_FULL ("database or disk is full"),
    PostgreSQL SQLSTATE 53100 (disk_full); other errors pass as they are."""
    try:
        yield
    except OperationalError as exc:
        driver_error = exc.orig
        full = (
            getattr(driver_error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
            or getattr(driver_error, "sqlstate", None) == POSTGRES_DISK_FULL
        )
        if full:
            raise OutOfSpace(OUT_OF_SPACE) from exc
        raise
