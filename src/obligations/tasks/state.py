"""A stored task's derived state: its dates, its waiver and the records that qualify for it.

A record qualifies when it belongs to the task, is not withdrawn, not rejected and carries a
file unless the task's rule expects none (:func:`obligations.tasks.status.qualifies`). (Its
held-on date was checked against the task's period when it was recorded.)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Select, exists, or_, select, update
from sqlalchemy.orm import Session

from obligations.models import EvidenceFile, EvidenceRecord, Task
from obligations.tasks.stamps import delete_stamps
from obligations.tasks.status import TaskStatus, completed_on, task_status
from obligations.timeutil import local_date
from obligations.vocabulary import ReviewState

# Ids per query when refreshing many tasks (SQLite allows 32,766 bound parameters).
_CHUNK = 5_000


def qualifying_filter() -> tuple[object, ...]:
    """:func:`obligations.tasks.status.qualifies` as conditions on ``EvidenceRecord``."""
    # Both correlated to the record (an index or key lookup each), never a scan of all tasks.
    # OFFSET 0 keeps them so on PostgreSQL, which otherwise turns an EXISTS under OR into a
    # hash of the whole subquery: every evidence file hashed for each list page or feed,
    # 15 ms for 300 tasks at 33,000 files and growing with the files, against 1.9 ms looking
    # each record up (and 6.4 against 13 ms for 5,000 tasks). SQLite reads them per row anyway.
    has_file = exists(
        select(EvidenceFile.id).where(EvidenceFile.record_id == EvidenceRecord.id).offset(0)
    )
    no_file_needed = exists(
        select(Task.id)
        .where(Task.id == EvidenceRecord.task_id, Task.file_required.is_(False))
        .offset(0)
    )
    return (
        EvidenceRecord.task_id.is_not(None),
        EvidenceRecord.withdrawn_at.is_(None),
        EvidenceRecord.review_state != ReviewState.REJECTED,
        or_(has_file, no_file_needed),
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


def refresh_done_on(session: Session, task_ids: Iterable[int]) -> None:
    """Recompute the stored ``Task.done_on`` of these tasks from their qualifying records.

    Every change to a task's records or to its ``min_count`` calls this in the same
    transaction, so the stored date (and the tallies the database derives from it) never
    disagree with the records. The tasks are locked first: a concurrent transaction adding a
    record to the same task waits, then reads this one's records once committed. A task that
    stops being complete follows its rule again (:mod:`obligations.tasks.reconcile` leaves a
    completed one as it is): its rule's generation stamp is dropped, so the next generation
    re-plans that rule in that unit.
    """
    ids = sorted(set(task_ids))
    if not ids:
        return
    session.flush()
    for start in range(0, len(ids), _CHUNK):
        _refresh(session, ids[start : start + _CHUNK])


def _refresh(session: Session, ids: list[int]) -> None:
    stored = session.execute(
        select(Task.id, Task.min_count, Task.done_on, Task.rule_id, Task.unit_id)
        .where(Task.id.in_(ids))
        .order_by(Task.id)
        .with_for_update()
    ).all()
    recorded = recorded_on_by_task(session, ids)
    changed = []
    reopened: set[tuple[str, int]] = set()
    for task_id, min_count, old, rule_id, unit_id in stored:
        done_on = completed_on(recorded.get(task_id, []), min_count)
        if done_on != old:
            changed.append({"id": task_id, "done_on": done_on})
            if done_on is None:
                reopened.add((rule_id, unit_id))
    if not changed:
        return
    session.execute(update(Task), changed)
    delete_stamps(session, reopened)
    for row in changed:  # loaded tasks must not keep the old date
        task = session.identity_map.get(session.identity_key(Task, row["id"]))
        if task is not None:
            session.expire(task, ["done_on"])


def state_of(task: Task, recorded_on: list[date], *, today: date, due_soon_days: int) -> TaskStatus:
    return task_status(
        opens_on=task.opens_on,
        due_on=task.due_on,
        nominal_due_on=task.nominal_due_on,
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
