"""A stored task's derived state: its dates, its waiver and the records that qualify for it.

A record qualifies when it belongs to the task, is not withdrawn and not rejected. (Its held-on
date was checked against the task's period when it was recorded.)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from obligations.domain.status import TaskStatus, task_status
from obligations.models import EvidenceRecord, ReviewState, Task
from obligations.timeutil import local_date


def qualifying_filter() -> tuple[object, ...]:
    return (
        EvidenceRecord.task_id.is_not(None),
        EvidenceRecord.withdrawn_at.is_(None),
        EvidenceRecord.review_state != ReviewState.REJECTED,
    )


def recorded_on_by_task(
    session: Session, task_ids: Select[Any] | Iterable[int]
) -> dict[int, list[date]]:
    """For each task (given as ids or as a select of ids), the local dates its qualifying
    records were made on."""
    ids = task_ids if isinstance(task_ids, Select) else list(task_ids)
    query = select(EvidenceRecord.task_id, EvidenceRecord.recorded_at).where(
        *qualifying_filter(),  # type: ignore[arg-type]
        EvidenceRecord.task_id.in_(ids),
    )
    dates: dict[int, list[date]] = {}
    for task_id, recorded_at in session.execute(query):
        if task_id is not None:  # excluded by the filter; narrows the type
            dates.setdefault(task_id, []).append(local_date(recorded_at))
    return dates


def state_of(task: Task, recorded_on: list[date], *, today: date, due_soon_days: int) -> TaskStatus:
    return task_status(
        opens_on=task.opens_on,
        due_on=task.due_on,
        min_count=task.min_count,
        recorded_on=recorded_on,
        today=today,
        due_soon_days=due_soon_days,
        waived=task.waived_at is not None,
        retired=task.retired_at is not None,
    )


def task_state(session: Session, task: Task, *, today: date, due_soon_days: int) -> TaskStatus:
    recorded = recorded_on_by_task(session, [task.id]).get(task.id, [])
    return state_of(task, recorded, today=today, due_soon_days=due_soon_days)
