"""Benchmark: first task generation and a regeneration that adds nothing, on SQLite.

Baseline, measured in the same run: the same task rows inserted with a plain DBAPI
``executemany`` into a fresh database of the same schema and college.
Targets: first generation within 3x the baseline; regeneration within 10% of the first
generation's time. A regeneration with unchanged inputs re-plans nothing (per-rule input
digests, see ``GenerationStamp``); the full reconciliation every rule gets when its inputs
change is printed too, for information.

    python -m benchmarks.bench_generation [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, select

from benchmarks.synthetic import NOW, Shape, build_college
from obligations.db import make_engine, session_factory
from obligations.models import Task
from obligations.paths import shipped_dir
from obligations.rules.catalog import load_catalog
from obligations.schema import upgrade
from obligations.tasks.generation import generate_tasks


def fresh_database(folder: Path, name: str, shape: Shape) -> Engine:
    engine = make_engine(f"sqlite:///{folder / name}")
    upgrade(engine)
    with session_factory(engine).begin() as session:
        build_college(session, shape)
    return engine


def run_once(folder: Path, shape: Shape) -> tuple[int, float, float, float, float]:
    catalog = load_catalog([shipped_dir("calendar_rules")])
    engine = fresh_database(folder, "generated.sqlite3", shape)
    sessions = session_factory(engine)
    started = time.perf_counter()
    with sessions.begin() as session:
        report = generate_tasks(session, catalog, through=shape.end, now=NOW)
    first = time.perf_counter() - started
    started = time.perf_counter()
    with sessions.begin() as session:
        again = generate_tasks(session, catalog, through=shape.end, now=NOW + timedelta(days=1))
    regeneration = time.perf_counter() - started
    assert not again.changed, "regeneration changed something"
    started = time.perf_counter()
    with sessions.begin() as session:
        full = generate_tasks(session, catalog, through=shape.end, now=NOW, full=True)
    full_reconcile = time.perf_counter() - started
    assert not full.changed, "full reconciliation changed something"
    columns = [c.name for c in Task.__table__.columns if c.name != "id"]
    with engine.connect() as connection:
        rows = [
            tuple(r) for r in connection.execute(select(*(Task.__table__.c[c] for c in columns)))
        ]
    baseline = _executemany(fresh_database(folder, "baseline.sqlite3", shape), columns, rows)
    return report.created, first, regeneration, baseline, full_reconcile


def _executemany(engine: Engine, columns: list[str], rows: list[tuple[object, ...]]) -> float:
    # Bind the same Python values the ORM wrote, through the raw DBAPI cursor.
    sql = f"INSERT INTO task ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    converted = [tuple(v.isoformat(" ") if hasattr(v, "hour") else v for v in row) for row in rows]
    raw = engine.raw_connection()
    try:
        started = time.perf_counter()
        cursor = raw.cursor()
        cursor.executemany(sql, converted)
        raw.commit()
        return time.perf_counter() - started
    finally:
        raw.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--units", type=int, default=30)
    parser.add_argument("--branches", type=int, default=10)
    args = parser.parse_args()
    shape = Shape(units=args.units, branches_per_unit=args.branches)
    results = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as folder:
            results.append(run_once(Path(folder), shape))
    rows = results[0][0]
    first = statistics.median(r[1] for r in results)
    regen = statistics.median(r[2] for r in results)
    base = statistics.median(r[3] for r in results)
    full = statistics.median(r[4] for r in results)
    print(
        f"college: {shape.units} units x {shape.branches_per_unit} branches, "
        f"{shape.academic_years} academic years"
    )
    print(f"rows generated:            {rows}")
    print(f"baseline executemany:      {base:.3f} s")
    print(f"first generation:          {first:.3f} s  ({first / base:.2f}x baseline; target <= 3x)")
    print(
        f"regeneration (no change):  {regen:.3f} s  ({regen / first:.0%} of first; target <= 10%)"
    )
    # Not a target: every rule re-planned and compared with the stored rows (`--full`).
    print(f"full reconciliation:       {full:.3f} s  ({full / first:.0%} of first)")


if __name__ == "__main__":
    main()
