"""Waive a task (not applicable this period) with a reason, and undo it.

Both check that the acting principal may (:func:`obligations.accounts.access.can_waive`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

import obligations.audit as audit
from obligations.accounts import access
from obligations.accounts.access import Principal
from obligations.audit import Action
from obligations.errors import InvalidRequest
from obligations.models import Task
from obligations.tasks.state import task_state
from obligations.tasks.status import TaskStatus
from obligations.textcheck import MAX_REASON, text_problem
from obligations.timeutil import local_date


def waive(session: Session, *, task_id: int, reason: str, by: Principal, now: datetime) -> Task:
    """Waive a task for its period. Raises ``NotFound`` for a task ``by`` cannot see,
    ``Forbidden`` unless ``by`` may waive it, ``InvalidRequest`` without a reason or for a
    retired, waived or done task."""
    task = _waivable(session, by, task_id)
    actor = by.actor
    problem = text_problem("豁免原因", reason, MAX_REASON, required=True)
    if problem:
        raise InvalidRequest(problem)
    if task.retired_at is not None:
        raise InvalidRequest(f"任务 {task_id} 已不再要求，无需豁免")
    if task.waived_at is not None:
        raise InvalidRequest(f"任务 {task_id} 已被 {task.waived_by} 豁免：{task.waived_reason}")
    state = task_state(session, task, today=local_date(now), due_soon_days=0)
    if state in (TaskStatus.DONE, TaskStatus.DONE_LATE):
        raise InvalidRequest(f"任务 {task_id} 已完成（{state.label}），不能豁免")
    before = _snapshot(task)
    task.waived_at, task.waived_by, task.waived_reason = now, actor, reason.strip()
    task.updated_at = now
    _audit(session, task, Action.TASK_WAIVE, actor, now, before)
    return task


def unwaive(session: Session, *, task_id: int, by: Principal, now: datetime) -> Task:
    """Undo a waiver; the same access as :func:`waive`, ``InvalidRequest`` if not waived."""
    task = _waivable(session, by, task_id)
    actor = by.actor
    if task.waived_at is None:
        raise InvalidRequest(f"任务 {task_id} 未被豁免，无需撤销")
    before = _snapshot(task)
    task.waived_at = task.waived_by = task.waived_reason = None
    task.updated_at = now
    _audit(session, task, Action.TASK_UNWAIVE, actor, now, before)
    return task


def _waivable(session: Session, by: Principal, task_id: int) -> Task:
    task = access.require_task(session, by, task_id)
    access.require_can_waive(by, task)
    return task


def _snapshot(task: Task) -> dict[str, object]:
    return {
        "rule_id": task.rule_id,
        "period_key": task.period_key,
        "waived": task.waived_at is not None,
        "waived_by": task.waived_by,
        "waived_reason": task.waived_reason,
    }


def _audit(
    session: Session, task: Task, action: str, actor: str, now: datetime, before: dict[str, object]
) -> None:
    audit.record(
        session,
        now=now,
        actor=actor,
        action=action,
        entity="task",
        entity_id=task.id,
        unit_id=task.unit_id,
        before=before,
        after=_snapshot(task),
    )
