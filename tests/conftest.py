"""Fixtures: a migrated database per test on SQLite and on the local PostgreSQL.

Two ways to get one. ``sessions`` (the fast path) binds every session to one connection whose
outer transaction is rolled back after the test; what the code under test commits only releases
a savepoint, so nothing outlives the test and no other connection ever sees it. ``database_url``,
``engine`` and ``committed_sessions`` commit for real, for tests whose data must be seen from
another connection (subprocesses, web servers, migrations): on SQLite each such test gets a copy
of a migrated template file, on PostgreSQL the tables are emptied after it (TRUNCATE: the audit
table refuses DELETE).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.orm import Session, sessionmaker
from tests.demo_support import demo_with_history  # noqa: F401  (a shared fixture)
from tests.helpers import OfficialThrough

from obligations.db import make_engine, session_factory
from obligations.models import Base
from obligations.rules import workdays
from obligations.schema import upgrade

PG_ADMIN_URL = os.environ.get(
    "OBLIGATIONS_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def holidays_known_through_2026(monkeypatch: pytest.MonkeyPatch) -> None:
    """Official holiday data for 2026 and before only: 2027 is a year without official data."""
    monkeypatch.setattr(workdays, "OFFICIAL", OfficialThrough(2026))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as connection:  # fold the WAL into the file so a copy is complete
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """A PostgreSQL database of this test session's own, migrated once and dropped at the end."""
    name = f"obligations_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_all(engine: Engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Every test that takes a database runs once on SQLite and once on PostgreSQL."""
    return str(request.param)


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "obligations.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database whose committed data other connections and processes see (the slow path)."""
    if backend == "sqlite":
        yield request.getfixturevalue("sqlite_url")
        return
    url = request.getfixturevalue("pg_database_url")
    yield url
    engine = make_engine(url)
    _truncate_all(engine)
    engine.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture
def committed_sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions that really commit, on the database of ``database_url``."""
    return session_factory(engine)


def _savepoints_on_pysqlite(engine: Engine) -> None:
    """Let SQLAlchemy, not the pysqlite driver, begin transactions, so SAVEPOINT works.

    The recipe of the SQLAlchemy SQLite dialect documentation ("Serializable isolation /
    Savepoints / Transactional DDL") for Python before 3.12.
    """

    def no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    def begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")

    event.listen(engine, "connect", no_driver_transactions)
    event.listen(engine, "begin", begin)


@pytest.fixture(scope="session")
def sqlite_rollback_engine(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """One SQLite database for the whole session, every test's work in it rolled back."""
    path = tmp_path_factory.mktemp("rollback") / "obligations.sqlite3"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    _savepoints_on_pysqlite(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgresql_rollback_engine(pg_database_url: str) -> Iterator[Engine]:
    """The session's PostgreSQL database, every test's work in it rolled back."""
    engine = make_engine(pg_database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(backend: str, request: pytest.FixtureRequest) -> Iterator[sessionmaker[Session]]:
    """Sessions on one connection whose outer transaction is rolled back after the test.

    The SQLAlchemy 2 recipe "Joining a Session into an External Transaction": a commit in the
    code under test releases a savepoint, a rollback returns to it. Nothing is visible to other
    connections: a test that needs that takes ``database_url`` and ``committed_sessions``.
    """
    if "database_url" in request.fixturenames:
        raise pytest.UsageError(
            "sessions roll back and are invisible to database_url; use committed_sessions"
        )
    engine: Engine = request.getfixturevalue(f"{backend}_rollback_engine")
    with engine.connect() as connection:
        outer = connection.begin()
        yield sessionmaker(
            connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        outer.rollback()
