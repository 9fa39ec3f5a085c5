"""Bring the stored tasks of the re-planned (rule, unit) pairs in line with the plan.

Insert what is new, update what moved, restore what is asked for again and retire (never
delete) what is no longer asked for, so any evidence recorded against it stays visible. A term
task whose term dates were corrected is the same task; one of an earlier term is history.

A completed task (its records reached its minimum count: ``Task.done_on`` is set) is history
too: a changed rule, 校历, holiday year or term never moves its period, opening, due or
nominal due date nor changes its minimum count or whether its records need a file, so its
verdict (已完成 or 逾期完成) stands. It still follows its unit and ledger item, and is retired
or restored like any task (a retired task that was done stays done). Every other task follows
the current rule, including one whose period has ended, whether or not it has records short
of its minimum: it is still owed, and corrections (a 校历 imported, a term date fixed) must
reach it. A task that stops being complete (a record withdrawn or rejected) follows the rule
again from the next generation (:func:`obligations.tasks.state.refresh_done_on` has its rule
re-planned).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Row, or_, select, update
from sqlalchemy.orm import Session

import obligations.audit as audit
from obligations.models import Task
from obligations.rules.planning import PlannedTask
from obligations.tasks.bulk import insert_columns
from obligations.tasks.state import refresh_done_on

# A stored term task whose term began at least this long before the unit's current term is a
# past term (the unit has re-elected since) and stays as it is; a nearer one is the same term
# whose dates were corrected, and follows the correction.
_NEW_TERM_AFTER = timedelta(days=365)

# Columns that may change on a stored task: its dates follow the rules and holiday data, a
# branch may move to another unit, a corrected term changes the period key.
_COMPARED = (
    "ledger_item",
    "unit_id",
    "period_key",
    "period_start",
    "period_end",
    "opens_on",
    "due_on",
    "nominal_due_on",
    "min_count",
    "file_required",
    "provisional",
)
# A new task's columns (the values of :func:`_row`): its natural key, the compared columns,
# who owes it and when it was written.
_COLUMNS = (
    "rule_id",
    "ledger_item",
    "unit_id",
    "organization_id",
    "person_id",
    "scope_key",
    "period_key",
    "period_start",
    "period_end",
    "opens_on",
    "due_on",
    "nominal_due_on",
    "min_count",
    "file_required",
    "provisional",
    "created_at",
    "updated_at",
)
# What a completed task keeps whatever the rules become: the facts its verdict was given on,
# that is every compared fact but where it belongs (unit, ledger item) and the 待定 mark.
_KEPT_WHEN_COMPLETED = frozenset(_COMPARED) - {"ledger_item", "unit_id", "provisional"}

# (action, task id, unit id, before, after) of one change to an existing task.
Change = tuple[str, int, int, dict[str, Any], dict[str, Any]]

RETIRED_RULE_GONE = "规则已删除或未启用"
RETIRED_NOT_OWED = "按现行规则和组织数据不再需要"


@dataclass
class GenerationReport:
    created: int = 0
    updated: int = 0
    retired: int = 0
    restored: int = 0
    unchanged: int = 0
    provisional: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.retired or self.restored)


@dataclass(frozen=True)
class Scope:
    """The (rule, unit) pairs one chunk of a generation reconciles.

    A stored task belongs to the unit that owns its organization now (``owner``: a unit owns
    itself and its branches); one whose organization no unit owns belongs to its stored unit.
    A branch that moved is thus reconciled once, with its new unit (its tasks follow it).

    ``by_unit``: the stored tasks are looked up by unit and organization only (their
    indexes), the pairs' rules picked out in Python; else by rule as well. Without
    statistics (SQLite is never analyzed) SQLite looks the rule up first whenever it may,
    reading every task of the rules: right when a few rules are re-planned in many units (a
    rule edited), but when every rule of a few units is (a first generation, a unit
    changed) each chunk read every task stored so far, 245 ms of a 1.3 s first generation
    at 100 units, growing with the square of the college.
    """

    pairs: frozenset[tuple[str, int]]
    units: frozenset[int]
    organizations: frozenset[int]
    term_rules: frozenset[str]
    owner: Mapping[int, int]
    by_unit: bool = False

    @property
    def rules(self) -> list[str]:
        return sorted({rule_id for rule_id, _ in self.pairs})

    def holds(self, row: Row[Any]) -> bool:
        unit_id = self.owner.get(row.organization_id, row.unit_id)
        return (row.rule_id, unit_id) in self.pairs


def reconcile(
    session: Session,
    tasks: list[PlannedTask],
    scope: Scope,
    enabled: set[str],
    now: datetime,
    report: GenerationReport,
) -> list[Change]:
    """Insert, update, restore and retire the stored tasks of ``scope`` as planned in
    ``tasks`` (every task the plan asks of those pairs); the changes made to existing tasks,
    for the audit log. Tasks of a rule not in ``enabled`` are retired."""
    query = _stored_query().where(
        or_(
            Task.unit_id.in_(sorted(scope.units)),
            Task.organization_id.in_(sorted(scope.organizations)),
        )
    )
    if not scope.by_unit:
        query = query.where(Task.rule_id.in_(scope.rules))
    stored = {
        (r.rule_id, r.scope_key, r.period_key): r for r in session.execute(query) if scope.holds(r)
    }
    term_rules = scope.term_rules
    stored_terms = _term_rows_by_subject(stored.values(), term_rules)
    planned_terms = {t.natural_key[:2]: t.period.start for t in tasks if t.rule_id in term_rules}
    inserts: list[tuple[Any, ...]] = []  # new tasks' values in _COLUMNS order
    updates: list[dict[str, Any]] = []
    audited: list[Change] = []
    seen: set[int] = set()
    for task in tasks:
        report.provisional += task.schedule.provisional
        key = task.natural_key
        row: Row[Any] | None = stored.get(key)
        if row is None and task.rule_id in term_rules:
            row = _corrected_term(stored_terms.get(key[:2], []), task, seen)
        if row is None:
            inserts.append(_row(task, key[1], now))
            continue
        values = dict(zip(_COLUMNS, _row(task, key[1], now), strict=True))
        seen.add(row.id)
        changes = {k: values[k] for k in _COMPARED if getattr(row, k) != values[k]}
        if row.done_on is not None:
            changes = _completed_changes(row, values, changes)
        if row.retired_at is not None:
            report.restored += 1
            changes.update(retired_at=None, retired_reason=None)
            action = audit.Action.TASK_RESTORE
        elif changes:
            report.updated += 1
            action = audit.Action.TASK_UPDATE
        else:
            report.unchanged += 1
        if changes:
            updates.append({"id": row.id, **changes, "updated_at": now})
            before = {k: getattr(row, k) for k in changes}
            audited.append((action, row.id, row.unit_id, before, changes))
    report.created += len(inserts)
    for row in stored.values():
        if row.id in seen or row.retired_at is not None or _past_term(row, planned_terms):
            continue
        reason = RETIRED_RULE_GONE if row.rule_id not in enabled else RETIRED_NOT_OWED
        updates.append(
            {"id": row.id, "retired_at": now, "retired_reason": reason, "updated_at": now}
        )
        report.retired += 1
        audited.append(
            (
                audit.Action.TASK_RETIRE,
                row.id,
                row.unit_id,
                {"retired_reason": None},
                {"retired_reason": reason},
            )
        )
    if inserts:  # column by column, as the bulk insert binds and counts them
        insert_columns(
            session, dict(zip(_COLUMNS, map(list, zip(*inserts, strict=True)), strict=True))
        )
    if updates:
        session.execute(update(Task), updates)
        # Which records complete a task changed (how many, whether they need a file): its
        # completion date may have too.
        refresh_done_on(
            session, [u["id"] for u in updates if "min_count" in u or "file_required" in u]
        )
    return audited


def _stored_query() -> Any:
    return select(
        Task.id,
        Task.rule_id,
        Task.organization_id,
        Task.scope_key,
        Task.retired_at,
        Task.retired_reason,
        Task.done_on,
        *(getattr(Task, name) for name in _COMPARED),
    )


def _completed_changes(
    row: Row[Any], values: dict[str, Any], changes: dict[str, Any]
) -> dict[str, Any]:
    """The part of ``changes`` a completed task takes (see the module's docstring).

    A task stored before its nominal due date was kept (migration 0013) learns it once: from
    the plan when the plan still gives the task's due date, else it is the due date itself
    (the verdict as it was given). Its 待定 mark follows the plan while the plan gives its
    due date; a kept date that the plan no longer gives will not move again: not 待定.
    """
    taken = {k: v for k, v in changes.items() if k not in _KEPT_WHEN_COMPLETED}
    planned_here = values["due_on"] == row.due_on
    if row.nominal_due_on is None:
        taken["nominal_due_on"] = values["nominal_due_on"] if planned_here else row.due_on
    provisional = values["provisional"] and planned_here
    if provisional != row.provisional:
        taken["provisional"] = provisional
    else:
        taken.pop("provisional", None)
    return taken


def _row(task: PlannedTask, scope_key: str, now: datetime) -> tuple[Any, ...]:
    """The values of ``task`` as stored, in :data:`_COLUMNS` order (a tuple: built for every
    planned task)."""
    period, sched = task.period, task.schedule
    return (
        task.rule_id,
        task.ledger_item,
        task.unit_id,
        task.organization_id,
        task.person_id,
        scope_key,
        period.key,
        period.start,
        period.end,
        sched.opens_on,
        sched.due_on,
        sched.nominal_due_on,
        task.min_count,
        task.file_required,
        sched.provisional,
        now,
        now,
    )


def _term_rows_by_subject(
    rows: Iterable[Row[Any]], term_rules: frozenset[str]
) -> dict[tuple[str, str], list[Row[Any]]]:
    by_subject: dict[tuple[str, str], list[Row[Any]]] = {}
    for row in rows:
        if row.rule_id in term_rules:
            by_subject.setdefault((row.rule_id, row.scope_key), []).append(row)
    return by_subject


def _corrected_term(
    candidates: list[Row[Any]], task: PlannedTask, seen: set[int]
) -> Row[Any] | None:
    """The stored task of the same term when only the term's dates were corrected."""
    for row in candidates:
        if row.id not in seen and abs(row.period_start - task.period.start) < _NEW_TERM_AFTER:
            return row
    return None


def _past_term(row: Row[Any], planned_terms: dict[tuple[str, str], date]) -> bool:
    """A stored term task of an earlier term than the planned one: history, left alone."""
    current = planned_terms.get((row.rule_id, row.scope_key))
    return current is not None and current - row.period_start >= _NEW_TERM_AFTER
