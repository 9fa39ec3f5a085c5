"""Counts of tasks by derived state, computed in the database.

The overview and unit pages summarise hundreds of thousands of tasks; loading every task to
call :func:`obligations.domain.status.task_status` on it would take seconds. The same decision
is written here as one SQL ``CASE`` over the task's dates, waiver, retirement and the number of
its qualifying records (all of them, and those recorded by the due date, in local time: the
``min_count``-th record was made by the due date exactly when at least ``min_count`` records
were). Tests check that these counts agree with :func:`obligations.services.tasks.list_tasks`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from typing import cast as cast_type

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.orm import Session, aliased

from obligations.domain.status import TaskStatus
from obligations.models import EvidenceRecord, Organization, OrgKind, Person, Task
from obligations.services.task_state import qualifying_filter
from obligations.timeutil import LOCAL_TZ

# Asia/Shanghai has had no daylight saving time since 1991: a fixed offset is exact.
_OFFSET = datetime(2026, 1, 1, tzinfo=UTC).astimezone(LOCAL_TZ).utcoffset() or timedelta()
_OFFSET_HOURS = int(_OFFSET.total_seconds()) // 3600
Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])
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
    state = status_expression(session, today=today, due_soon_days=due_soon_days, year=year)
    month = extract("month", Task.due_on)
    start, end = year_span(year)
    query = (
        select(Task.unit_id, month, state.label, func.count())
        .select_from(state.source)
        .where(Task.due_on.between(start, end))
        .group_by(Task.unit_id, month, state.label)
    )
    if unit_ids is not None:
        query = query.where(Task.unit_id.in_(list(unit_ids)))
    units = _units(session, unit_ids)
    summaries = {
        u.id: UnitSummary(u.id, u.code, u.name, Counts(), defaultdict(Counts)) for u in units
    }
    for unit_id, month_no, label, n in session.execute(query):
        summary = summaries.get(unit_id)
        if summary is None:
            continue
        status = TaskStatus(label)
        summary.counts.add(status, n)
        summary.months[int(month_no)].add(status, n)
    return list(summaries.values())


def item_counts(
    session: Session, *, year: int, today: date, due_soon_days: int, where: TaskFilter
) -> dict[str, Counts]:
    """Counts by state per ledger item, for the tasks ``where`` selects, due in ``year``."""
    state = status_expression(
        session, today=today, due_soon_days=due_soon_days, year=year, unit_id=where.unit_id
    )
    query = (
        select(Task.ledger_item, state.label, func.count())
        .select_from(state.source)
        .group_by(Task.ledger_item, state.label)
    )
    query = _filtered(query, where, year, state.label, statuses=False)
    counts: dict[str, Counts] = defaultdict(Counts)
    for item, label, n in session.execute(query):
        counts[item].add(TaskStatus(label), n)
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
    state = status_expression(
        session, today=today, due_soon_days=due_soon_days, year=year, unit_id=where.unit_id
    )
    org = aliased(Organization)
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
            state.label,
            state.done_count,
            Task.min_count,
        )
        .select_from(state.source)
        .join(org, org.id == Task.organization_id)
        .outerjoin(Person, Person.id == Task.person_id)
    )
    query = _filtered(query, where, year, state.label, statuses=True)
    total_query = _filtered(
        select(func.count()).select_from(state.source), where, year, state.label, statuses=True
    )
    total = session.scalar(total_query) or 0
    order = (Task.due_on,) if by_due_date else (Task.ledger_item, Task.due_on)
    page = query.order_by(*order, org.code, Task.id)
    rows = [
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
            done_count=int(r[10] or 0),
            min_count=r[11],
        )
        for r in session.execute(page.limit(limit).offset(offset))
    ]
    return rows, total


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


@dataclass(frozen=True)
class StatusExpression:
    source: Any  # the task table outer-joined to its record counts
    label: ColumnElement[str]
    done_count: ColumnElement[int]


def status_expression(
    session: Session,
    *,
    today: date,
    due_soon_days: int,
    year: int | None = None,
    unit_id: int | None = None,
) -> StatusExpression:
    """The SQL twin of :func:`obligations.domain.status.task_status`."""
    recorded_day = _local_day(session, EvidenceRecord.recorded_at)
    counts = (
        select(
            EvidenceRecord.task_id.label("task_id"),
            func.count().label("n"),
            func.sum(case((recorded_day <= Task.due_on, 1), else_=0)).label("n_on_time"),
        )
        .join(Task, Task.id == EvidenceRecord.task_id)
        .where(*qualifying_filter())  # type: ignore[arg-type]
        .group_by(EvidenceRecord.task_id)
    )
    if year is not None:
        start, end = year_span(year)
        counts = counts.where(Task.due_on.between(start, end))
    if unit_id is not None:
        counts = counts.where(Task.unit_id == unit_id)
    sub = counts.subquery("record_counts")
    n = func.coalesce(sub.c.n, 0)
    on_time = func.coalesce(sub.c.n_on_time, 0)
    soon = today + timedelta(days=due_soon_days)
    label = case(
        (and_(n >= Task.min_count, on_time >= Task.min_count), literal(TaskStatus.DONE.value)),
        (n >= Task.min_count, literal(TaskStatus.DONE_LATE.value)),
        (Task.retired_at.is_not(None), literal(TaskStatus.RETIRED.value)),
        (Task.waived_at.is_not(None), literal(TaskStatus.WAIVED.value)),
        (Task.opens_on > today, literal(TaskStatus.UPCOMING.value)),
        (Task.due_on < today, literal(TaskStatus.OVERDUE.value)),
        (Task.due_on <= soon, literal(TaskStatus.DUE_SOON.value)),
        else_=literal(TaskStatus.OPEN.value),
    )
    source = Task.__table__.outerjoin(sub, sub.c.task_id == Task.id)
    return StatusExpression(source=source, label=label, done_count=n)


def _filtered(
    select_: Q,
    where: TaskFilter,
    year: int | None,
    label: ColumnElement[str],
    *,
    statuses: bool,
) -> Q:
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
    if statuses and where.statuses:
        query = query.where(label.in_([s.value for s in where.statuses]))
    elif statuses:
        query = query.where(label != TaskStatus.RETIRED.value)
    return cast_type(Q, query)


def _local_day(session: Session, column: Any) -> ColumnElement[date]:
    if session.get_bind().dialect.name == "sqlite":
        # SQLite keeps the UTC wall time as text; shift it to local time and take the date.
        return func.date(column, f"+{_OFFSET_HOURS} hours")
    return cast(func.timezone(LOCAL_TZ.key, column), Date)


def _units(session: Session, unit_ids: Collection[int] | None) -> list[Organization]:
    query = select(Organization).where(
        Organization.kind.in_([OrgKind.GENERAL_BRANCH, OrgKind.DIRECT_BRANCH])
    )
    if unit_ids is not None:
        query = query.where(Organization.id.in_(list(unit_ids)))
    return list(session.scalars(query.order_by(Organization.code)))
