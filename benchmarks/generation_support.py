"""Databases, inserts and a memory sampler for ``bench_generation``."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, text

from benchmarks.synthetic import Shape, build_college
from obligations.db import make_engine, session_factory
from obligations.models import Task
from obligations.schema import upgrade
from obligations.tasks.bulk import bulk_insert

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
COLUMNS = [c.name for c in Task.__table__.columns if c.name != "id"]


class Databases:
    """Fresh migrated databases holding the synthetic college, on one backend."""

    def __init__(self, backend: str, folder: Path) -> None:
        self.backend, self.folder = backend, folder
        self.admin = (
            make_engine(PG_ADMIN, isolation_level="AUTOCOMMIT") if backend != "sqlite" else None
        )
        self.made: list[str] = []
        self.engines: list[Engine] = []

    def fresh(self, shape: Shape) -> Engine:
        name = f"obligations_bench_{uuid.uuid4().hex[:8]}"
        if self.admin is None:
            url = f"sqlite:///{self.folder / name}.sqlite3"
        else:
            with self.admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            self.made.append(name)
            url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
        engine = make_engine(url)
        self.engines.append(engine)
        upgrade(engine)
        with session_factory(engine).begin() as session:
            build_college(session, shape)
        return engine

    def drop(self, engine: Engine) -> None:
        """Let go of a database no longer needed (its file or PostgreSQL database)."""
        engine.dispose()
        self.engines.remove(engine)
        name = engine.url.database or ""
        if self.admin is None:
            Path(name).unlink(missing_ok=True)
            return
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        self.made.remove(name)

    def close(self) -> None:
        for engine in self.engines:
            engine.dispose()
        if self.admin is None:
            return
        with self.admin.connect() as connection:
            for name in self.made:
                connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        self.admin.dispose()


def drop_tally_triggers(engine: Engine) -> None:
    """The baseline's schema: the same tables and indexes, no tally trigger."""
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            for event in ("insert", "update", "delete"):
                connection.exec_driver_sql(f"DROP TRIGGER task_tally_{event}")
        else:
            connection.exec_driver_sql("DROP TRIGGER task_tally_insert ON task")
            connection.exec_driver_sql("DROP TRIGGER task_tally_row ON task")


def task_rows(engine: Engine) -> list[dict[str, Any]]:
    """Every generated task's column values (no id), as the ORM reads them."""
    table = Task.__table__
    with engine.connect() as connection:
        result = connection.execute(select(*(table.c[c] for c in COLUMNS)).order_by(table.c.id))
        return [dict(zip(COLUMNS, row, strict=True)) for row in result]


def plain_executemany(engine: Engine, rows: list[dict[str, Any]]) -> float:
    """Seconds for a raw DBAPI ``executemany`` of ``rows`` and its commit."""
    mark = "?" if engine.dialect.name == "sqlite" else "%s"
    sql = f"INSERT INTO task ({', '.join(COLUMNS)}) VALUES ({', '.join(mark for _ in COLUMNS)})"
    sqlite = engine.dialect.name == "sqlite"
    # Bind the values the ORM binds: SQLite stores UTC wall times as text.
    values = [
        tuple(
            v.replace(tzinfo=None).isoformat(" ") if sqlite and hasattr(v, "hour") else v
            for v in (row[c] for c in COLUMNS)
        )
        for row in rows
    ]
    raw = engine.raw_connection()
    try:
        started = time.perf_counter()
        cursor = raw.cursor()
        cursor.executemany(sql, values)
        raw.commit()
        return time.perf_counter() - started
    finally:
        raw.close()


def timed_bulk_insert(engine: Engine, rows: list[dict[str, Any]], chunk: int) -> float:
    """Seconds for the generation's bulk path (``bulk_insert``) in chunks, committed."""
    sessions = session_factory(engine)
    started = time.perf_counter()
    with sessions.begin() as session:
        for start in range(0, len(rows), chunk):
            bulk_insert(session, rows[start : start + chunk])
    return time.perf_counter() - started


class PeakRss:
    """The largest resident set size seen, sampled every 10 ms from /proc while inside."""

    def __init__(self) -> None:
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.start = self.peak = 0
        self._stop = threading.Event()

    def _rss(self) -> int:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * self.page

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self._rss())

    @contextmanager
    def watching(self) -> Iterator[PeakRss]:
        self.start = self.peak = self._rss()
        thread = threading.Thread(target=self._sample, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join()
            self.peak = max(self.peak, self._rss())

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.start) / 1_000_000


def clear_tasks(engine: Engine) -> None:
    """Empty ``task`` and the tallies (untimed, between rounds)."""
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("DELETE FROM task")
            connection.exec_driver_sql("DELETE FROM task_tally")
            connection.exec_driver_sql("DELETE FROM task_item_tally")
        else:
            connection.exec_driver_sql("TRUNCATE task CASCADE")
            connection.exec_driver_sql("TRUNCATE task_tally, task_item_tally")


def bulk_rounds(
    plain: Engine, tallied: Engine, rows: list[dict[str, Any]], chunk: int, rounds: int
) -> tuple[list[float], list[float]]:
    """The bulk path into a trigger-free and a tallied database in turns, ``rounds`` times
    (one of each per round, so a change in a shared machine's load falls on both sides)."""
    without, with_ = [], []
    for _ in range(rounds):
        without.append(timed_bulk_insert(plain, rows, chunk))
        with_.append(timed_bulk_insert(tallied, rows, chunk))
        clear_tasks(plain)
        clear_tasks(tallied)
    return without, with_
