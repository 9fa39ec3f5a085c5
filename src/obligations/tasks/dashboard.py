"""Counts of tasks by derived state, read from the tallies the database keeps.

The overview and unit pages summarise up to a million tasks; loading every task to call
:func:`obligations.tasks.status.task_status` on it would take seconds, and so would counting
them in SQL from their records. Two stored facts make it cheap (see migration 0007):
``Task.done_on`` (when the task reached its minimum count of qualifying records, kept by
:func:`obligations.tasks.state.refresh_done_on`) and the tallies
(:class:`~obligations.models.tasks.TaskTally`, :class:`~obligations.models.tasks.TaskItemTally`)
that database triggers keep per unit, due date, opening date and outcome. What a task's state
is on a given day is then one SQL ``CASE`` over a few thousand tally rows (counts) or over the
task's own columns (lists). Tests check that both agree with
:func:`obligations.tasks.listing.list_tasks`, which decides from the records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal, TypeVar
from typing import cast as cast_type

from sqlalchemy import ColumnElement, Select, and_, case, extract, func, literal, select, true
from sqlalchemy.orm import Session, aliased

from obligations.models import EvidenceRecord, Organization, Person, Task
from obligations.models.tasks import TaskItemTally, TaskTally
from obligations.tasks.state import qualifying_filter
from obligations.tasks.status import TaskStatus
from obligations.vocabulary import OrgKind, TallyOutcome

Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])
_Order = Literal["item", "due", "index"]
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
    def completion_rate(self) -> float | None:
        """Done tasks among those done or overdue (what has come due so far); None if none."""
        base = self.done + self[TaskStatus.OVERDUE]
        return self.done / base if base else None


@dataclass
class UnitSummary:
    unit_id: int
    code: str
    name: str
    counts: Counts
    months: dict[int, Counts]


@dataclass(frozen=True)
class TaskFilter:
    unit_id: int | None = None
    branch_id: int | None = None
    period_key: str | None = None
    statuses: Collection[TaskStatus] = ()
    visible: ColumnElement[bool] = field(default_factory=true)


@dataclass(frozen=True)
class TaskRow:
    id: int
    rule: str
    ledger_item: str
    org_code: str
    org_name: str
    person_name: str | None
    period_key: str
    due_on: date
    provisional: bool
    status: TaskStatus
    done_count: int
    min_count: int


def year_span(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def unit_summaries(
    session: Session,
    *,
    year: int,
    today: date,
    due_soon_days: int,
    unit_ids: Collection[int] | None = None,
) -> list[UnitSummary]:
    """Per unit: counts by state of the tasks due in ``year``, in total and by due month."""
    label = tally_label(TaskTally, today=today, due_soon_days=due_soon_days)
    month = extract("month", TaskTally.due_on)
    start, end = year_span(year)
    query = (
        select(TaskTally.unit_id, month, label, func.sum(TaskTally.n))
        .where(TaskTally.due_on.between(start, end))
        .group_by(TaskTally.unit_id, month, label)
    )
    if unit_ids is not None:
        query = query.where(TaskTally.unit_id.in_(list(unit_ids)))
    units = _units(session, unit_ids)
    summaries = {
        u.id: UnitSummary(u.id, u.code, u.name, Counts(), defaultdict(Counts)) for u in units
    }
    for unit_id, month_no, state, n in session.execute(query):
        summary = summaries.get(unit_id)
        if summary is None:
            continue
        status = TaskStatus(state)
        summary.counts.add(status, int(n))
        summary.months[int(month_no)].add(status, int(n))
    return list(summaries.values())


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


def task_rows(
    session: Session,
    *,
    year: int | None,
    today: date,
    due_soon_days: int,
    where: TaskFilter,
    limit: int = 200,
    offset: int = 0,
    by_due_date: bool = False,
) -> tuple[list[TaskRow], int]:
    """A page of the tasks ``where`` selects (due in ``year``, or in any year when None) and
    how many there are."""
    label = status_label(today=today, due_soon_days=due_soon_days)
    total_query = _filtered(select(func.count()).select_from(Task), where, year, label)
    total = session.scalar(total_query) or 0
    order: _Order = "due" if by_due_date else "item"
    rows = _page(session, where, year, label, order=order, limit=limit, offset=offset)
    return rows, total


def unit_task_page(
    session: Session,
    *,
    year: int,
    today: date,
    due_soon_days: int,
    where: TaskFilter,
    limit: int,
    offset: int = 0,
) -> list[TaskRow]:
    """A page of a unit's tasks by due date, read along the (unit, due date) index: the
    page costs the same however many tasks the unit has."""
    label = status_label(today=today, due_soon_days=due_soon_days)
    return _page(session, where, year, label, order="index", limit=limit, offset=offset)


def total_of(counts: dict[str, Counts], statuses: Collection[TaskStatus]) -> int:
    """How many tasks :func:`count_tasks` finds for a whole unit, from its item counts."""
    if statuses:
        return sum(c[s] for c in counts.values() for s in statuses)
    return sum(c.total for c in counts.values())


def count_tasks(
    session: Session, *, year: int | None, today: date, due_soon_days: int, where: TaskFilter
) -> int:
    label = status_label(today=today, due_soon_days=due_soon_days)
    query = _filtered(select(func.count()).select_from(Task), where, year, label)
    return session.scalar(query) or 0


def period_keys(session: Session, *, year: int, where: TaskFilter) -> list[str]:
    start, end = year_span(year)
    query = (
        select(Task.period_key)
        .where(Task.due_on.between(start, end), where.visible)
        .distinct()
        .order_by(Task.period_key)
    )
    if where.unit_id is not None:
        query = query.where(Task.unit_id == where.unit_id)
    return list(session.scalars(query))


def status_label(*, today: date, due_soon_days: int) -> ColumnElement[str]:
    """The SQL twin of :func:`obligations.tasks.status.task_status`, over a task's columns
    (its stored completion date standing for its records)."""
    done = Task.done_on.is_not(None)
    return case(
        (and_(done, Task.done_on <= Task.due_on), literal(TaskStatus.DONE.value)),
        (done, literal(TaskStatus.DONE_LATE.value)),
        (Task.retired_at.is_not(None), literal(TaskStatus.RETIRED.value)),
        (Task.waived_at.is_not(None), literal(TaskStatus.WAIVED.value)),
        *_open_cases(Task.opens_on, Task.due_on, today, due_soon_days),
        else_=literal(TaskStatus.OPEN.value),
    )


def tally_label(
    tally: type[TaskTally] | type[TaskItemTally], *, today: date, due_soon_days: int
) -> ColumnElement[str]:
    """The state of the tasks a tally row counts: settled outcomes are states already (the
    trigger mirrors ``task_status``), open ones depend on the day."""
    return case(
        (tally.outcome != TallyOutcome.OPEN.value, tally.outcome),
        *_open_cases(tally.opens_on, tally.due_on, today, due_soon_days),
        else_=literal(TaskStatus.OPEN.value),
    )


def _open_cases(
    opens_on: Any, due_on: Any, today: date, due_soon_days: int
) -> list[tuple[ColumnElement[bool], ColumnElement[str]]]:
    soon = today + timedelta(days=due_soon_days)
    return [
        (opens_on > today, literal(TaskStatus.UPCOMING.value)),
        (due_on < today, literal(TaskStatus.OVERDUE.value)),
        (due_on <= soon, literal(TaskStatus.DUE_SOON.value)),
    ]


def _page(
    session: Session,
    where: TaskFilter,
    year: int | None,
    label: ColumnElement[str],
    *,
    order: _Order,
    limit: int,
    offset: int,
) -> list[TaskRow]:
    org = aliased(Organization)
    orders: dict[str, tuple[Any, ...]] = {
        "item": (Task.ledger_item, Task.due_on, org.code, Task.id),
        "due": (Task.due_on, org.code, Task.id),
        "index": (Task.due_on, Task.id),  # the order of ix_task_unit_due_period
    }
    query = (
        select(
            Task.id,
            Task.rule_id,
            Task.ledger_item,
            org.code,
            org.name,
            Person.name,
            Task.period_key,
            Task.due_on,
            Task.provisional,
            label,
            Task.min_count,
        )
        .join(org, org.id == Task.organization_id)
        .outerjoin(Person, Person.id == Task.person_id)
    )
    query = _filtered(query, where, year, label).order_by(*orders[order])
    found = session.execute(query.limit(limit).offset(offset)).all()
    counts = _record_counts(session, [r[0] for r in found])
    return [
        TaskRow(
            id=r[0],
            rule=r[1],
            ledger_item=r[2],
            org_code=r[3],
            org_name=r[4],
            person_name=r[5],
            period_key=r[6],
            due_on=r[7],
            provisional=r[8],
            status=TaskStatus(r[9]),
            done_count=counts.get(r[0], 0),
            min_count=r[10],
        )
        for r in found
    ]


def _record_counts(session: Session, task_ids: list[int]) -> dict[int, int]:
    """How many qualifying records each of these tasks (one page of them) has."""
    if not task_ids:
        return {}
    query = (
        select(EvidenceRecord.task_id, func.count())
        .where(*qualifying_filter(), EvidenceRecord.task_id.in_(task_ids))  # type: ignore[arg-type]
        .group_by(EvidenceRecord.task_id)
    )
    return {task_id: n for task_id, n in session.execute(query) if task_id is not None}


def _filtered(select_: Q, where: TaskFilter, year: int | None, label: ColumnElement[str]) -> Q:
    query: Any = select_.where(where.visible)
    if year is not None:
        start, end = year_span(year)
        query = query.where(Task.due_on.between(start, end))
    if where.unit_id is not None:
        query = query.where(Task.unit_id == where.unit_id)
    if where.branch_id is not None:
        query = query.where(Task.organization_id == where.branch_id)
    if where.period_key:
        query = query.where(Task.period_key == where.period_key)
    if where.statuses:
        query = query.where(label.in_([s.value for s in where.statuses]))
    else:
        query = query.where(label != TaskStatus.RETIRED.value)
    return cast_type(Q, query)


def _units(session: Session, unit_ids: Collection[int] | None) -> list[Organization]:
    query = select(Organization).where(
        Organization.kind.in_([OrgKind.GENERAL_BRANCH, OrgKind.DIRECT_BRANCH])
    )
    if unit_ids is not None:
        query = query.where(Organization.id.in_(list(unit_ids)))
    return list(session.scalars(query.order_by(Organization.code)))
