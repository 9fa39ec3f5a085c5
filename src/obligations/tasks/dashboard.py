"""Counts of tasks by derived state, read from the tallies the database keeps.

The overview and unit pages summarise up to a million tasks; loading every task to call
:func:`obligations.tasks.status.task_status` on it would take seconds, and so would counting
them in SQL from their records. Two stored facts make it cheap (migrations 0007, 0011, 0013):
``Task.done_on`` (when the task reached its minimum count of qualifying records, kept by
:func:`obligations.tasks.state.refresh_done_on`) and the tallies
(:class:`~obligations.models.tasks.TaskTally`, :class:`~obligations.models.tasks.TaskItemTally`)
that database triggers keep per unit, due date, opening date and outcome. What a task's state
is on a given day is then one SQL ``CASE`` over a few thousand tally rows (counts) or over the
task's own columns (lists, :mod:`obligations.tasks.listing`), both built from the one
decision table (:mod:`obligations.tasks.state_sql`). Tests check that they agree with
:func:`obligations.tasks.status.task_status` deciding from the records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, Date, case, extract, func, literal, select, union_all
from sqlalchemy.orm import Session

from obligations.models import Organization, Task
from obligations.models.tasks import TaskItemTally, TaskTally
from obligations.tasks import listing
from obligations.tasks.listing import TaskFilter, TaskOrder, TaskView, urgency_rank, year_span
from obligations.tasks.ranking import Outcomes, Standing, rank_units
from obligations.tasks.state_sql import status_label, tally_label
from obligations.tasks.status import TaskStatus
from obligations.tasks.urgency import ItemGroup, Urgency
from obligations.vocabulary import OrgKind

COUNTED = (TaskStatus.OVERDUE, TaskStatus.DUE_SOON, TaskStatus.DONE, TaskStatus.DONE_LATE)


@dataclass
class Counts:
    by_status: dict[TaskStatus, int] = field(default_factory=dict)

    def __getitem__(self, status: TaskStatus) -> int:
        return self.by_status.get(status, 0)

    def add(self, status: TaskStatus, n: int) -> None:
        self.by_status[status] = self.by_status.get(status, 0) + n

    @property
    def done(self) -> int:
        return self[TaskStatus.DONE] + self[TaskStatus.DONE_LATE]

    @property
    def total(self) -> int:
        return sum(n for s, n in self.by_status.items() if s is not TaskStatus.RETIRED)

    @property
    def outcomes(self) -> Outcomes:
        """Done on time, late, missed (overdue) and still owed (upcoming, open, due soon);
        waived and retired tasks are not counted (:mod:`obligations.tasks.ranking`)."""
        owed = (TaskStatus.UPCOMING, TaskStatus.OPEN, TaskStatus.DUE_SOON)
        return Outcomes(
            on_time=self[TaskStatus.DONE],
            late=self[TaskStatus.DONE_LATE],
            missed=self[TaskStatus.OVERDUE],
            owed=sum(self[s] for s in owed),
        )


@dataclass
class UnitSummary:
    """A unit's counts of the tasks due in a year: in total, by due month, and of those due
    before the day asked about (``so_far``: what can be judged done or missed)."""

    unit_id: int
    code: str
    name: str
    counts: Counts
    months: dict[int, Counts]
    so_far: Counts = field(default_factory=Counts)


def unit_summaries(
    session: Session,
    *,
    year: int,
    today: date,
    due_soon_days: int,
    unit_ids: Collection[int] | None = None,
) -> list[UnitSummary]:
    """Per unit: counts by state of the tasks due in ``year``, in total, by due month and of
    those due before ``today``."""
    label = tally_label(TaskTally, today=today, due_soon_days=due_soon_days)
    month = extract("month", TaskTally.due_on)
    past = case((TaskTally.due_on < literal(today, Date()), 1), else_=0)
    start, end = year_span(year)
    query = (
        select(TaskTally.unit_id, month, label, past, func.sum(TaskTally.n))
        .where(TaskTally.due_on.between(start, end))
        .group_by(TaskTally.unit_id, month, label, past)
    )
    if unit_ids is not None:
        query = query.where(TaskTally.unit_id.in_(list(unit_ids)))
    units = _units(session, unit_ids)
    summaries = {
        u.id: UnitSummary(u.id, u.code, u.name, Counts(), defaultdict(Counts)) for u in units
    }
    for unit_id, month_no, state, before_today, n in session.execute(query):
        summary = summaries.get(unit_id)
        if summary is None:
            continue
        status = TaskStatus(state)
        summary.counts.add(status, int(n))
        summary.months[int(month_no)].add(status, int(n))
        if before_today:
            summary.so_far.add(status, int(n))
    return list(summaries.values())


def unit_standings(summaries: Collection[UnitSummary]) -> list[Standing]:
    """Each unit's ranked standing (:func:`obligations.tasks.ranking.rank_units`) from its
    counts: the tasks due before the day (done on time, late, missed) and those due soon."""
    return rank_units(
        Standing(
            code=s.code,
            name=s.name,
            so_far=s.so_far.outcomes,
            due_soon=s.counts[TaskStatus.DUE_SOON],
        )
        for s in summaries
    )


def overdue_counts(
    session: Session,
    *,
    due_within: tuple[date, date],
    today: date,
    due_soon_days: int,
    unit_ids: Collection[int] | None = None,
) -> dict[int, int]:
    """Per unit id: how many of its tasks due within ``due_within`` (inclusive) are overdue
    on ``today`` (past due, not done, not waived), from the unit tallies; units with none
    are left out."""
    label = tally_label(TaskTally, today=today, due_soon_days=due_soon_days)
    query = (
        select(TaskTally.unit_id, func.sum(TaskTally.n))
        .where(TaskTally.due_on.between(*due_within), label == TaskStatus.OVERDUE.value)
        .group_by(TaskTally.unit_id)
    )
    if unit_ids is not None:
        query = query.where(TaskTally.unit_id.in_(sorted(unit_ids)))
    return {unit: int(n) for unit, n in session.execute(query) if n}


def item_counts(
    session: Session, *, unit_id: int, year: int, today: date, due_soon_days: int
) -> dict[str, Counts]:
    """Counts by state per ledger item of the tasks of a unit due in ``year``.

    All of the unit's tasks are counted: callers show them only to those who see the whole
    unit (:func:`obligations.accounts.access.require_unit`).
    """
    label = tally_label(TaskItemTally, today=today, due_soon_days=due_soon_days)
    start, end = year_span(year)
    query = (
        select(TaskItemTally.ledger_item, label, func.sum(TaskItemTally.n))
        .where(TaskItemTally.unit_id == unit_id, TaskItemTally.due_on.between(start, end))
        .group_by(TaskItemTally.ledger_item, label)
    )
    counts: dict[str, Counts] = defaultdict(Counts)
    for item, state, n in session.execute(query):
        counts[item].add(TaskStatus(state), int(n))
    return dict(counts)


def task_urgency_counts(
    session: Session, where: TaskFilter, *, today: date, due_soon_days: int
) -> dict[Urgency, int]:
    """How many tasks ``where`` selects in each urgency band on ``today`` (every band)."""
    label = status_label(today=today, due_soon_days=due_soon_days)
    rank = listing.urgency_rank(label, today=today)
    query = listing.filtered(select(rank, func.count()).select_from(Task), where, label, rank)
    counts = dict.fromkeys(Urgency, 0)
    for band, n in session.execute(query.group_by(rank)):
        counts[Urgency.of_rank(int(band))] = int(n)
    return counts


def task_item_groups(
    session: Session, where: TaskFilter, *, today: date, due_soon_days: int
) -> dict[str, ItemGroup]:
    """The tasks ``where`` selects, grouped by ledger item: one aggregate query (counts and
    due date bounds per item, state and band), for paging whole groups
    (:func:`obligations.tasks.urgency.pack_groups`)."""
    label = status_label(today=today, due_soon_days=due_soon_days)
    rank = listing.urgency_rank(label, today=today)
    columns = (Task.ledger_item, label, rank)
    query = select(*columns, func.count(), func.min(Task.due_on), func.max(Task.due_on))
    query = listing.filtered(query, where, label, rank).group_by(*columns)
    rows: dict[str, list[tuple[TaskStatus, Urgency, int, date, date]]] = {}
    for item, state, band, n, earliest, latest in session.execute(query):
        found = (TaskStatus(state), Urgency.of_rank(int(band)), int(n), earliest, latest)
        rows.setdefault(item, []).append(found)
    return {item: ItemGroup.of(item, found) for item, found in rows.items()}


def item_groups(
    session: Session,
    *,
    unit_id: int,
    year: int,
    today: date,
    due_soon_days: int,
    statuses: Collection[TaskStatus] = (),
    urgencies: Collection[Urgency] = (),
    ledger_items: Collection[str] | None = None,
) -> dict[str, ItemGroup]:
    """:func:`task_item_groups` of a whole unit's tasks due in ``year``
    (filtered by state, band and item only), from the item tallies: no task row is read.
    Callers show them only to those who see the whole unit, as :func:`item_counts`."""
    label = tally_label(TaskItemTally, today=today, due_soon_days=due_soon_days)
    rank = urgency_rank(label, today=today, due_on=TaskItemTally.due_on)
    columns = (TaskItemTally.ledger_item, label, rank)
    due = TaskItemTally.due_on
    query = (
        select(*columns, func.sum(TaskItemTally.n), func.min(due), func.max(due))
        .where(TaskItemTally.unit_id == unit_id, due.between(*year_span(year)))
        .group_by(*columns)
    )
    if statuses:
        query = query.where(label.in_([s.value for s in statuses]))
    else:
        query = query.where(label != TaskStatus.RETIRED.value)
    if urgencies:
        query = query.where(rank.in_([u.rank for u in urgencies]))
    if ledger_items is not None:
        query = query.where(TaskItemTally.ledger_item.in_(sorted(ledger_items)))
    rows: dict[str, list[tuple[TaskStatus, Urgency, int, date, date]]] = defaultdict(list)
    for item, state, band, n, earliest, latest in session.execute(query):
        rows[item].append((TaskStatus(state), Urgency.of_rank(int(band)), int(n), earliest, latest))
    return {item: ItemGroup.of(item, found) for item, found in rows.items() if found}


def urgency_counts(
    session: Session,
    *,
    unit_ids: Collection[int] | None,
    today: date,
    due_soon_days: int,
    statuses: Collection[TaskStatus] = (),
    urgencies: Collection[Urgency] = (),
) -> dict[Urgency, int]:
    """:func:`task_urgency_counts` of every task of these units (None: of all units), filtered
    by state and band only, from the unit tallies: no task row is read."""
    label = tally_label(TaskTally, today=today, due_soon_days=due_soon_days)
    rank = urgency_rank(label, today=today, due_on=TaskTally.due_on)
    query = select(rank, func.sum(TaskTally.n)).group_by(rank)
    if unit_ids is not None:
        query = query.where(TaskTally.unit_id.in_(sorted(unit_ids)))
    if statuses:
        query = query.where(label.in_([s.value for s in statuses]))
    else:
        query = query.where(label != TaskStatus.RETIRED.value)
    if urgencies:
        query = query.where(rank.in_([u.rank for u in urgencies]))
    counts = dict.fromkeys(Urgency, 0)
    for band, n in session.execute(query):
        counts[Urgency.of_rank(int(band))] = int(n)
    return counts


def total_of(counts: dict[str, Counts], statuses: Collection[TaskStatus]) -> int:
    """How many tasks :func:`obligations.tasks.listing.count_tasks` finds for a whole unit
    (filtered by ``statuses`` alone), from its item counts."""
    if statuses:
        return sum(c[s] for c in counts.values() for s in statuses)
    return sum(c.total for c in counts.values())


def _units(session: Session, unit_ids: Collection[int] | None) -> list[Organization]:
    query = select(Organization).where(
        Organization.kind.in_([OrgKind.GENERAL_BRANCH, OrgKind.DIRECT_BRANCH])
    )
    if unit_ids is not None:
        query = query.where(Organization.id.in_(list(unit_ids)))
    return list(session.scalars(query.order_by(Organization.code)))


def first_overdue_by_unit(
    session: Session,
    *,
    unit_ids: Collection[int],
    due_within: tuple[date, date],
    visible: ColumnElement[bool],
    today: date,
    due_soon_days: int,
    per_unit: int,
    titles: Mapping[str, str],
) -> dict[str, list[TaskView]]:
    """By unit code: the first ``per_unit`` (by due date, the unit's own before its
    branches', rule) of the tasks of each of ``unit_ids``
    due within ``due_within`` (inclusive) that are overdue on ``today``, among those
    ``visible`` selects, in :attr:`TaskOrder.DUE_BY_UNIT`.

    Per unit, a subquery walks its due dates in the order of ``ix_task_unit_due_period`` and
    stops at ``per_unit`` overdue tasks (numbering a month's tasks of every unit with a
    window function reads each of them: 170 ms at 1,000,000 tasks); the subqueries go as one
    UNION ALL, then one query reads the rows (:func:`obligations.tasks.listing.list_tasks`)."""
    label = status_label(today=today, due_soon_days=due_soon_days)
    firsts = [
        select(Task.id)
        .where(Task.unit_id == unit_id, Task.due_on.between(*due_within), visible)
        .where(label == TaskStatus.OVERDUE.value)
        .order_by(Task.due_on, Task.organization_id, Task.rule_id, Task.id)
        .limit(per_unit)
        .subquery()
        for unit_id in sorted(unit_ids)
    ]
    if not firsts:
        return {}
    ids = list(session.scalars(union_all(*(select(first.c.id) for first in firsts))))
    if not ids:
        return {}
    rows = listing.list_tasks(
        session, TaskFilter(visible=Task.id.in_(ids)), today=today,
        due_soon_days=due_soon_days, order=TaskOrder.DUE_BY_UNIT, titles=titles,
    )  # fmt: skip
    found: dict[str, list[TaskView]] = defaultdict(list)
    for row in rows:
        found[row.unit].append(row)
    return dict(found)
