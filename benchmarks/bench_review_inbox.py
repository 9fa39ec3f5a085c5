"""The header's "待审核 N" and the review inbox's first page with many evidence records, with
and without ``ix_evidence_record_pending`` (the same data, the index dropped: the same-run
baseline).

Every page a reviewer opens runs the count, so it must stay cheap however many records the
years have gathered. The data: ``--records`` records over 30 units, ``--pending`` of them
pending (the rest accepted), on SQLite or, with ``OBLIGATIONS_BENCH_PG_URL``, PostgreSQL.

    .venv/bin/python -m benchmarks.bench_review_inbox [--records N] [--pending N] [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert, select, text

from benchmarks.synthetic import NOW
from obligations.accounts.access import Principal
from obligations.db import make_engine, session_factory
from obligations.evidence import review_inbox
from obligations.models import EvidenceRecord, Organization
from obligations.paths import shipped_dir
from obligations.rules.catalog import load_catalog
from obligations.schema import upgrade
from obligations.vocabulary import EvidenceKind, OrgKind, ReviewState, UserRole

UNITS = 30


def fill(engine: Engine, records: int, pending: int) -> list[int]:
    """``records`` standing records over :data:`UNITS` units, every ``records // pending``-th
    pending; the unit ids."""
    stamps = {"created_at": NOW, "updated_at": NOW}
    with session_factory(engine).begin() as db:
        db.execute(insert(Organization), [
            {"code": f"U{u:02d}", "name": f"第{u}党总支", "kind": OrgKind.GENERAL_BRANCH,
             "active_from": date(2020, 1, 1), **stamps}
            for u in range(1, UNITS + 1)
        ])  # fmt: skip
        units = list(db.scalars(select(Organization.id).order_by(Organization.id)))
        every = max(1, records // pending)
        batch = []
        for n in range(records):
            batch.append({
                "unit_id": units[n % UNITS], "ledger_item": "6.2", "year": 2022 + n % 5,
                "title": f"材料 {n}", "held_on": date(2022, 1, 1) + timedelta(days=n % 1500),
                "kind": EvidenceKind.MINUTES, "recorded_by": "bench",
                "recorded_at": NOW - timedelta(minutes=records - n),
                "review_state": ReviewState.PENDING if n % every == 0 else ReviewState.ACCEPTED,
            })  # fmt: skip
            if len(batch) == 10_000:
                db.execute(insert(EvidenceRecord), batch)
                batch = []
        if batch:
            db.execute(insert(EvidenceRecord), batch)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return units


def timed(call: Callable[[], object], runs: int) -> tuple[float, float]:
    """p50 and p95 in milliseconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def measure(engine: Engine, units: list[int], runs: int, label: str) -> None:
    catalog = load_catalog([shipped_dir("calendar_rules")])
    admin = Principal(1, "admin", "管理员", UserRole.ADMIN, None, None, None)
    manager = Principal(2, "m", "单位管理员", UserRole.UNIT_MANAGER, units[3], None, None)
    sessions = session_factory(engine)

    def count(who: Principal) -> Callable[[], object]:
        def run() -> object:
            with sessions() as db:
                return review_inbox.pending_count(db, who)

        return run

    def first_page(who: Principal) -> Callable[[], object]:
        def run() -> object:
            with sessions() as db:
                return review_inbox.inbox_page(db, catalog, who)

        return run

    for name, call in (
        ("count, administrator", count(admin)),
        ("count, unit manager", count(manager)),
        ("inbox page 1, administrator", first_page(admin)),
        ("inbox page 1, unit manager", first_page(manager)),
    ):
        p50, p95 = timed(call, runs)
        print(f"{label:<16} {name:<30} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=300_000)
    parser.add_argument("--pending", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("OBLIGATIONS_BENCH_PG_URL") or f"sqlite:///{Path(folder) / 'b.db'}"
        engine = make_engine(url)
        upgrade(engine)
        units = fill(engine, args.records, args.pending)
        print(f"{args.records} records, {args.pending} pending, {engine.dialect.name}")
        measure(engine, units, args.runs, "with the index")
        with engine.begin() as connection:
            connection.execute(text("DROP INDEX ix_evidence_record_pending"))
            connection.execute(text("ANALYZE"))
        measure(engine, units, args.runs, "without (base)")
        engine.dispose()


if __name__ == "__main__":
    main()
