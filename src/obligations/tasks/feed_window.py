"""The tasks a personal calendar feed carries: a window of due dates around today, nearest first.

The window runs from :data:`PAST_DAYS` days before today (what is recently overdue or done
stays visible) to :data:`AHEAD_DAYS` days after it (a year ahead: the generation horizon
rarely reaches further, and a calendar looks no further either). At most :data:`FEED_EVENTS`
tasks are carried, the ones due nearest today: a college-wide user sees every task of the
college (1,477 due from 2026-09-01 on the demo, about 250,000 in the window at 1,000,000
tasks), which no calendar app can show usefully, and each event costs the server about
0.4 ms to write; a branch secretary (some 60 tasks a year) or a unit manager (about 600) is
never cut. The cut keeps the window nearest today, not its oldest part.

Both halves of the window are read by walking a due date index from today (forwards, and
backwards into the past) and stop after :data:`FEED_EVENTS` rows, so the cost follows the
events returned, not the tasks the user can see: ``ix_task_due`` for everyone, with
``ix_task_unit_due_period`` for a unit's users and ``ix_task_org_due`` / ``ix_task_person_due``
(migration 0018) for what a branch secretary owes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, func, select, union_all
from sqlalchemy.orm import Session

from obligations.models import EvidenceRecord, Task
from obligations.tasks.listing import TaskFilter, TaskOrder, TaskView, list_tasks

PAST_DAYS = 90
AHEAD_DAYS = 365
FEED_EVENTS = 300


def feed_window(today: date) -> tuple[date, date]:
    """The inclusive due date window of the feed on ``today``."""
    return today - timedelta(days=PAST_DAYS), today + timedelta(days=AHEAD_DAYS)


def nearest(rows: Sequence[TaskView], *, today: date, limit: int) -> list[TaskView]:
    """The ``limit`` rows due nearest ``today`` (on a tie, the coming one first, then by id),
    in due date order."""

    def distance(row: TaskView) -> tuple[int, bool, int]:
        return abs((row.due_on - today).days), row.due_on < today, row.id

    chosen = sorted(rows, key=distance)[:limit]
    return sorted(chosen, key=lambda row: (row.due_on, row.id))


def feed_tasks(
    session: Session,
    visible: ColumnElement[bool],
    *,
    today: date,
    due_soon_days: int,
    limit: int = FEED_EVENTS,
    titles: Mapping[str, str] | None = None,
) -> list[TaskView]:
    """The tasks ``visible`` selects (an access clause) in :func:`feed_window`, at most
    ``limit`` of them, those due nearest ``today``, in due date order; retired tasks are left
    out as in every list. Two bounded reads of :func:`list_tasks`: from today forwards and from
    yesterday backwards, each ``limit`` rows at most."""
    first, last = feed_window(today)
    halves = (
        ((today, last), TaskOrder.INDEX),
        ((first, today - timedelta(days=1)), TaskOrder.INDEX_DESC),
    )
    rows: list[TaskView] = []
    for window, order in halves:
        rows += list_tasks(
            session,
            TaskFilter(visible=visible, due_within=window),
            today=today,
            due_soon_days=due_soon_days,
            order=order,
            limit=limit,
            titles=titles,
        )
    return nearest(rows, today=today, limit=limit)


def last_change(session: Session, task_ids: Sequence[int]) -> datetime | None:
    """The latest instant (aware UTC) any of these tasks or their evidence records changed: a
    task's ``updated_at`` (generation, waivers), a record's making, review or withdrawal.
    None for no tasks."""
    if not task_ids:
        return None
    ids = list(task_ids)
    records = EvidenceRecord.task_id.in_(ids)
    instants = union_all(
        select(func.max(Task.updated_at).label("at")).where(Task.id.in_(ids)),
        select(func.max(EvidenceRecord.recorded_at)).where(records),
        select(func.max(EvidenceRecord.reviewed_at)).where(records),
        select(func.max(EvidenceRecord.withdrawn_at)).where(records),
    ).subquery()
    found = [at for at in session.scalars(select(instants.c.at)) if at is not None]
    return max(found, default=None)
