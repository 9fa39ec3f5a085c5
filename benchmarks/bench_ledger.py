"""Benchmark: composing ledgers from the database and producing them, one unit and all units.

A synthetic college (30 general branches x 10 branches, full committees; benchmarks.synthetic)
gets its tasks for 2026 and a full year of records: every task due in 2026 done with two files,
standing evidence for each qualitative item, the year's figures. Then, on SQLite:

- one unit: compose (database -> LedgerDocument), DOCX, XLSX; median of ``--repeat`` rounds;
- every unit: compose, DOCX and XLSX for each, then the college summary XLSX.

Baseline, measured in the same run: the composed unit's table (31 rows x 5 columns, same texts)
written with python-docx directly. Targets: one unit (compose + DOCX + XLSX) within 1 s and
within 3x the baseline; all units with the summary within 30 s.

The baseline and the measured steps run in turns, one of each per round, so a change in the
machine's load (a shared machine) touches them alike; the ratio is the median of the rounds'
ratios, beside the ratio of the medians.

    python -m benchmarks.bench_ledger [--repeat 9]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from datetime import time as clock
from pathlib import Path
from typing import TypeVar

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from benchmarks.bench_ledger_render import baseline_docx
from benchmarks.synthetic import NOW, Shape, build_college
from obligations.db import make_engine, session_factory
from obligations.ledger.period import calendar_year
from obligations.ledger.render_docx import render_docx
from obligations.ledger.render_xlsx import render_xlsx
from obligations.ledger.service import ComposedLedger, compose_unit_ledger, unit_codes
from obligations.ledger.summary import college_summary, task_outcomes
from obligations.ledger.summary_xlsx import summary_xlsx
from obligations.models import EvidenceFile, EvidenceRecord, LedgerFigure, Organization, Task
from obligations.paths import shipped_dir
from obligations.rules.catalog import Catalog, load_catalog
from obligations.rules.schema import ItemKind
from obligations.schema import upgrade
from obligations.tasks.generation import generate_tasks
from obligations.timeutil import LOCAL_TZ
from obligations.vocabulary import EvidenceKind, ReviewState

YEAR = 2026
TODAY = date(2027, 1, 10)
FIGURES = {
    "activists": 12,
    "development-targets": 4,
    "member-training-hours": 36,
    "leader-training-hours": 60,
    "member-subscription-rate": 85,
    "leader-subscription-rate": 100,
}
T = TypeVar("T")


def build(folder: Path, catalog: Catalog) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{folder / 'ledger.sqlite3'}")
    upgrade(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        build_college(session, Shape())
        generate_tasks(session, catalog, through=date(YEAR, 12, 31), now=NOW)
        _records(session, catalog)
    return sessions


def _records(session: Session, catalog: Catalog) -> None:
    tasks = session.execute(
        select(Task.id, Task.unit_id, Task.ledger_item, Task.period_start, Task.due_on).where(
            Task.due_on >= date(YEAR, 1, 1), Task.due_on <= date(YEAR, 12, 31)
        )
    ).all()
    rows = [
        _record(task_id, unit_id, item, min(start.replace(day=9), due), f"活动记录{task_id}")
        for task_id, unit_id, item, start, due in tasks
    ]
    units = session.scalars(select(Organization.id).where(Organization.code.like("U%"))).all()
    qualitative = [i.id for i in catalog.items if ItemKind.QUALITATIVE in i.kinds]
    rows += [
        _record(None, unit_id, item, date(YEAR, 5, 20), f"{item}常备材料")
        for unit_id in units
        if isinstance(unit_id, int)
        for item in qualitative
    ]
    ids = session.scalars(insert(EvidenceRecord).returning(EvidenceRecord.id), rows).all()
    session.execute(
        insert(EvidenceFile),
        [
            {
                "record_id": record_id,
                "position": n,
                "sha256": f"{record_id * 2 + n:064x}",
                "size": 1000,
                "media_type": "application/pdf",
                "original_name": f"材料{n}.pdf",
            }
            for record_id in ids
            for n in (1, 2)
        ],
    )
    session.execute(
        insert(LedgerFigure),
        [
            {
                "unit_id": unit_id,
                "year": YEAR,
                "key": key,
                "value": value,
                "updated_by": "bench",
                "updated_at": NOW,
            }
            for unit_id in units
            for key, value in FIGURES.items()
        ],
    )


def _record(
    task_id: int | None, unit_id: int, item: str, held_on: date, title: str
) -> dict[str, object]:
    return {
        "task_id": task_id,
        "unit_id": unit_id,
        "ledger_item": item,
        "year": held_on.year,
        "title": title,
        "held_on": held_on,
        "kind": EvidenceKind.MINUTES,
        "recorded_by": "bench",
        "recorded_at": datetime.combine(held_on, clock(12), tzinfo=LOCAL_TZ).astimezone(UTC),
        "review_state": ReviewState.ACCEPTED,
    }


def compose(sessions: sessionmaker[Session], catalog: Catalog, code: str) -> ComposedLedger:
    with sessions() as session:
        return compose_unit_ledger(
            session, catalog, unit_code=code, period=calendar_year(YEAR), today=TODAY
        )


def timed(action: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def in_turns(repeat: int, actions: dict[str, Callable[[], object]]) -> dict[str, list[float]]:
    """Seconds of each action over ``repeat`` rounds, every round running each action once."""
    seconds: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(repeat):
        for name, action in actions.items():
            seconds[name].append(timed(action)[0])
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    catalog = load_catalog([shipped_dir("calendar_rules")])
    with tempfile.TemporaryDirectory(prefix="bench-ledger-") as folder:
        built, sessions = timed(lambda: build(Path(folder), catalog))
        with sessions() as session:
            codes = unit_codes(session)
            tasks = len(session.scalars(select(Task.id)).all())
            records = len(session.scalars(select(EvidenceRecord.id)).all())
        print(f"synthetic college: {len(codes)} units, {tasks} tasks, {records} records")
        print(f"(built in {built:.1f} s)")
        one = compose(sessions, catalog, codes[0])  # warm up imports, template, caches
        render_docx(one.document)
        render_xlsx(one.document)
        baseline_docx(one.document)
        rounds = in_turns(
            args.repeat,
            {
                "base": lambda: baseline_docx(one.document),
                "compose": lambda: compose(sessions, catalog, codes[0]),
                "docx": lambda: render_docx(one.document),
                "xlsx": lambda: render_xlsx(one.document),
                "total": lambda: _one_unit(sessions, catalog, codes[0]),
            },
        )
        every, _ = timed(lambda: _every_unit(sessions, catalog, codes))
    base, composing, docx, xlsx, total = (
        statistics.median(rounds[name]) for name in ("base", "compose", "docx", "xlsx", "total")
    )
    ratios = [t / b for t, b in zip(rounds["total"], rounds["base"], strict=True)]
    characters = sum(len(r.implementation) + len(r.gaps) for r in one.document.rows)
    print(f"one unit: {len(one.document.rows)} items, {characters} characters composed")
    print(f"baseline python-docx table:      {base:.3f} s")
    print(f"compose from the database:       {composing:.3f} s")
    print(f"DOCX (docxtpl template):         {docx:.3f} s  ({docx / base:.2f}x baseline)")
    print(f"XLSX (openpyxl):                 {xlsx:.3f} s  ({xlsx / base:.2f}x baseline)")
    print(
        f"one unit, compose + DOCX + XLSX: {total:.3f} s  ({statistics.median(ratios):.2f}x "
        f"baseline, round by round; {total / base:.2f}x of the medians; target <= 1 s and <= 3x)"
    )
    print(f"{len(codes)} units + summary:            {every:.3f} s  (target <= 30 s)")


def _one_unit(sessions: sessionmaker[Session], catalog: Catalog, code: str) -> None:
    composed = compose(sessions, catalog, code)
    render_docx(composed.document)
    render_xlsx(composed.document)


def _every_unit(sessions: sessionmaker[Session], catalog: Catalog, codes: list[str]) -> None:
    ledgers = []
    for code in codes:
        composed = compose(sessions, catalog, code)
        render_docx(composed.document)
        render_xlsx(composed.document)
        ledgers.append(composed)
    with sessions() as session:
        outcomes = task_outcomes(session, calendar_year(YEAR), TODAY)
    summary_xlsx(college_summary(ledgers, outcomes, title="台账汇总"))


if __name__ == "__main__":
    main()
