"""The one task listing: `tasks list`, the export, the web pages, the calendar feed and the API.

Filtering, ordering and paging happen in SQL. A task's state is
:func:`obligations.tasks.state_sql.status_label` over its columns, its stored completion date
standing for its records (the decision of :data:`obligations.tasks.status.OUTCOMES`); its
urgency band is :func:`urgency_rank` over that state (the decision of
:func:`obligations.tasks.urgency.urgency_of`), so what is due now comes first everywhere.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any, TypeVar
from typing import cast as cast_type

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    SQLColumnExpression,
    and_,
    case,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.orm import Session, aliased

from obligations.models import EvidenceRecord, Organization, Person, Task
from obligations.rules.periods import period_text
from obligations.tasks.state import qualifying_filter
from obligations.tasks.state_sql import status_label
from obligations.tasks.status import SETTLED, TaskStatus
from obligations.tasks.urgency import Urgency, band_window, month_start, urgency_of

Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])
# Task ids per query when counting records (SQLite allows 32,766 bound parameters).
_CHUNK = 5_000

# The task's unit and the organization owing it (the same, or a branch of it); made once, as
# making an alias builds a proxy of every column.
_UNIT = aliased(Organization, name="unit")
_ORG = aliased(Organization, name="org")
_TASK_COLUMNS = (
    Task.id,
    Task.rule_id,
    Task.ledger_item,
    Task.unit_id,
    Task.organization_id,
    Task.period_key,
    Task.period_start,
    Task.period_end,
    Task.opens_on,
    Task.due_on,
    Task.min_count,
    Task.provisional,
    Task.waived_reason,
)


class TaskOrder(enum.Enum):
    URGENCY = "urgency"  # band, due date (see obligations.tasks.urgency), organization, id
    DUE = "due"  # due date, organization code, id: the feed
    DUE_DESC = "due_desc"  # latest due date first, organization code, id
    TITLE = "title"  # the rule's title, due date, organization code, id
    ORGANIZATION = "organization"  # organization code, due date, id
    DUE_BY_UNIT = "due_by_unit"  # due date, unit, organization, rule, id: the CLI, the export
    INDEX = "index"  # due date, id: the order of ix_task_unit_due_period (a unit's year)

    @property
    def label(self) -> str:
        return ORDER_LABELS.get(self, self.value)


# The orders a user can pick on the pages and in the API, with their names.
ORDER_LABELS = {
    TaskOrder.URGENCY: "紧急程度",
    TaskOrder.DUE: "截止日期（早→晚）",
    TaskOrder.DUE_DESC: "截止日期（晚→早）",
    TaskOrder.TITLE: "任务名称",
    TaskOrder.ORGANIZATION: "组织",
}
SORTS = tuple(ORDER_LABELS)


@dataclass(frozen=True)
class TaskFilter:
    """Which tasks: every given filter applies. ``due_within`` is an inclusive (first, last)
    due date window (:func:`year_span` for a year); ``visible`` is an access clause
    (:func:`obligations.accounts.access.task_clause`). With no ``statuses``, every state but
    retired (retired tasks appear when asked for by state, or when done: they are history).
    ``rule_ids`` and ``ledger_items`` None mean any (a title search gives the rules it matched,
    maybe none); ``urgencies`` keeps the tasks in these bands."""

    unit_id: int | None = None
    branch_id: int | None = None  # the organization owing the task (a branch, or the unit)
    rule_id: str | None = None
    person_id: int | None = None
    period_key: str | None = None
    due_within: tuple[date, date] | None = None
    statuses: Collection[TaskStatus] = ()
    ledger_items: Collection[str] | None = None
    rule_ids: Collection[str] | None = None
    urgencies: Collection[Urgency] = ()
    visible: ColumnElement[bool] = field(default_factory=true)


@dataclass(frozen=True)
class TaskView:
    id: int
    rule: str
    title: str
    ledger_item: str
    unit: str
    unit_name: str
    branch: str | None
    branch_name: str | None
    person: str | None
    person_name: str | None
    period_key: str
    period_start: date
    period_end: date
    opens_on: date
    due_on: date
    min_count: int
    status: TaskStatus
    provisional: bool
    done_count: int
    waived_reason: str | None
    urgency: Urgency

    @property
    def org_code(self) -> str:
        """The organization owing the task: its branch, else its unit."""
        return self.branch or self.unit

    @property
    def org_name(self) -> str:
        return self.branch_name or self.unit_name

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, date):
                data[key] = value.isoformat()
        data["status"] = self.status.value
        data["status_label"] = self.status.label
        data["urgency"] = self.urgency.value
        data["urgency_label"] = self.urgency.label
        data["period_label"] = period_text(self.period_key)
        return data


def year_span(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def urgency_rank(
    label: ColumnElement[str],
    *,
    today: date,
    due_on: SQLColumnExpression[date] = Task.due_on,
) -> ColumnElement[int]:
    """:attr:`Urgency.rank` of a task whose state is ``label`` on ``today`` (due on ``due_on``,
    the task's column or a tally's): the SQL form of
    :func:`obligations.tasks.urgency.urgency_of`."""
    older = and_(label == TaskStatus.OVERDUE.value, due_on < literal(month_start(today), Date()))
    return case(
        (label.in_([s.value for s in SETTLED]), Urgency.SETTLED.rank),
        (label == TaskStatus.UPCOMING.value, Urgency.UPCOMING.rank),
        (older, Urgency.OLDER.rank),
        else_=Urgency.NOW.rank,
    )


def _orders(
    order: TaskOrder, rank: ColumnElement[int], titles: Mapping[str, str]
) -> tuple[Any, ...]:
    unit, org = _UNIT, _ORG
    if order is TaskOrder.URGENCY:  # see obligations.tasks.urgency.urgency_key
        early = Urgency.UPCOMING.rank
        soonest = case((rank <= early, Task.due_on))
        latest = case((rank > early, Task.due_on))
        return (rank, soonest, latest.desc(), org.code, Task.id)
    if order is TaskOrder.TITLE:
        by_title = sorted(titles, key=lambda r: (titles[r], r))
        title = case({r: i for i, r in enumerate(by_title)}, value=Task.rule_id, else_=-1)
        return (title if by_title else literal(0), Task.rule_id, Task.due_on, org.code, Task.id)
    return {
        TaskOrder.DUE: (Task.due_on, org.code, Task.id),
        TaskOrder.DUE_DESC: (Task.due_on.desc(), org.code, Task.id),
        TaskOrder.ORGANIZATION: (org.code, Task.due_on, Task.id),
        TaskOrder.DUE_BY_UNIT: (Task.due_on, unit.code, org.code, Task.rule_id, Task.id),
        TaskOrder.INDEX: (Task.due_on, Task.id),
    }[order]


def list_tasks(
    session: Session,
    where: TaskFilter,
    *,
    today: date,
    due_soon_days: int,
    order: TaskOrder = TaskOrder.DUE,
    limit: int | None = None,
    offset: int = 0,
    titles: Mapping[str, str] | None = None,
) -> list[TaskView]:
    """A page (``limit`` rows from ``offset``; all when None) of the tasks ``where`` selects,
    in ``order``, with their state and urgency band on ``today``. ``titles`` maps rule ids to
    titles (a rule without one is titled by its id; :attr:`TaskOrder.TITLE` sorts by them,
    rules without a title first)."""
    label = status_label(today=today, due_soon_days=due_soon_days)
    rank = urgency_rank(label, today=today)
    unit, org = _UNIT, _ORG
    query = (
        select(
            *_TASK_COLUMNS,
            label.label("state"),
            unit.code.label("unit_code"),
            unit.name.label("unit_name"),
            org.code.label("org_code"),
            org.name.label("org_name"),
            Person.code.label("person_code"),
            Person.name.label("person_name"),
        )
        .join(unit, unit.id == Task.unit_id)
        .join(org, org.id == Task.organization_id)
        .outerjoin(Person, Person.id == Task.person_id)
    )
    query = filtered(query, where, label, rank).order_by(*_orders(order, rank, titles or {}))
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    found = session.execute(query).all()
    counts = _record_counts(session, [r.id for r in found])
    return [_view(r, counts.get(r.id, 0), titles or {}, today) for r in found]


def list_urgent(
    session: Session,
    where: TaskFilter,
    *,
    counts: Mapping[Urgency, int],
    today: date,
    due_soon_days: int,
    limit: int,
    offset: int = 0,
    titles: Mapping[str, str] | None = None,
) -> list[TaskView]:
    """:func:`list_tasks` in :attr:`TaskOrder.URGENCY` for a page, given how many tasks each
    band holds (``counts``, e.g. from :func:`obligations.tasks.dashboard.urgency_counts`):
    one query per band the page reaches, each bounded to its band's due dates and ordered by
    due date alone, so the database walks the due date index instead of sorting every task."""
    found: list[TaskView] = []
    for band in Urgency:
        if limit <= 0:
            break
        if offset >= counts.get(band, 0):
            offset -= counts.get(band, 0)
            continue
        late = band.rank > Urgency.UPCOMING.rank
        rows = list_tasks(
            session,
            replace(where, urgencies=[band], due_within=band_window(band, where.due_within, today)),
            today=today,
            due_soon_days=due_soon_days,
            order=TaskOrder.DUE_DESC if late else TaskOrder.DUE,
            limit=limit,
            offset=offset,
            titles=titles,
        )
        found += rows
        limit, offset = limit - len(rows), 0
    return found


def count_tasks(session: Session, where: TaskFilter, *, today: date, due_soon_days: int) -> int:
    """How many tasks ``where`` selects (their state on ``today`` deciding a status filter)."""
    label = status_label(today=today, due_soon_days=due_soon_days)
    rank = urgency_rank(label, today=today)
    query = filtered(select(func.count()).select_from(Task), where, label, rank)
    return session.scalar(query) or 0


def period_keys(session: Session, where: TaskFilter) -> list[str]:
    """The distinct period keys of the tasks ``where`` selects, whatever their state."""
    query = _scoped(select(Task.period_key), where).distinct().order_by(Task.period_key)
    return list(session.scalars(query))


def _view(row: Any, done_count: int, titles: Mapping[str, str], today: date) -> TaskView:
    """A row of :func:`list_tasks`'s query (unpacked by position: faster than by name)."""
    (
        task_id,
        rule_id,
        ledger_item,
        unit_id,
        org_id,
        period_key,
        period_start,
        period_end,
        opens_on,
        due_on,
        min_count,
        provisional,
        waived_reason,
        state,
        unit_code,
        unit_name,
        org_code,
        org_name,
        person,
        person_name,
    ) = row
    is_branch = org_id != unit_id
    status = TaskStatus(state)
    return TaskView(
        id=task_id,
        rule=rule_id,
        title=titles.get(rule_id, rule_id),
        ledger_item=ledger_item,
        unit=unit_code,
        unit_name=unit_name,
        branch=org_code if is_branch else None,
        branch_name=org_name if is_branch else None,
        person=person,
        person_name=person_name,
        period_key=period_key,
        period_start=period_start,
        period_end=period_end,
        opens_on=opens_on,
        due_on=due_on,
        min_count=min_count,
        status=status,
        provisional=provisional,
        done_count=done_count,
        waived_reason=waived_reason,
        urgency=urgency_of(status, due_on=due_on, today=today),
    )


def _record_counts(session: Session, task_ids: list[int]) -> dict[int, int]:
    """How many qualifying records each of these tasks has."""
    counts: dict[int, int] = {}
    for start in range(0, len(task_ids), _CHUNK):
        query = (
            select(EvidenceRecord.task_id, func.count())
            .where(
                *qualifying_filter(),  # type: ignore[arg-type]
                EvidenceRecord.task_id.in_(task_ids[start : start + _CHUNK]),
            )
            .group_by(EvidenceRecord.task_id)
        )
        counts.update((i, n) for i, n in session.execute(query) if i is not None)
    return counts


def filtered(
    select_: Q, where: TaskFilter, label: ColumnElement[str], rank: ColumnElement[int]
) -> Q:
    """``select_`` narrowed to the tasks ``where`` selects, ``label`` and ``rank`` being their
    state and band (:func:`status_label`, :func:`urgency_rank`): for counting queries."""
    query = _scoped(select_, where)
    if where.urgencies:
        query = query.where(rank.in_([u.rank for u in where.urgencies]))
    if where.statuses:
        return query.where(label.in_([s.value for s in where.statuses]))
    return query.where(label != TaskStatus.RETIRED.value)


def _scoped(select_: Q, where: TaskFilter) -> Q:
    """Every filter but the state."""
    query: Any = select_.where(where.visible)
    if where.due_within is not None:
        query = query.where(Task.due_on.between(*where.due_within))
    equal: list[tuple[Any, object]] = [
        (Task.unit_id, where.unit_id),
        (Task.organization_id, where.branch_id),
        (Task.rule_id, where.rule_id),
        (Task.person_id, where.person_id),
        (Task.period_key, where.period_key or None),
    ]
    for column, value in equal:
        if value is not None:
            query = query.where(column == value)
    if where.rule_ids is not None:
        query = query.where(Task.rule_id.in_(sorted(where.rule_ids)))
    if where.ledger_items is not None:
        query = query.where(Task.ledger_item.in_(sorted(where.ledger_items)))
    return cast_type(Q, query)
