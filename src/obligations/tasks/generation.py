"""Persist the planned tasks: idempotent, never deleting, following changes in the data.

One task per (rule, organization, person, period). Re-running adds nothing. A task that the
rules or the data no longer ask for is retired (kept, with a reason), never deleted, so any
evidence recorded against it stays visible; if it is asked for again it is restored. Dates of
an existing task follow the rules and the holiday data (a provisional date becomes final once
the year's official schedule is entered).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from importlib.metadata import version
from typing import Any, cast

from sqlalchemy import Row, Table, func, insert, or_, select, update
from sqlalchemy.orm import Session

import obligations.audit as audit
from obligations.models import AuditEntry, GenerationStamp, Organization, RoleAssignment, Task
from obligations.rules.calendars import load_academic_calendar, workday_calendar
from obligations.rules.catalog import Catalog
from obligations.rules.periods import AcademicCalendar
from obligations.rules.planning import (
    BranchSnapshot,
    Holding,
    Plan,
    PlannedTask,
    UnitSnapshot,
    plan_tasks,
)
from obligations.rules.schema import PeriodKind, Rule
from obligations.tasks.state import refresh_done_on
from obligations.vocabulary import OrgKind

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
    "min_count",
    "provisional",
)

_TASK_TABLE = cast(Table, Task.__table__)

# Part of every rule's input digest: bump it when planning or reconciliation changes, so the
# next generation re-plans every rule instead of trusting stamps written by older code.
PLANNING_VERSION = "1"
CHINESE_CALENDAR_VERSION = version("chinesecalendar")

SYSTEM_ACTOR = "系统"

# (action, task id, unit id, before, after) of one change to an existing task.
_Change = tuple[str, int, int, dict[str, Any], dict[str, Any]]

RETIRED_RULE_GONE = "规则已删除或停用"
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


def generate_tasks(
    session: Session,
    catalog: Catalog,
    *,
    through: date,
    now: datetime,
    full: bool = False,
    actor: str = SYSTEM_ACTOR,
) -> GenerationReport:
    """Bring the stored tasks in line with the rules through ``through`` (a local date).

    Only rules whose inputs changed since their last generation are re-planned (see
    :class:`GenerationStamp`); ``full`` re-plans and reconciles every rule regardless.
    """
    units = load_unit_snapshots(session, default_start=date(through.year, 1, 1))
    calendar = load_academic_calendar(session)
    workdays = workday_calendar(catalog)
    latest = session.scalar(select(func.max(Task.period_start)).where(Task.retired_at.is_(None)))
    # Plan at least as far as tasks already exist, so a removed rule retires its future tasks.
    horizon = max(through, latest) if latest else through
    rules = catalog.enabled_rules
    shared = _shared_digest(units, calendar, catalog, horizon)
    digests = {r.id: _rule_digest(shared, r) for r in rules}
    stamps = {s.rule_id: s for s in session.scalars(select(GenerationStamp))}
    stale = [r for r in rules if full or _stamp_digest(stamps.get(r.id)) != digests[r.id]]
    stale_ids = {r.id for r in stale}
    report = GenerationReport()
    for rule in rules:
        stamp = stamps.get(rule.id)
        if rule.id in stale_ids or stamp is None:
            continue
        report.unchanged += stamp.planned
        report.provisional += stamp.provisional
        report.warnings.extend(stamp.warnings)
    enabled = {r.id for r in rules}
    plan = plan_tasks(stale, units, calendar, workdays, horizon)
    changes = _reconcile(session, plan, stale, enabled, now, report)
    _write_stamps(session, plan, stale, digests, stamps, enabled, now)
    report.warnings = list(dict.fromkeys([*report.warnings, *plan.warnings]))
    _audit(session, report, changes, through=through, actor=actor, now=now)
    return report


def _audit(
    session: Session,
    report: GenerationReport,
    changes: list[_Change],
    *,
    through: date,
    actor: str,
    now: datetime,
) -> None:
    """One entry for the run, one per existing task it changed (created tasks are counted in
    the run's entry: they have no history yet)."""
    if not report.changed:
        return
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
    if rows:
        session.execute(insert(AuditEntry), rows)


def _reconcile(
    session: Session,
    plan: Plan,
    stale: list[Rule],
    enabled: set[str],
    now: datetime,
    report: GenerationReport,
) -> list[_Change]:
    """Insert, update, restore and retire stored tasks of the re-planned and removed rules;
    the changes made to existing tasks, for the audit log."""
    term_rules = {r.id for r in stale if r.period is PeriodKind.TERM}
    query = _stored_query().where(
        or_(Task.rule_id.in_([r.id for r in stale]), Task.rule_id.not_in(enabled))
    )
    stored = {(r.rule_id, r.scope_key, r.period_key): r for r in session.execute(query)}
    stored_terms = _term_rows_by_subject(stored.values(), term_rules)
    planned_terms = {
        t.natural_key[:2]: t.period.start for t in plan.tasks if t.rule_id in term_rules
    }
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    audited: list[_Change] = []
    seen: set[int] = set()
    for task in plan.tasks:
        report.provisional += task.schedule.provisional
        values = _values(task)
        row: Row[Any] | None = stored.get(task.natural_key)
        if row is None and task.rule_id in term_rules:
            row = _corrected_term(stored_terms.get(task.natural_key[:2], []), task, seen)
        if row is None:
            inserts.append({**values, "created_at": now, "updated_at": now})
            continue
        seen.add(row.id)
        changes = {k: values[k] for k in _COMPARED if getattr(row, k) != values[k]}
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
    report.created = len(inserts)
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
    if inserts:
        # A Core executemany: the ORM's bulk path would add per-row bookkeeping we don't need.
        session.connection().execute(insert(_TASK_TABLE), inserts)
    if updates:
        session.execute(update(Task), updates)
        # How many records complete a task changed: its completion date may have too.
        refresh_done_on(session, [u["id"] for u in updates if "min_count" in u])
    return audited


def _write_stamps(
    session: Session,
    plan: Plan,
    stale: list[Rule],
    digests: dict[str, str],
    stamps: dict[str, GenerationStamp],
    enabled: set[str],
    now: datetime,
) -> None:
    planned: Counter[str] = Counter(t.rule_id for t in plan.tasks)
    provisional: Counter[str] = Counter(t.rule_id for t in plan.tasks if t.schedule.provisional)
    warnings: dict[str, list[str]] = {}
    for rule_id, text in plan.rule_warnings:
        warnings.setdefault(rule_id, []).append(text)
    for rule in stale:
        stamp = stamps.get(rule.id) or GenerationStamp(rule_id=rule.id)
        stamp.digest = digests[rule.id]
        stamp.planned = planned[rule.id]
        stamp.provisional = provisional[rule.id]
        stamp.warnings = list(dict.fromkeys(warnings.get(rule.id, [])))
        stamp.generated_at = now
        session.add(stamp)
    # A disabled or removed rule forgets its stamp, so enabling it again re-plans it.
    for rule_id, stamp in stamps.items():
        if rule_id not in enabled:
            session.delete(stamp)
    session.flush()


def _stamp_digest(stamp: GenerationStamp | None) -> str | None:
    return stamp.digest if stamp is not None else None


def _shared_digest(
    units: list[UnitSnapshot], calendar: AcademicCalendar, catalog: Catalog, horizon: date
) -> hashlib._Hash:
    """Digest of the inputs every rule shares. The snapshots are frozen dataclasses of
    dates, ints and enums, so their repr is a complete and stable description."""
    digest = hashlib.sha256(PLANNING_VERSION.encode())
    for part in (
        repr(units),
        repr(calendar),
        catalog.holidays.model_dump_json(),
        CHINESE_CALENDAR_VERSION,
        horizon.isoformat(),
    ):
        digest.update(b"\0" + part.encode())
    return digest


def _rule_digest(shared: hashlib._Hash, rule: Rule) -> str:
    digest = shared.copy()
    digest.update(b"\0" + rule.model_dump_json().encode())
    return digest.hexdigest()


def _stored_query() -> Any:
    return select(
        Task.id,
        Task.rule_id,
        Task.scope_key,
        Task.retired_at,
        Task.retired_reason,
        *(getattr(Task, name) for name in _COMPARED),
    )


def _values(task: PlannedTask) -> dict[str, Any]:
    return {
        "rule_id": task.rule_id,
        "ledger_item": task.ledger_item,
        "unit_id": task.unit_id,
        "organization_id": task.organization_id,
        "person_id": task.person_id,
        "scope_key": task.natural_key[1],
        "period_key": task.period.key,
        "period_start": task.period.start,
        "period_end": task.period.end,
        "opens_on": task.schedule.opens_on,
        "due_on": task.schedule.due_on,
        "min_count": task.min_count,
        "provisional": task.schedule.provisional,
    }


def _term_rows_by_subject(
    rows: Iterable[Row[Any]], term_rules: set[str]
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


def load_unit_snapshots(session: Session, *, default_start: date) -> list[UnitSnapshot]:
    """Every unit with its branches and the role holders of both, in two queries."""
    orgs = list(session.scalars(select(Organization).order_by(Organization.code)))
    college_start = next(
        (o.active_from for o in orgs if o.kind is OrgKind.COLLEGE and o.active_from), None
    )
    start = college_start or default_start
    units = [o for o in orgs if o.kind.is_unit]
    holdings: dict[int, list[Holding]] = {}
    for a in session.scalars(select(RoleAssignment).order_by(RoleAssignment.id)):
        holdings.setdefault(a.organization_id, []).append(
            Holding(a.person_id, a.role, a.start_on, a.end_on)
        )
    branches: dict[int, list[BranchSnapshot]] = {}
    for org in orgs:
        if org.kind is OrgKind.BRANCH and org.parent_id is not None:
            held = tuple(holdings.get(org.id, ()))
            branch = BranchSnapshot(org.id, org.active_from, org.active_until, held)
            branches.setdefault(org.parent_id, []).append(branch)
    return [
        UnitSnapshot(
            id=u.id,
            code=u.code,
            kind=u.kind,
            active_from=u.active_from or start,
            active_until=u.active_until,
            term_start=u.term_start,
            term_years=u.term_years,
            branches=tuple(branches.get(u.id, ())),
            holdings=tuple(holdings.get(u.id, ())),
        )
        for u in units
    ]
