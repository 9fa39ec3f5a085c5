"""Benchmark: task generation per unit, on SQLite and PostgreSQL, beside same-run baselines.

For each college size (N units x M branches, K academic years of the synthetic college):

- first generation (committed a chunk of units at a time, as ``tasks generate`` does), its
  time and the peak growth of the process's resident memory while it runs;
- a regeneration with nothing changed, and one after a branch is added to one unit;
- baselines, measured in the same run on fresh databases of the same schema and college, with
  the same rows: a raw DBAPI ``executemany`` into ``task`` without the tally triggers, and the
  generation's bulk insert path (``tasks.bulk``: COPY on PostgreSQL) with and without them.

Targets (issue 15): the one-unit change re-plans in at most 5 % of the first generation's
time; peak memory growth of the first generation at most 150 MB, flat in college size; first
generation at most 2x the trigger-free executemany; the bulk path with the tallies at most
1.2x the same path without them; PostgreSQL time linear in tasks within 20 % (``--linearity
ROUNDS``: first generations only, the sizes in turns, time per 1,000 tasks by size).

    python -m benchmarks.bench_generation [--backend sqlite postgresql] [--units 30 100 300]
        [--years 5] [--branches 10] [--repeat 1] [--rounds 5] [--full] [--linearity ROUNDS]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, insert, select

from benchmarks.generation_support import (
    Databases,
    PeakRss,
    bulk_rounds,
    drop_tally_triggers,
    plain_executemany,
    task_rows,
)
from benchmarks.synthetic import NOW, Shape
from obligations.db import session_factory
from obligations.models import Organization
from obligations.paths import shipped_dir
from obligations.rules.catalog import Catalog, load_catalog
from obligations.tasks.generation import CHUNK_TASKS, generate_tasks
from obligations.vocabulary import OrgKind


@dataclass
class Figures:
    rows: int
    first: float
    first_ratio: float  # the median of the rounds' ratios to the baseline
    rss_mb: float
    nothing: float
    one_unit: float
    one_unit_created: int
    full: float | None
    executemany: float
    bulk_plain: float
    bulk_tallies: float
    bulk_ratio: float  # the median of the rounds' ratios
    rounds: int


def generate(engine: Engine, catalog: Catalog, shape: Shape, **kwargs: object) -> tuple[float, int]:
    started = time.perf_counter()
    with session_factory(engine)() as session:
        report = generate_tasks(
            session,
            catalog,
            through=shape.end,
            commit_chunks=True,
            **kwargs,  # type: ignore[arg-type]
        )
    return time.perf_counter() - started, report.created + report.updated


def add_branch(engine: Engine) -> None:
    """A new branch in the first unit: the change whose re-planning is measured."""
    with session_factory(engine).begin() as session:
        unit_id = session.scalar(select(Organization.id).where(Organization.code == "U01"))
        session.execute(
            insert(Organization),
            [
                {
                    "code": "U01-NEW",
                    "name": "U01新成立党支部",
                    "kind": OrgKind.BRANCH,
                    "parent_id": unit_id,
                    "member_count": 5,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            ],
        )


def run_once(dbs: Databases, catalog: Catalog, shape: Shape, full: bool, rounds: int) -> Figures:
    engine = dbs.fresh(shape)
    with PeakRss().watching() as rss:
        first, created = generate(engine, catalog, shape, now=NOW)
    nothing, changed = generate(engine, catalog, shape, now=NOW + timedelta(days=1))
    assert changed == 0, "a regeneration with nothing changed changed something"
    full_time = None
    if full:
        full_time, changed = generate(engine, catalog, shape, now=NOW, full=True)
        assert changed == 0, "the full reconciliation changed something"
    add_branch(engine)
    one_unit, one_unit_created = generate(engine, catalog, shape, now=NOW + timedelta(days=2))
    rows = task_rows(engine)
    rows = rows[:created]  # the first generation's rows, not the new branch's
    # The first generation and the baseline in turns, so a change in the machine's load
    # falls on both: the ratio is the rounds' median.
    firsts, baselines = [first], []
    for round_ in range(rounds):
        baseline = dbs.fresh(shape)
        drop_tally_triggers(baseline)
        baselines.append(plain_executemany(baseline, rows))
        dbs.drop(baseline)
        if round_ > 0:
            fresh = dbs.fresh(shape)
            firsts.append(generate(fresh, catalog, shape, now=NOW)[0])
            dbs.drop(fresh)
    first_ratio = statistics.median(f / b for f, b in zip(firsts, baselines, strict=True))
    plain = dbs.fresh(shape)
    drop_tally_triggers(plain)
    without, with_ = bulk_rounds(plain, dbs.fresh(shape), rows, CHUNK_TASKS, rounds)
    bulk_plain = statistics.median(without)
    bulk_tallies = statistics.median(with_)
    bulk_ratio = statistics.median(w / p for w, p in zip(with_, without, strict=True))
    return Figures(
        created,
        statistics.median(firsts),
        first_ratio,
        rss.growth_mb,
        nothing,
        one_unit,
        one_unit_created,
        full_time,
        statistics.median(baselines),
        bulk_plain,
        bulk_tallies,
        bulk_ratio,
        rounds,
    )


def median(results: list[Figures], name: str) -> float:
    return statistics.median(getattr(r, name) for r in results)


def report(backend: str, shape: Shape, results: list[Figures]) -> None:
    rows = results[0].rows
    first, base = median(results, "first"), median(results, "executemany")
    nothing, one = median(results, "nothing"), median(results, "one_unit")
    plain, tallies = median(results, "bulk_plain"), median(results, "bulk_tallies")
    print(
        f"\n[{backend}] {shape.units} units x {shape.branches_per_unit} branches, "
        f"{shape.academic_years} academic years: {rows} tasks ({len(results)} run(s), medians)"
    )
    print(f"  executemany, no triggers (baseline): {base:8.3f} s")
    ratio = median(results, "first_ratio")
    print(f"  first generation:                   {first:8.3f} s  {ratio:5.2f}x baseline (<= 2x)")
    print(f"     per 1,000 tasks:                 {first / rows * 1000:8.4f} s")
    print(f"     peak RSS growth:                 {median(results, 'rss_mb'):8.1f} MB (<= 150 MB)")
    print(
        f"  regeneration, nothing changed:      {nothing:8.3f} s  {nothing / first:6.1%} of first"
    )
    share = statistics.median(r.one_unit / r.first for r in results)  # same-run first
    print(
        f"  regeneration, a branch in one unit: {one:8.3f} s  {share:6.1%} of first (<= 5 %), "
        f"{results[0].one_unit_created} tasks written"
    )
    if results[0].full is not None:
        print(f"  full reconciliation (--full):       {median(results, 'full'):8.3f} s")
    path = "COPY" if backend == "postgresql" else "executemany"
    print(f"  bulk path ({path}), no triggers:    {plain:8.3f} s")
    ratio = median(results, "bulk_ratio")
    print(f"  bulk path ({path}), with tallies:   {tallies:8.3f} s  {ratio:5.2f}x (<= 1.2x)")
    print(f"  (first generation, baseline and bulk paths: medians of {results[0].rounds} rounds")
    print("   in turns; each ratio is the median of the rounds' ratios)")


def linearity(backend: str, sizes: list[int], shape: Shape, rounds: int) -> None:
    """First generations of every size in turns, ``rounds`` times, each beside the trigger-free
    executemany of its rows: time per 1,000 tasks by size, for both."""
    catalog = load_catalog([shipped_dir("calendar_rules")])
    per_task: dict[int, list[tuple[float, float]]] = {units: [] for units in sizes}
    rows: dict[int, int] = {}
    for _ in range(rounds):
        for units in sizes:
            sized = Shape(units, shape.branches_per_unit, academic_years=shape.academic_years)
            with tempfile.TemporaryDirectory() as folder:
                dbs = Databases(backend, Path(folder))
                try:
                    engine = dbs.fresh(sized)
                    seconds, rows[units] = generate(engine, catalog, sized, now=NOW)
                    generated = task_rows(engine)
                    dbs.drop(engine)
                    baseline = dbs.fresh(sized)
                    drop_tally_triggers(baseline)
                    plain = plain_executemany(baseline, generated)
                finally:
                    dbs.close()
            per_task[units].append((seconds / rows[units] * 1000, plain / rows[units] * 1000))
    small = [statistics.median(p[i] for p in per_task[sizes[0]]) for i in (0, 1)]
    print(f"\n[{backend}] first generation by size, {rounds} rounds in turns (medians)")
    for units in sizes:
        each, base = (statistics.median(p[i] for p in per_task[units]) for i in (0, 1))
        print(
            f"  {units:4d} units, {rows[units]:8d} tasks: {each * rows[units] / 1000:8.3f} s, "
            f"{each:.4f} s per 1,000 tasks ({each / small[0]:.2f}x the smallest's); "
            f"baseline executemany {base:.4f} s per 1,000 ({base / small[1]:.2f}x)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--units", type=int, nargs="+", default=[30, 100, 300])
    parser.add_argument("--branches", type=int, default=10)
    parser.add_argument("--years", type=int, default=5, help="academic years of the college")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--full", action="store_true", help="also time a full reconciliation")
    parser.add_argument("--rounds", type=int, default=5, help="bulk insert rounds in turns")
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--linearity", type=int, metavar="ROUNDS", help="only first generations, sizes in turns"
    )
    args = parser.parse_args()
    if args.linearity:
        shape = Shape(branches_per_unit=args.branches, academic_years=args.years)
        for backend in args.backend:
            linearity(backend, args.units, shape, args.linearity)
        return
    configs = [(b, u) for b in args.backend for u in args.units]
    if not args.in_process:
        # One process per college size: the memory figure is that run's own growth, not
        # what an earlier run left allocated.
        common = ["--branches", str(args.branches), "--years", str(args.years)]
        common += ["--repeat", str(args.repeat), "--rounds", str(args.rounds)]
        common += ["--full"] if args.full else []
        for backend, units in configs:
            command = [sys.executable, "-m", "benchmarks.bench_generation", "--in-process"]
            command += ["--backend", backend, "--units", str(units), *common]
            subprocess.run(command, check=True)
        return
    catalog = load_catalog([shipped_dir("calendar_rules")])
    for backend, units in configs:
        shape = Shape(units=units, branches_per_unit=args.branches, academic_years=args.years)
        results = []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as folder:
                dbs = Databases(backend, Path(folder))
                try:
                    results.append(run_once(dbs, catalog, shape, args.full, args.rounds))
                finally:
                    dbs.close()
        report(backend, shape, results)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
