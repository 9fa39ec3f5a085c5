"""Persist the planned tasks: idempotent, never deleting, following changes in the data.

One task per (rule, organization, person, period). Re-running adds nothing. A task that the
rules or the data no longer ask for is retired (kept, with a reason), never deleted, so any
evidence recorded against it stays visible; if it is asked for again it is restored. Dates of
an existing task follow the rules and the holiday data (a provisional date becomes final once
the year's official schedule is entered), except those of a completed task, which keeps its
dates and verdict whatever the rules become (see :mod:`obligations.tasks.reconcile`).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

import obligations.audit as audit
from obligations.models import AuditEntry, GenerationStamp, Task
from obligations.rules.calendars import load_academic_calendar, workday_calendar
from obligations.rules.catalog import Catalog
from obligations.rules.planning import plan_tasks
from obligations.tasks.reconcile import Change, GenerationReport, reconcile
from obligations.tasks.snapshots import load_unit_snapshots
from obligations.tasks.stamps import rule_digest, shared_digest, stamp_digest, write_stamps

__all__ = ["SYSTEM_ACTOR", "GenerationReport", "generate_tasks"]

SYSTEM_ACTOR = "系统"


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
    shared = shared_digest(units, calendar, catalog, horizon)
    digests = {r.id: rule_digest(shared, r) for r in rules}
    stamps = {s.rule_id: s for s in session.scalars(select(GenerationStamp))}
    stale = [r for r in rules if full or stamp_digest(stamps.get(r.id)) != digests[r.id]]
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
    changes = reconcile(session, plan, stale, enabled, now, report)
    write_stamps(session, plan, stale, digests, stamps, enabled, now)
    report.warnings = list(dict.fromkeys([*report.warnings, *plan.warnings]))
    _audit(session, report, changes, through=through, actor=actor, now=now)
    return report


def _audit(
    session: Session,
    report: GenerationReport,
    changes: list[Change],
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
