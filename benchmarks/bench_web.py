"""Overview and unit page latency with 1,000,000 tasks, over HTTP on loopback against uvicorn.

Baseline in the same run: the raw SQL computing the same numbers (counts per unit, month and
state for the overview; per ledger item and state plus the first page of rows for a unit).
Targets: p95 < 150 ms (overview), < 100 ms (unit page), within 3x the raw query.

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
from obligations.db import make_engine, session_factory
from obligations.models import EvidenceRecord, Organization, OrgKind, ReviewState, Task, UserRole
from obligations.models.evidence import EvidenceKind
from obligations.schema import upgrade
from obligations.services import accounts
from obligations.services.accounts import NewUser
from obligations.settings import Settings
from obligations.web import create_app

RULES = [(f"rule-{n:02d}", f"{1 + n % 7}.{1 + n % 4}") for n in range(40)]
TODAY = date(2026, 11, 25)
RAW_OVERVIEW = """
SELECT t.unit_id, {month} AS m,
  CASE
    WHEN coalesce(r.n, 0) >= t.min_count AND coalesce(r.n_on_time, 0) >= t.min_count THEN 'done'
    WHEN coalesce(r.n, 0) >= t.min_count THEN 'done_late'
    WHEN t.retired_at IS NOT NULL THEN 'retired'
    WHEN t.waived_at IS NOT NULL THEN 'waived'
    WHEN t.opens_on > :today THEN 'upcoming'
    WHEN t.due_on < :today THEN 'overdue'
    WHEN t.due_on <= :soon THEN 'due_soon'
    ELSE 'open' END AS state,
  count(*)
FROM task t LEFT JOIN (
  SELECT e.task_id, count(*) AS n, sum(CASE WHEN {day} <= t2.due_on THEN 1 ELSE 0 END) AS n_on_time
  FROM evidence_record e JOIN task t2 ON t2.id = e.task_id
  WHERE e.withdrawn_at IS NULL AND e.review_state != 'REJECTED'
    AND t2.due_on BETWEEN :start AND :end {unit2}
  GROUP BY e.task_id) r ON r.task_id = t.id
WHERE t.due_on BETWEEN :start AND :end {unit}
GROUP BY {group}
"""


def raw_query(engine: Engine, *, unit_id: int | None) -> Callable[[], object]:
    sqlite = engine.dialect.name == "sqlite"
    month = (
        "CAST(strftime('%m', t.due_on) AS INTEGER)" if sqlite else "extract(month from t.due_on)"
    )
    day = (
        "date(e.recorded_at, '+8 hours')"
        if sqlite
        else "(e.recorded_at AT TIME ZONE 'Asia/Shanghai')::date"
    )
    if unit_id is None:
        sql = RAW_OVERVIEW.format(
            month=month, day=day, unit="", unit2="", group="t.unit_id, m, state"
        )
    else:
        sql = RAW_OVERVIEW.format(
            month="t.ledger_item",
            day=day,
            unit="AND t.unit_id = :unit",
            unit2="AND t2.unit_id = :unit",
            group="t.ledger_item, state",
        )
    params = {
        "today": TODAY,
        "soon": TODAY + timedelta(days=7),
        "start": date(2026, 1, 1),
        "end": date(2026, 12, 31),
        "unit": unit_id,
    }

    def run() -> object:
        with engine.connect() as connection:
            return connection.execute(text(sql), params).all()

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
    task_id = 0
    start = date(2022, 1, 1)
    with engine.begin() as connection:
        for n in range(total):
            unit = units[n % len(units)]
            org = unit if n % 3 == 0 else rng.choice(branches[unit])
            rule, item = RULES[n % len(RULES)]
            due = start + timedelta(days=rng.randrange(5 * 365))
            task_id += 1
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
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
            if rng.random() < 1 / 3:
                late = rng.random() < 0.2
                recorded = NOW.replace(year=due.year, month=due.month, day=due.day) + timedelta(
                    days=3 if late else -1
                )
                records.append(
                    {
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
                batch, records = [], []
        if batch:
            connection.execute(insert(Task), batch)
        if records:
            connection.execute(insert(EvidenceRecord), records)
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
    else:
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    return units[0]


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
    print(f"{label:<34} median {median:8.1f} ms   p95 {p95:8.1f} ms")
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
            _, raw_o = summary(
                "raw SQL: overview counts", timed(raw_query(engine, unit_id=None), args.runs)
            )
            _, web_o = summary("GET / (overview, HTTP)", timed(get("/?year=2026"), args.runs))
            _, raw_u = summary(
                f"raw SQL: unit {unit_code} item counts",
                timed(raw_query(engine, unit_id=unit_id), args.runs),
            )
            _, web_u = summary(
                f"GET /units/{unit_code} (HTTP)",
                timed(get(f"/units/{unit_code}?year=2026"), args.runs),
            )
            print(f"overview p95 / raw p95: {web_o / raw_o:.2f}x (target < 3x, p95 < 150 ms)")
            print(f"unit page p95 / raw p95: {web_u / raw_u:.2f}x (target < 3x, p95 < 100 ms)")
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()


if __name__ == "__main__":
    main()
