"""A unit page lists its tasks a page at a time, by due date, with links to the next page."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import ColumnElement, and_, func, or_, select
from tests.web_support import WebWorld, web, world_template

from obligations.models import Organization, Task
from obligations.web.pages_main import UNIT_PAGE_ROWS

__all__ = ["web", "world_template"]

TASK_LINK = re.compile(r'href="/tasks/(\d+)"')
TODAY = date(2026, 11, 25)  # the web world's clock


def u01_tasks_of_2026(web: WebWorld, *where: ColumnElement[bool]) -> int:
    """How many tasks of U01 due in 2026 match ``where``, counted straight from the table."""
    with web.sessions() as db:
        unit = select(Organization.id).where(Organization.code == "U01").scalar_subquery()
        query = select(func.count()).select_from(Task).where(Task.unit_id == unit)
        query = query.where(Task.due_on.between(date(2026, 1, 1), date(2026, 12, 31)), *where)
        return db.scalar(query) or 0


def test_a_unit_page_is_paged_and_the_pages_hold_different_tasks(web: WebWorld) -> None:
    client, _ = web.login("admin")
    first = client.get("/units/U01?year=2026")
    assert first.status_code == 200
    match = re.search(r"共 (\d+) 项.*第 1 / (\d+) 页", first.text)
    assert match is not None
    total, pages = int(match[1]), int(match[2])
    # Listed unless retired, and a retired task that was done stays listed (it is history).
    assert total == u01_tasks_of_2026(
        web, or_(Task.retired_at.is_(None), Task.done_on.is_not(None))
    )
    assert pages == -(-total // UNIT_PAGE_ROWS) and pages > 1
    assert 'href="/units/U01?year=2026&amp;page=2" rel="next"' in first.text
    second = client.get("/units/U01?year=2026&page=2")
    assert second.status_code == 200
    assert "第 2 / " in second.text and 'rel="prev"' in second.text
    on_first = set(TASK_LINK.findall(first.text))
    on_second = set(TASK_LINK.findall(second.text))
    assert len(on_first) == UNIT_PAGE_ROWS
    assert on_second and not on_first & on_second


def test_a_filtered_unit_page_counts_only_the_tasks_that_match(web: WebWorld) -> None:
    client, _ = web.login("admin")
    overdue = client.get("/units/U01?year=2026&state=overdue")
    match = re.search(r"共 (\d+) 项", overdue.text)
    assert match is not None
    still_open = and_(Task.done_on.is_(None), Task.retired_at.is_(None), Task.waived_at.is_(None))
    assert int(match[1]) == u01_tasks_of_2026(web, still_open, Task.due_on < TODAY)
    shown = TASK_LINK.findall(overdue.text)
    assert len(shown) == min(int(match[1]), UNIT_PAGE_ROWS)
    assert overdue.text.count("已逾期</span>") == len(shown)
