"""The calendar feed alone at 100,000 and 1,000,000 tasks, over HTTP on loopback (uvicorn).

For the administrator (college-wide: some 7 % of the synthetic tasks fall in the feed's
window, the feed carries the 300 due nearest today) and a branch secretary (what their branch
owes), four ways a calendar app meets the feed:

- "written": the body written afresh, every event too (both caches emptied before each
  request: the first fetch of the day, when states and alarms move);
- "body from kept events": the body assembled from kept events (the first fetch after a
  change elsewhere, or by another user whose feed carries the same tasks);
- "kept": a fetch without validators of an unchanged feed (the body kept by its ETag);
- "304": a fetch with the ETag of the previous answer (If-None-Match).

Baseline in the same run: a trivial route added to the same app (same middleware, same
server), and the raw SQL of the feed's two window reads for reference. Target: p95 <= 30 ms.

    .venv/bin/python -m benchmarks.bench_feed [--tasks 100000] [--runs 60]
    OBLIGATIONS_BENCH_PG_URL=postgresql+psycopg://postgres@127.0.0.1/bench  (PostgreSQL)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import httpx
import uvicorn
from fastapi.responses import PlainTextResponse
from sqlalchemy import Engine, insert, select, text

from benchmarks.bench_web import populate
from benchmarks.synthetic import NOW
from obligations.accounts import feed_address
from obligations.accounts import users as accounts
from obligations.accounts.users import NewUser
from obligations.db import make_engine, session_factory
from obligations.models import Organization, Person, RoleAssignment
from obligations.settings import Settings
from obligations.tasks.feed_window import FEED_EVENTS
from obligations.vocabulary import Role, UserRole
from obligations.web import create_app
from obligations.web.feed_cache import BODIES, EVENTS

TODAY = date(2026, 11, 25)
BRANCH = "U02-B01"  # U01 owes only unit tasks in the synthetic college


def feed_users(engine: Engine, data_dir: Path) -> dict[str, str]:
    """Feed paths of the administrator and of a branch secretary (a person holding the
    secretary's role in :data:`BRANCH`)."""
    sessions = session_factory(engine)
    key = feed_address.load_feed_key(data_dir)
    paths = {}
    with sessions.begin() as session:
        branch = session.scalar(select(Organization.id).where(Organization.code == BRANCH))
        session.execute(
            insert(Person),
            [{"code": "BS1", "name": "支部书记", "created_at": NOW, "updated_at": NOW}],
        )
        person = session.scalar(select(Person.id).where(Person.code == "BS1"))
        session.execute(
            insert(RoleAssignment),
            [
                {
                    "person_id": person,
                    "organization_id": branch,
                    "role": Role.SECRETARY,
                    "start_on": date(2022, 9, 1),
                }
            ],
        )
        accounts.add_user(
            session,
            NewUser(
                "secretary",
                "支部书记",
                "bench-password",
                UserRole.BRANCH_SECRETARY,
                scope_code=BRANCH,
                person_code="BS1",
            ),
            now=NOW,
        )
        for name in ("admin", "secretary"):
            user = accounts.get_user(session, name)
            feed_address.new_feed_address(session, user, now=NOW)
            paths[name] = f"/calendar/{feed_address.feed_token(key, user)}.ics"
    return paths


def timed(fn: Callable[[], object], runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of each of ``runs`` calls (after one to warm up). The
    CPU time is this process's (the server's threads and the client's): on a shared machine
    it stays what the request costs while the wall clock waits for other processes."""
    fn()
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    return wall, cpu


def summary(label: str, samples: tuple[list[float], list[float]]) -> tuple[float, float]:
    """Prints the medians and 95th percentiles; returns the wall and CPU p95."""
    wall, cpu = samples
    p95 = [statistics.quantiles(s, n=20)[-1] for s in (wall, cpu)]
    print(
        f"{label:<44} wall median {statistics.median(wall):7.1f} p95 {p95[0]:7.1f} ms   "
        f"cpu median {statistics.median(cpu):7.1f} p95 {p95[1]:7.1f} ms"
    )
    return p95[0], p95[1]


def raw_window(engine: Engine, where: str) -> Callable[[], object]:
    """The feed's two window reads as plain SQL (columns of the task only), for reference."""
    forward = text(
        f"SELECT t.id, t.rule_id, t.due_on, t.done_on FROM task t WHERE {where} "
        "AND t.due_on BETWEEN :today AND :last ORDER BY t.due_on, t.id LIMIT :n"
    )
    back = text(
        f"SELECT t.id, t.rule_id, t.due_on, t.done_on FROM task t WHERE {where} "
        "AND t.due_on BETWEEN :first AND :yesterday ORDER BY t.due_on DESC, t.id DESC LIMIT :n"
    )
    params = {
        "today": TODAY,
        "last": TODAY + timedelta(days=365),
        "first": TODAY - timedelta(days=90),
        "yesterday": TODAY - timedelta(days=1),
        "n": FEED_EVENTS,
    }

    def run() -> object:
        with engine.connect() as connection:
            return [connection.execute(q, params).all() for q in (forward, back)]

    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument(
        "--keep", type=Path, help="a SQLite data directory kept between runs (built if empty)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-feed-") as scratch:
        folder = args.keep or Path(scratch)
        database = folder / "obligations.sqlite3"
        url = os.environ.get("OBLIGATIONS_BENCH_PG_URL") or f"sqlite:///{database}"
        settings = Settings(data_dir=folder, database_url=url)
        engine = make_engine(url)
        if args.keep and (folder / "paths.json").exists():
            paths = json.loads((folder / "paths.json").read_text())
        else:
            t0 = time.perf_counter()
            populate(engine, args.tasks)
            took = time.perf_counter() - t0
            print(f"{engine.dialect.name}: {args.tasks:,} tasks inserted in {took:.0f} s")
            paths = feed_users(engine, folder)
            (folder / "paths.json").write_text(json.dumps(paths))
        with engine.connect() as connection:
            total = connection.scalar(text("SELECT count(*) FROM task"))
        print(f"{engine.dialect.name}: {total:,} tasks")
        with engine.connect() as connection:
            branch = connection.scalar(
                text("SELECT id FROM organization WHERE code = :c"), {"c": BRANCH}
            )
        app = create_app(settings, clock=lambda: NOW, engine=engine)
        app.add_api_route("/bench-trivial", lambda: PlainTextResponse("ok"))
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        port = server.servers[0].sockets[0].getsockname()[1]
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:

            def get(
                path: str, *, status: int = 200, cold: int = 0, etag: str = ""
            ) -> Callable[[], object]:
                headers = {"If-None-Match": etag} if etag else {}

                def run() -> object:
                    if cold:
                        BODIES.clear()
                    if cold > 1:
                        EVENTS.clear()
                    response = client.get(path, headers=headers)
                    assert response.status_code == status, response.status_code
                    return response

                return run

            print(f"runs: {args.runs}")
            base = summary("baseline: GET /bench-trivial", timed(get("/bench-trivial"), args.runs))
            for name, path in paths.items():
                answer = client.get(path)
                events = answer.text.count("BEGIN:VEVENT")
                print(f"{name}: {events} events, {len(answer.content) / 1024:.0f} KB")
                where = "1 = 1" if name == "admin" else f"t.organization_id = {branch}"
                summary(
                    f"  raw SQL, the two window reads ({name})",
                    timed(raw_window(engine, where), args.runs),
                )
                cold = summary(f"  feed written ({name})", timed(get(path, cold=2), args.runs))
                summary(f"  body from kept events ({name})", timed(get(path, cold=1), args.runs))
                kept = summary(f"  feed kept by ETag ({name})", timed(get(path), args.runs))
                etag = answer.headers["etag"]
                hit = summary(
                    f"  304 with If-None-Match ({name})",
                    timed(get(path, status=304, etag=etag), args.runs),
                )
                print(
                    f"  {name}: wall p95 written {cold[0]:.1f} / kept {kept[0]:.1f} / 304 "
                    f"{hit[0]:.1f} ms, cpu p95 {cold[1]:.1f} / {kept[1]:.1f} / {hit[1]:.1f} ms "
                    f"(target <= 30 ms; trivial route p95 wall {base[0]:.1f}, cpu {base[1]:.1f} ms)"
                )
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()


if __name__ == "__main__":
    main()
