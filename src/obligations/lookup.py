"""Finding an organization or a task by what a user typed, or saying clearly that none exists.

Shared by the services so every "not found" reads the same. (Access-scoped lookups for the web
are in :mod:`obligations.accounts.access`.)
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from obligations.errors import NotFound
from obligations.models import Organization, Task


def find_unit(session: Session, unit_code: str) -> Organization:
    """A 党总支 or 直属党支部 by its code."""
    unit = session.scalar(select(Organization).where(Organization.code == unit_code))
    if unit is None or not unit.kind.is_unit:
        raise NotFound(f"没有编号为 {unit_code} 的党总支或直属党支部")
    return unit


def organization_id(session: Session, code: str) -> int:
    """The id of any organization by its code (a filter accepts units and branches alike)."""
    found = session.scalar(select(Organization.id).where(Organization.code == code))
    if found is None:
        raise NotFound(f"没有编号为 {code} 的单位")
    return found


def get_task(session: Session, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"没有编号为 {task_id} 的任务")
    return task
