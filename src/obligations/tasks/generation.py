"""Persist the planned tasks: idempotent, never deleting, following changes in the data.

One task per (rule, organization, person, period). Re-running adds nothing. A task that the
rules or the data no longer ask for is retired (kept, with a reason), never deleted, so any
evidence recorded against it stays visible; if it is asked for again it is restored. Dates of
an existing task follow the rules and the holiday data (a provisional date becomes final once
the year's official schedule is entered), except those of a completed task, which keeps its
dates and verdict whatever the rules become (see :mod:`obligations.tasks.reconcile`).

Planning goes by (rule, unit) pair: only the pairs whose inputs changed are re-planned (see
:class:`~obligations.models.tasks.GenerationStamp`), a chunk of units at a time, so memory
stays bounded whatever the size of the college. Each chunk's tasks, audit entries and stamps
are written together; with ``commit_chunks`` each chunk is committed, and an interrupted run
leaves stamps for exactly the committed pairs: running again finishes the job.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

import obligations.audit as audit
from obligations.models import AuditEntry, Task
from obligations.rules.calendars import load_academic_calendar, workday_calendar
from obligations.rules.catalog import Catalog
from obligations.rules.planning import Plan, PlannedTask, Planner, UnitSnapshot
from obligations.rules.schema import PeriodKind, Rule
from obligations.tasks.reconcile import Change, GenerationReport, Scope, reconcile
from obligations.tasks.snapshots import load_unit_snapshots
from obligations.tasks.stamps import Pair, Stamp, load_stamps, pair_digests, write_stamps

__all__ = ["CHUNK_TASKS", "SYSTEM_ACTOR", "GenerationReport", "generate_tasks"]

SYSTEM_ACTOR = "系统"
# Planned tasks per chunk: the units of a chunk are planned, reconciled and written together.
# About 2 MB of Python objects per 1,000 tasks while a chunk is held.
CHUNK_TASKS = 10_000


@dataclass
class _Chunk:
    """The re-planned pairs of a few units, their planned tasks and warnings."""

    tasks: list[PlannedTask] = field(default_factory=list)
    warnings: dict[Pair, list[str]] = field(default_factory=dict)
    replanned: dict[Pair, str] = field(default_factory=dict)
    counts: dict[Pair, tuple[int, int]] = field(default_factory=dict)  # planned, provisional
    forgotten: list[Pair] = field(default_factory=list)
    units: set[int] = field(default_factory=set)
    organizations: set[int] = field(default_factory=set)
    term_rules: set[str] = field(default_factory=set)


@dataclass
class _Run:
    """What a generation reads once and what it adds up over its chunks."""

    session: Session
    enabled: set[str]
    owner: dict[int, int]
    unit_count: int
    now: datetime
    actor: str
    commit_chunks: bool
    report: GenerationReport = field(default_factory=GenerationReport)
    warnings: dict[str, None] = field(default_factory=dict)


# How far the live tasks reach: one entry of ix_task_live_period_start (migration 0018).
LATEST_LIVE_PERIOD = select(func.max(Task.period_start)).where(Task.retired_at.is_(None))


def generate_tasks(
    session: Session,
    catalog: Catalog,
    *,
    through: date,
    now: datetime,
    full: bool = False,
    actor: str = SYSTEM_ACTOR,
    commit_chunks: bool = False,
    chunk_tasks: int = CHUNK_TASKS,
) -> GenerationReport:
    """Bring the stored tasks in line with the rules through ``through`` (a local date).

    Only (rule, unit) pairs whose inputs changed since their last generation are re-planned;
    ``full`` re-plans and reconciles every pair regardless. ``commit_chunks`` commits the
    session after each chunk of about ``chunk_tasks`` planned tasks and at the end (the
    session must not be inside a ``begin()`` block); otherwise everything stays in the
    caller's transaction. Raises what the database raises; committed chunks stay.

    The cyclic garbage collector is paused meanwhile (see :func:`_collector_paused`).
    """
    with _collector_paused():
        return _generate(session, catalog, through, now, full, actor, commit_chunks, chunk_tasks)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector, if it runs, for the duration.

    A generation allocates tens of thousands of objects per chunk (planned tasks, rows), all
    freed by reference counting when the chunk is written (a generation leaves about a
    hundred objects in reference cycles per chunk); but their number triggers the collector's
    full collections, each scanning the whole heap, 30 to 165 ms apiece: at 30 units (32,550
    tasks), 50 to 200 ms of a 0.4 to 0.6 s generation, growing with whatever else the
    process holds. Any other thread's garbage waits for the end of the run.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _generate(
    session: Session,
    catalog: Catalog,
    through: date,
    now: datetime,
    full: bool,
    actor: str,
    commit_chunks: bool,
    chunk_tasks: int,
) -> GenerationReport:
    units = load_unit_snapshots(session, default_start=date(through.year, 1, 1))
    calendar = load_academic_calendar(session)
    latest = session.scalar(LATEST_LIVE_PERIOD)
    # Plan at least as far as tasks already exist, so a removed rule retires its future tasks.
    horizon = max(through, latest) if latest else through
    rules = catalog.enabled_rules
    digests = pair_digests(units, calendar, catalog, rules, horizon)
    stamps = load_stamps(session)
    run = _Run(
        session, {r.id for r in rules}, _owners(units), len(units), now, actor, commit_chunks
    )
    for pair, stamp in stamps.items():
        if not full and digests.get(pair) == stamp.digest:
            run.report.unchanged += stamp.planned
            run.report.provisional += stamp.provisional
            run.warnings.update(dict.fromkeys(stamp.warnings))
    forgotten: dict[int, list[Pair]] = {}
    gone = [p for p in stamps if p not in digests]
    for pair in gone + (_unstamped_disabled(session, run.enabled) if full else []):
        forgotten.setdefault(pair[1], []).append(pair)
    planner = Planner(
        calendar,
        workday_calendar(catalog),
        since=min((u.active_from for u in units), default=through),
        through=horizon,
    )
    chunk = _Chunk()
    for unit in units:
        stale = [r for r in rules if full or _stale(stamps.get((r.id, unit.id)), digests, r, unit)]
        if stale or unit.id in forgotten:
            _add_unit(chunk, planner, unit, stale, digests, forgotten.pop(unit.id, []))
        if len(chunk.tasks) >= chunk_tasks:
            _write_chunk(run, chunk)
            chunk = _Chunk()
    for unit_id, pairs in forgotten.items():  # units no longer there: their tasks retire
        chunk.units.add(unit_id)
        chunk.forgotten.extend(pairs)
    if chunk.replanned or chunk.forgotten:
        _write_chunk(run, chunk)
    run.report.warnings = list(run.warnings)
    _audit_run(session, run.report, through=through, actor=actor, now=now)
    if commit_chunks:
        session.commit()
    return run.report


def _stale(stamp: Stamp | None, digests: dict[Pair, str], rule: Rule, unit: UnitSnapshot) -> bool:
    return stamp is None or stamp.digest != digests[(rule.id, unit.id)]


def _owners(units: Iterable[UnitSnapshot]) -> dict[int, int]:
    """The unit that owns each organization now: a unit itself, a branch its unit."""
    owner = {u.id: u.id for u in units}
    owner.update({b.id: u.id for u in units for b in u.branches})
    return owner


def _unstamped_disabled(session: Session, enabled: set[str]) -> list[Pair]:
    """(rule, unit) of live tasks of rules no longer enabled (a full run retires them even
    without a stamp, as from a database generated by older code)."""
    query = (
        select(Task.rule_id, Task.unit_id)
        .where(Task.retired_at.is_(None), Task.rule_id.not_in(enabled))
        .distinct()
    )
    return [(rule_id, unit_id) for rule_id, unit_id in session.execute(query)]


def _add_unit(
    chunk: _Chunk,
    planner: Planner,
    unit: UnitSnapshot,
    stale: list[Rule],
    digests: dict[Pair, str],
    forgotten: list[Pair],
) -> None:
    chunk.units.add(unit.id)
    chunk.organizations.update([unit.id, *(b.id for b in unit.branches)])
    chunk.forgotten.extend(forgotten)
    for rule in stale:
        plan = Plan()
        planner.plan_unit(rule, unit, plan)
        pair = (rule.id, unit.id)
        chunk.tasks.extend(plan.tasks)
        provisional = sum(1 for t in plan.tasks if t.schedule.provisional)
        chunk.counts[pair] = (len(plan.tasks), provisional)
        chunk.warnings[pair] = [text for _, text in plan.rule_warnings]
        chunk.replanned[pair] = digests[pair]
        if rule.period is PeriodKind.TERM:
            chunk.term_rules.add(rule.id)


def _write_chunk(run: _Run, chunk: _Chunk) -> None:
    """Stamp, reconcile and audit one chunk (then commit it if the run commits chunks).

    Stamps go first: a task the reconciliation finds no longer complete drops its pair's
    stamp (see :func:`obligations.tasks.state.refresh_done_on`), and that must stand.
    """
    session = run.session
    write_stamps(session, chunk.counts, chunk.warnings, chunk.replanned, chunk.forgotten, run.now)
    pairs = frozenset([*chunk.replanned, *chunk.forgotten])
    rules = {rule_id for rule_id, _ in pairs}
    scope = Scope(
        pairs=pairs,
        units=frozenset(chunk.units),
        organizations=frozenset(chunk.organizations),
        term_rules=frozenset(chunk.term_rules),
        owner=run.owner,
        # Whichever is the smaller share of the stored tasks: the chunk's units or its rules.
        by_unit=len(chunk.units) * len(run.enabled) <= len(rules) * run.unit_count,
    )
    changes = reconcile(session, chunk.tasks, scope, run.enabled, run.now, run.report)
    for warnings in chunk.warnings.values():
        run.warnings.update(dict.fromkeys(warnings))
    _audit_changes(session, changes, actor=run.actor, now=run.now)
    session.flush()
    if run.commit_chunks:
        session.commit()


def _audit_changes(session: Session, changes: list[Change], *, actor: str, now: datetime) -> None:
    """One entry per existing task a chunk changed (created tasks are counted in the run's
    entry: they have no history yet)."""
    rows = [
        {
            "at": now,
            "actor": actor,
            "action": action,
            "entity": "task",
            "entity_id": task_id,
            "unit_id": unit_id,
            "before": audit.plain(before),
            "after": audit.plain(after),
        }
        for action, task_id, unit_id, before, after in changes
    ]
    if rows:
        session.execute(insert(AuditEntry), rows)


def _audit_run(
    session: Session, report: GenerationReport, *, through: date, actor: str, now: datetime
) -> None:
    """One entry for the run, if it changed anything."""
    if not report.changed:
        return
    summary = {
        "through": through,
        "created": report.created,
        "updated": report.updated,
        "retired": report.retired,
        "restored": report.restored,
    }
    audit.record(
        session,
        now=now,
        actor=actor,
        action=audit.Action.TASKS_GENERATE,
        entity="tasks",
        entity_id=None,
        unit_id=None,
        after=summary,
    )
