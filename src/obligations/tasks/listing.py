"""Reading tasks with their derived state."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from obligations.lookup import organization_id
from obligations.models import Organization, Person, Task
from obligations.rules.catalog import Catalog
from obligations.tasks.state import recorded_on_by_task, state_of
from obligations.tasks.status import TaskStatus


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

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, date):
                data[key] = value.isoformat()
        data["status"] = self.status.value
        data["status_label"] = self.status.label
        return data


def list_tasks(
    session: Session,
    catalog: Catalog,
    *,
    today: date,
    due_soon_days: int,
    unit_code: str | None = None,
    rule_id: str | None = None,
    statuses: Collection[TaskStatus] = (),
) -> list[TaskView]:
    """Tasks ordered by due date, filtered by unit, rule and derived state.

    Retired tasks appear only when asked for by state (or when done: they are history).
    """
    unit, org = aliased(Organization), aliased(Organization)
    query = (
        select(Task, unit, org, Person)
        .join(unit, Task.unit_id == unit.id)
        .join(org, Task.organization_id == org.id)
        .outerjoin(Person, Task.person_id == Person.id)
        .order_by(Task.due_on, unit.code, org.code, Task.rule_id, Task.id)
    )
    if unit_code is not None:
        organization_id(session, unit_code)
        query = query.where(unit.code == unit_code)
    if rule_id is not None:
        query = query.where(Task.rule_id == rule_id)
    titles = {located.rule.id: located.rule.title for located in catalog.rules}
    recorded = recorded_on_by_task(session, query.with_only_columns(Task.id).order_by(None))
    views = []
    for task, unit_row, org_row, person in session.execute(query):
        status = state_of(task, recorded.get(task.id, []), today=today, due_soon_days=due_soon_days)
        wanted = status in statuses if statuses else status is not TaskStatus.RETIRED
        if not wanted:
            continue
        is_branch = org_row.id != unit_row.id
        views.append(
            TaskView(
                id=task.id,
                rule=task.rule_id,
                title=titles.get(task.rule_id, task.rule_id),
                ledger_item=task.ledger_item,
                unit=unit_row.code,
                unit_name=unit_row.name,
                branch=org_row.code if is_branch else None,
                branch_name=org_row.name if is_branch else None,
                person=person.code if person else None,
                person_name=person.name if person else None,
                period_key=task.period_key,
                period_start=task.period_start,
                period_end=task.period_end,
                opens_on=task.opens_on,
                due_on=task.due_on,
                min_count=task.min_count,
                status=status,
                provisional=task.provisional,
                done_count=len(recorded.get(task.id, [])),
                waived_reason=task.waived_reason,
            )
        )
    return views
