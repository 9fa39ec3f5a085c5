"""The tasks a personal calendar feed carries: a window of due dates around today, nearest first.

The window runs from :data:`PAST_DAYS` days before today (what is recently overdue or done
stays visible) to :data:`AHEAD_DAYS` days after it (a year ahead: the generation horizon
rarely reaches further, and a calendar looks no further either). At most :data:`FEED_EVENTS`
tasks are carried, the ones due nearest today: a college-wide user sees every task of the
college (1,477 due from 2026-09-01 on the demo, about 250,000 in the window at 1,000,000
tasks), which no calendar app can show usefully, and each event costs the server about
0.04 ms to read and write (issue 15); a branch secretary (some 60 tasks a year) or a unit
manager (about 600) is never cut. The cut keeps the window nearest today, not its oldest part.

Both halves of the window are read (ids, due dates and rules only) by walking a due date index
from today (forwards, and backwards into the past) and stop after :data:`FEED_EVENTS` rows,
then only the chosen tasks are read in full, so the cost follows the events returned, not the
tasks the user can see: ``ix_task_due`` for everyone, with
``ix_task_unit_due_period`` for a unit's users and ``ix_task_org_due`` / ``ix_task_person_due``
(migration 0016) for what a branch secretary owes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, func, select, union_all
from sqlalchemy.orm import Session

from obligations.models import EvidenceRecord, Organization, Task
from obligations.tasks.listing import (
    TaskFilter,
    TaskOrder,
    TaskView,
    filtered,
    list_tasks,
    urgency_rank,
)
from obligations.tasks.state_sql import status_label

PAST_DAYS = 90
AHEAD_DAYS = 365
FEED_EVENTS = 300


def feed_window(today: date) -> tuple[date, date]:
    """The inclusive due date window of the feed on ``today``."""
    return today - timedelta(days=PAST_DAYS), today + timedelta(days=AHEAD_DAYS)


@dataclass(frozen=True)
class FeedPick:
    """The tasks a feed carries, chosen without reading them: their ids, due dates and rules
    (due date order), and the latest change of anything their events are written from."""

    tasks: list[tuple[int, date, str]]
    changed_at: datetime | None

    @property
    def ids(self) -> list[int]:
        return [task_id for task_id, _, _ in self.tasks]


def pick_feed(
    session: Session,
    lanes: Sequence[ColumnElement[bool]],
    *,
    today: date,
    due_soon_days: int,
    limit: int = FEED_EVENTS,
) -> FeedPick:
    """The tasks any of ``lanes`` selects (access clauses, e.g. one per organization the user
    owes for: each lane is read on its own index) in :func:`feed_window`, at most ``limit``
    of them, those due nearest ``today`` (on a tie, the coming one first); retired tasks are
    left out as in every list. Per lane, two reads of ids and dates on a due date index, from
    today forwards and from yesterday backwards, ``limit`` rows each at most; then
    :func:`last_change` of the chosen ones."""
    first, last = feed_window(today)
    label = status_label(today=today, due_soon_days=due_soon_days)
    rank = urgency_rank(label, today=today)
    halves = (
        ((today, last), (Task.due_on, Task.id)),
        ((first, today - timedelta(days=1)), (Task.due_on.desc(), Task.id.desc())),
    )
    found: set[tuple[int, date, str]] = set()
    for lane in lanes:
        for window, order in halves:
            where = TaskFilter(visible=lane, due_within=window)
            query = select(Task.id, Task.due_on, Task.rule_id)
            query = filtered(query, where, label, rank).order_by(*order).limit(limit)
            found.update((task_id, due, rule) for task_id, due, rule in session.execute(query))

    def distance(task: tuple[int, date, str]) -> tuple[int, bool, int]:
        return abs((task[1] - today).days), task[1] < today, task[0]

    chosen = sorted(sorted(found, key=distance)[:limit], key=lambda task: (task[1], task[0]))
    return FeedPick(chosen, last_change(session, [task_id for task_id, _, _ in chosen]))


def feed_rows(
    session: Session,
    pick: FeedPick,
    *,
    today: date,
    due_soon_days: int,
    titles: Mapping[str, str] | None = None,
) -> list[TaskView]:
    """The picked tasks as :func:`list_tasks` rows, in due date order."""
    if not pick.tasks:
        return []
    return list_tasks(
        session,
        TaskFilter(visible=Task.id.in_(pick.ids)),
        today=today,
        due_soon_days=due_soon_days,
        order=TaskOrder.INDEX,
        titles=titles,
    )


def feed_tasks(
    session: Session,
    visible: ColumnElement[bool],
    *,
    today: date,
    due_soon_days: int,
    limit: int = FEED_EVENTS,
    titles: Mapping[str, str] | None = None,
) -> list[TaskView]:
    """:func:`pick_feed` of the one lane ``visible``, then :func:`feed_rows`."""
    pick = pick_feed(session, [visible], today=today, due_soon_days=due_soon_days, limit=limit)
    return feed_rows(session, pick, today=today, due_soon_days=due_soon_days, titles=titles)


def last_change(session: Session, task_ids: Sequence[int]) -> datetime | None:
    """The latest instant (aware UTC) anything the events of these tasks are written from
    changed: a task's ``updated_at`` (generation, waivers), a record's making, review or
    withdrawal, an organization's ``updated_at`` (its name). None for no tasks."""
    if not task_ids:
        return None
    ids = list(task_ids)
    records = EvidenceRecord.task_id.in_(ids)
    instants = union_all(
        select(func.max(Task.updated_at).label("at")).where(Task.id.in_(ids)),
        select(func.max(EvidenceRecord.recorded_at)).where(records),
        select(func.max(EvidenceRecord.reviewed_at)).where(records),
        select(func.max(EvidenceRecord.withdrawn_at)).where(records),
        select(func.max(Organization.updated_at)),
    ).subquery()
    found = [at for at in session.scalars(select(instants.c.at)) if at is not None]
    return max(found, default=None)
