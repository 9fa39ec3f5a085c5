"""Overview and unit page latency with 1,000,000 tasks, over HTTP on loopback against uvicorn.

Baselines in the same run, computing the numbers each page shows (the overview: counts per
unit, month and state of a year; a unit page: counts per ledger item and state, the number of
tasks and the first page of rows with their state and record count):

- "raw SQL, base tables": the plain query over ``task`` and ``evidence_record`` (each task's
  state decided from its qualifying records). This is the honest baseline the targets compare
  against: p95 < 150 ms (overview), < 100 ms (unit page), within 3x the raw query.
- "raw SQL, task.done_on": the same over ``task`` alone, using its stored completion date.
- "raw SQL, tally": the queries the pages run, over the trigger-kept tallies (for reference).

Then the task lists with the urgency order's filters, title search and other sorts: the unit
page filtered and paged, and the administrator's 我的任务 (every task, paged).

    .venv/bin/python -m benchmarks.bench_web [--tasks 1000000] [--runs 60]
    OBLIGATIONS_BENCH_PG_URL=postgresql+psycopg://postgres@127.0.0.1/bench  (PostgreSQL)
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session

from benchmarks.synthetic import NOW, Shape, build_college
from obligations.accounts import users as accounts
from obligations.accounts.users import NewUser
from obligations.db import make_engine, session_factory
from obligations.models import EvidenceFile, EvidenceRecord, Organization, Task
from obligations.schema import upgrade
from obligations.settings import Settings
from obligations.timeutil import local_date, local_date_sql
from obligations.vocabulary import EvidenceKind, OrgKind, ReviewState, UserRole
from obligations.web import create_app, settle_heap
from obligations.web.task_lists import GROUP_ROWS as UNIT_PAGE_ROWS

RULES = [(f"rule-{n:02d}", f"{1 + n % 7}.{1 + n % 4}") for n in range(40)]
TODAY = date(2026, 11, 25)
SOON_DAYS = 7

# The state of task ``t`` from its dates, waiver, retirement and its records' counts ``r``.
STATE_FROM_RECORDS = """CASE
    WHEN coalesce(r.n, 0) >= t.min_count AND coalesce(r.n_on_time, 0) >= t.min_count THEN 'done'
    WHEN coalesce(r.n, 0) >= t.min_count THEN 'done_late'
    WHEN t.retired_at IS NOT NULL THEN 'retired'
    WHEN t.waived_at IS NOT NULL THEN 'waived'
    WHEN t.opens_on > :today THEN 'upcoming'
    WHEN t.due_on < :today THEN 'overdue'
    WHEN t.due_on <= :soon THEN 'due_soon'
    ELSE 'open' END"""
# The same from the stored completion date.
STATE_FROM_DONE_ON = """CASE
    WHEN t.done_on IS NOT NULL AND t.done_on <= t.due_on THEN 'done'
    WHEN t.done_on IS NOT NULL THEN 'done_late'
    WHEN t.retired_at IS NOT NULL THEN 'retired'
    WHEN t.waived_at IS NOT NULL THEN 'waived'
    WHEN t.opens_on > :today THEN 'upcoming'
    WHEN t.due_on < :today THEN 'overdue'
    WHEN t.due_on <= :soon THEN 'due_soon'
    ELSE 'open' END"""
# The same for a tally row ``t``.
STATE_FROM_TALLY = """CASE
    WHEN t.outcome != 'open' THEN t.outcome
    WHEN t.opens_on > :today THEN 'upcoming'
    WHEN t.due_on < :today THEN 'overdue'
    WHEN t.due_on <= :soon THEN 'due_soon'
    ELSE 'open' END"""
# Qualifying records per task of the year (and unit): all of them, and those made by the due
# date (local time).
RECORD_COUNTS = """(
  SELECT e.task_id, count(*) AS n,
    sum(CASE WHEN {day} <= t2.due_on THEN 1 ELSE 0 END) AS n_on_time
  FROM evidence_record e JOIN task t2 ON t2.id = e.task_id
  WHERE e.withdrawn_at IS NULL AND e.review_state != 'REJECTED'
    AND t2.due_on BETWEEN :start AND :end {unit2}
  GROUP BY e.task_id) r ON r.task_id = t.id"""


def raw_queries(engine: Engine, *, unit_id: int | None, source: str) -> list[str]:
    """The SQL computing what the overview (``unit_id`` None) or a unit page shows, from
    ``source``: "records" (base tables), "done_on" (task alone) or "tally"."""
    sqlite = engine.dialect.name == "sqlite"
    month = (
        "CAST(strftime('%m', t.due_on) AS INTEGER)" if sqlite else "extract(month FROM t.due_on)"
    )
    day = local_date_sql("e.recorded_at", sqlite=sqlite)
    unit = "" if unit_id is None else "AND t.unit_id = :unit"
    if source == "tally":
        table = "task_tally" if unit_id is None else "task_item_tally"
        by = f"t.unit_id, {month}" if unit_id is None else "t.ledger_item"
        counts = (
            f"SELECT {by}, {STATE_FROM_TALLY} AS state, sum(t.n) FROM {table} t "
            f"WHERE t.due_on BETWEEN :start AND :end {unit} GROUP BY {by}, state"
        )
        return [counts] + ([] if unit_id is None else _rows(STATE_FROM_DONE_ON, "", ""))
    state, joined = STATE_FROM_DONE_ON, ""
    if source == "records":
        unit2 = "" if unit_id is None else "AND t2.unit_id = :unit"
        state, joined = (
            STATE_FROM_RECORDS,
            "LEFT JOIN " + RECORD_COUNTS.format(day=day, unit2=unit2),
        )
    by = f"t.unit_id, {month}" if unit_id is None else "t.ledger_item"
    counts = (
        f"SELECT {by}, {state} AS state, count(*) FROM task t {joined} "
        f"WHERE t.due_on BETWEEN :start AND :end {unit} GROUP BY {by}, state"
    )
    if unit_id is None:
        return [counts]
    if source == "records":
        return [counts, *_rows(state, joined, "coalesce(r.n, 0)")]
    return [counts, *_rows(state, "", "")]


def _rows(state: str, joined: str, done_count: str) -> list[str]:
    """The number of (non-retired) tasks of the unit's year and its first page by due date;
    without ``done_count`` the page's record counts are a second query, as the app does."""
    where = f"t.unit_id = :unit AND t.due_on BETWEEN :start AND :end AND {state} != 'retired'"
    total = f"SELECT count(*) FROM task t {joined} WHERE {where}"
    page = (
        "SELECT t.id, t.rule_id, t.ledger_item, o.code, o.name, p.name, t.period_key, t.due_on, "
        f"t.provisional, {state}, {done_count or '0'}, t.min_count FROM task t {joined} "
        "JOIN organization o ON o.id = t.organization_id "
        f"LEFT JOIN person p ON p.id = t.person_id WHERE {where} "
        f"ORDER BY t.due_on, t.id LIMIT {UNIT_PAGE_ROWS}"
    )
    if done_count:
        return [total, page]
    counts = (
        "SELECT e.task_id, count(*) FROM evidence_record e WHERE e.task_id IN ("
        f"SELECT t.id FROM task t WHERE {where} ORDER BY t.due_on, t.id LIMIT {UNIT_PAGE_ROWS}) "
        "AND e.withdrawn_at IS NULL AND e.review_state != 'REJECTED' GROUP BY e.task_id"
    )
    return [total, page, counts]


def raw_query(engine: Engine, *, unit_id: int | None, source: str) -> Callable[[], object]:
    statements = [text(sql) for sql in raw_queries(engine, unit_id=unit_id, source=source)]
    params = {
        "today": TODAY,
        "soon": TODAY + timedelta(days=SOON_DAYS),
        "start": date(2026, 1, 1),
        "end": date(2026, 12, 31),
        "unit": unit_id,
    }

    def run() -> object:
        with engine.connect() as connection:
            return [connection.execute(s, params).all() for s in statements]

    return run


def populate(engine: Engine, total: int) -> int:
    """A 30 x 10 college and ``total`` synthetic tasks over five years; a third with a record."""
    upgrade(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        build_college(session, Shape())
        accounts.add_user(
            session, NewUser("admin", "组织部", "bench-password", UserRole.ADMIN), now=NOW
        )
    with sessions() as session:
        units = list(
            session.execute(
                select(Organization.id).where(Organization.kind == OrgKind.GENERAL_BRANCH)
            ).scalars()
        )
        branches: dict[int, list[int]] = {}
        for org_id, parent in session.execute(
            select(Organization.id, Organization.parent_id).where(
                Organization.kind == OrgKind.BRANCH
            )
        ):
            branches.setdefault(parent, []).append(org_id)
    rng = random.Random(1)
    batch: list[dict[str, object]] = []
    records: list[dict[str, object]] = []
    files: list[dict[str, object]] = []
    task_id = 0
    start = date(2022, 1, 1)
    with engine.begin() as connection:
        for n in range(total):
            unit = units[n % len(units)]
            org = unit if n % 3 == 0 else rng.choice(branches[unit])
            rule, item = RULES[n % len(RULES)]
            due = start + timedelta(days=rng.randrange(5 * 365))
            task_id += 1
            recorded = None
            if rng.random() < 1 / 3:
                late = rng.random() < 0.2
                recorded = NOW.replace(year=due.year, month=due.month, day=due.day) + timedelta(
                    days=3 if late else -1
                )
            batch.append(
                {
                    "id": task_id,
                    "rule_id": rule,
                    "ledger_item": item,
                    "unit_id": unit,
                    "organization_id": org,
                    "person_id": None,
                    "scope_key": f"o{org}-{n}",
                    "period_key": due.strftime("%Y-%m"),
                    "period_start": due.replace(day=1),
                    "period_end": due,
                    "opens_on": due.replace(day=1),
                    "due_on": due,
                    "min_count": 1,
                    "provisional": False,
                    # Written directly, not through the evidence service: store what
                    # refresh_done_on would (the one record completes the task).
                    "done_on": local_date(recorded) if recorded else None,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
            if recorded is not None:
                # With a file: a record without one would not count (migration 0014).
                files.append(_file(task_id))
                records.append(
                    {
                        "id": task_id,
                        "task_id": task_id,
                        "unit_id": unit,
                        "ledger_item": item,
                        "year": due.year,
                        "title": "记录",
                        "held_on": due,
                        "kind": EvidenceKind.MINUTES,
                        "recorded_by": "bench",
                        "recorded_at": recorded,
                        "review_state": ReviewState.ACCEPTED,
                    }
                )
            if len(batch) >= 20_000:
                connection.execute(insert(Task), batch)
                if records:
                    connection.execute(insert(EvidenceRecord), records)
                    connection.execute(insert(EvidenceFile), files)
                batch, records, files = [], [], []
        if batch:
            connection.execute(insert(Task), batch)
        if records:
            connection.execute(insert(EvidenceRecord), records)
            connection.execute(insert(EvidenceFile), files)
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
    else:
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    return units[0]


def _file(record_id: int) -> dict[str, object]:
    """The evidence file row of a benchmark record (no stored content: pages never read it)."""
    return {
        "record_id": record_id,
        "position": 1,
        "sha256": f"{record_id:064x}",
        "size": 1000,
        "media_type": "application/pdf",
        "original_name": "记录.pdf",
    }


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    fn()  # warm up
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def summary(label: str, samples: list[float]) -> tuple[float, float]:
    median = statistics.median(samples)
    p95 = statistics.quantiles(samples, n=20)[-1]
    print(f"{label:<44} median {median:8.1f} ms   p95 {p95:8.1f} ms")
    return median, p95


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-web-") as folder:
        url = (
            os.environ.get("OBLIGATIONS_BENCH_PG_URL")
            or f"sqlite:///{Path(folder) / 'obligations.sqlite3'}"
        )
        settings = Settings(data_dir=Path(folder), database_url=url)
        engine = make_engine(url)
        t0 = time.perf_counter()
        unit_id = populate(engine, args.tasks)
        took = time.perf_counter() - t0
        print(f"{engine.dialect.name}: {args.tasks:,} tasks inserted in {took:.0f} s")
        with Session(engine) as session:
            unit_code = session.scalar(select(Organization.code).where(Organization.id == unit_id))
        app = create_app(settings, clock=lambda: NOW, engine=engine)
        settle_heap()  # as `serve` does: see its docstring (here after the bulk insert's garbage)
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, follow_redirects=False, timeout=60) as client:
            login = client.get("/login")
            token = login.text.split('name="csrf_token" value="')[1].split('"')[0]
            client.post(
                "/login",
                data={"username": "admin", "password": "bench-password", "csrf_token": token},
            )

            def get(path: str) -> Callable[[], object]:
                def run() -> object:
                    response = client.get(path)
                    assert response.status_code == 200, response.status_code
                    return response

                return run

            print(f"runs: {args.runs}")
            pages = {
                "overview": (None, "/?year=2026", 150),
                f"unit {unit_code}": (unit_id, f"/units/{unit_code}?year=2026", 100),
            }
            for name, (unit, path, target) in pages.items():
                raw: dict[str, float] = {}
                for source in ("records", "done_on", "tally"):
                    label = {"records": "base tables", "done_on": "task.done_on"}.get(
                        source, source
                    )
                    _, raw[source] = summary(
                        f"raw SQL, {label}: {name}",
                        timed(raw_query(engine, unit_id=unit, source=source), args.runs),
                    )
                _, web = summary(f"GET {path} (HTTP)", timed(get(path), args.runs))
                print(
                    f"{name}: page p95 / raw base-table p95 = {web / raw['records']:.2f}x, "
                    f"/ raw done_on p95 = {web / raw['done_on']:.2f}x "
                    f"(targets: < 3x, p95 < {target} ms)"
                )
            # The task lists with filters, title search and other sorts (same targets as
            # the unit page; the administrator's 我的任务 lists every visible task, paged).
            lists = {
                f"/units/{unit_code}?year=2026&state=overdue&sort=due_desc": 100,
                f"/units/{unit_code}?year=2026&q=rule-1&item=1.1&branch=": 100,
                f"/units/{unit_code}?year=2026&urgency=older&page=3": 100,
                "/my": 150,
                "/my?page=50&sort=title": 150,
                "/my?urgency=older&page=2": 150,
            }
            for path, target in lists.items():
                _, web = summary(f"GET {path} (HTTP)", timed(get(path), args.runs))
                print(f"  p95 {web:.1f} ms (target p95 < {target} ms)")
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()


if __name__ == "__main__":
    main()
