"""A unit page lists its tasks a page at a time, by due date, with links to the next page."""

from __future__ import annotations

import re

from tests.web_support import WebWorld, web, world_template

from obligations.web.pages_main import UNIT_PAGE_ROWS

__all__ = ["web", "world_template"]

TASK_LINK = re.compile(r'href="/tasks/(\d+)"')


def test_a_unit_page_is_paged_and_the_pages_hold_different_tasks(web: WebWorld) -> None:
    client, _ = web.login("admin")
    first = client.get("/units/U01?year=2026")
    assert first.status_code == 200
    match = re.search(r"共 (\d+) 项.*第 1 / (\d+) 页", first.text)
    assert match is not None
    total, pages = int(match[1]), int(match[2])
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
    shown = TASK_LINK.findall(overdue.text)
    assert len(shown) == min(int(match[1]), UNIT_PAGE_ROWS)
    assert overdue.text.count("已逾期</span>") == len(shown)
