"""A unit page lists its tasks grouped by ledger item, whole groups a page, in the urgency order:
an item never shows "共 N" and lists fewer, no page opens empty, and filters count what they
list."""

from __future__ import annotations

import re
from datetime import date

import lxml.html
import pytest
from sqlalchemy import ColumnElement, and_, func, or_, select
from tests.web_support import WebWorld, web, world_template

from obligations.models import Organization, Task
from obligations.web import task_lists

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


def by_class(element: lxml.html.HtmlElement, tag: str, name: str) -> list[lxml.html.HtmlElement]:
    """The ``tag`` elements under ``element`` with class ``name``."""
    found: list[lxml.html.HtmlElement] = element.xpath(
        f".//{tag}[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]"
    )
    return found


def task_rows(element: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    return by_class(element, "tr", "task-row")


def cells(row: lxml.html.HtmlElement) -> list[str]:
    return [td.text_content().strip() for td in row.xpath("./td")]


def groups_of(html: str) -> list[tuple[str, int, list[str], list[tuple[str, int]]]]:
    """(item, its "共 N", the task ids it lists, its folds shown as links with their counts)
    for each item group of a page."""
    tree = lxml.html.fromstring(html)
    return [
        (
            group.get("data-item"),
            int(by_class(group, "span", "group-total")[0].text),
            [a.get("href") for row in task_rows(group) for a in row.xpath("./td[1]/a")],
            [
                (p.xpath("./a")[0].get("href"), int(by_class(p, "span", "fold-count")[0].text))
                for p in by_class(group, "p", "fold-link")
            ],
        )
        for group in by_class(tree, "details", "item-group")
    ]


def flat_total(client, href: str) -> int:  # type: ignore[no-untyped-def]
    match = re.search(r"共 (\d+) 项", client.get(href.replace("&amp;", "&")).text)
    assert match is not None, href
    return int(match[1])


def pager(html: str) -> tuple[int, int]:
    match = re.search(r"共 (\d+) 项.*第 \d+ / (\d+) 页", html)
    assert match is not None
    return int(match[1]), int(match[2])


def test_every_item_lists_all_it_counts_and_the_pages_cover_each_task_once(
    web: WebWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(task_lists, "GROUP_ROWS", 12)  # the small college on several pages
    client, _ = web.login("admin")
    first = client.get("/units/U01?year=2026")
    assert first.status_code == 200
    total, pages = pager(first.text)
    # Listed unless retired, and a retired task that was done stays listed (it is history).
    assert total == u01_tasks_of_2026(
        web, or_(Task.retired_at.is_(None), Task.done_on.is_not(None))
    )
    assert pages > 1
    seen: list[str] = []
    linked = 0
    for number in range(1, pages + 1):
        html = client.get(f"/units/U01?year=2026&page={number}").text
        groups = groups_of(html)
        assert groups, number  # no page opens empty
        for item, count, listed, links in groups:
            # "共 N": the tasks listed, and the folds that link to the rest with their counts.
            assert len(listed) + sum(n for _, n in links) == count, item
            for href, n in links:
                assert f"item={item}" in href and flat_total(client, href) == n
                linked += n
        seen += [href for _, _, listed, _ in groups for href in listed]
        assert f"第 {number} / {pages} 页" in html
        assert ('rel="next"' in html) == (number < pages)
    assert len(seen) == len(set(seen)) and len(seen) + linked == total and linked
    past = client.get(f"/units/U01?year=2026&page={pages + 5}")  # a stale link: the last page
    assert past.status_code == 200 and groups_of(past.text) == groups_of(html)


def test_a_unit_page_opens_on_the_item_with_a_task_due_now(web: WebWorld) -> None:
    client, _ = web.login("u01_manager")
    tree = lxml.html.fromstring(client.get("/units/U01").text)
    group = by_class(tree, "details", "item-group")[0]
    first = cells(task_rows(group)[0])
    assert first[3].startswith("2026-11") and first[4] in ("即将到期", "已逾期", "进行中")
    # Last month's overdue tasks of the item are folded under a count.
    fold = by_class(group, "details", "fold")[0]
    assert "open" not in fold.attrib
    assert re.match(r"更早逾期 \d+ 项", fold.xpath("./summary")[0].text_content())
    due = [cells(r)[3] for r in task_rows(fold)]
    assert due and all(d < "2026-11" for d in due)


def test_a_filtered_unit_page_counts_only_the_tasks_that_match(web: WebWorld) -> None:
    client, _ = web.login("admin")
    overdue = client.get("/units/U01?year=2026&state=overdue")
    total, _ = pager(overdue.text)
    still_open = and_(Task.done_on.is_(None), Task.retired_at.is_(None), Task.waived_at.is_(None))
    assert total == u01_tasks_of_2026(web, still_open, Task.due_on < TODAY)
    groups = groups_of(overdue.text)
    shown = sum(len(listed) for _, _, listed, _ in groups)
    linked = sum(n for _, _, _, links in groups for _, n in links)
    assert shown + linked == sum(count for _, count, _, _ in groups) == total and shown > 0
    assert overdue.text.count("已逾期</span>") == shown


def test_the_search_item_branch_and_sort_filters_narrow_and_order_the_unit_page(
    web: WebWorld,
) -> None:
    client, _ = web.login("admin")
    searched = lxml.html.fromstring(client.get("/units/U01?q=党日").text)
    titles = {cells(r)[0] for r in task_rows(searched)}
    assert titles == {"主题党日（党员活动日）"}
    item = lxml.html.fromstring(client.get("/units/U01?item=2.4&state=all").text)
    assert "2.4" in item.xpath("//h2")[0].text_content()  # one item: a flat list
    assert {cells(r)[0] for r in task_rows(item)} == {"中心组理论学习", "班子成员集中培训"}
    branch = lxml.html.fromstring(client.get("/units/U01?branch=U01-B01").text)
    orgs = {cells(r)[1].split(" · ")[0] for r in task_rows(branch)}
    assert orgs == {"U01-B01 组织"}
    by_due = lxml.html.fromstring(client.get("/units/U01?sort=due&item=4.3&page=2").text)
    due = [cells(r)[3] for r in task_rows(by_due)]
    assert due == sorted(due) and len(due) > 10


def test_unknown_sorts_bands_and_items_are_named_in_chinese(web: WebWorld) -> None:
    client, _ = web.login("admin")
    for query, words in (
        ("sort=fastest", ["未知的排序方式 fastest", "urgency（紧急程度）"]),
        ("urgency=later", ["未知的紧急程度 later", "older（更早逾期）"]),
        ("item=9.9", ["没有编号为 9.9 的台账条目"]),
        ("state=late", ["未知的任务状态 late", "overdue（已逾期）"]),
        ("branch=U02-B01", ["没有编号为 U02-B01 的支部"]),
    ):
        response = client.get(f"/units/U01?{query}")
        assert response.status_code == 400, query
        assert all(w in response.text for w in words), (query, response.text[-800:])
