"""我的任务 and the task API in the urgency order: what is due now first, older overdue folded
under a count, paged instead of cut off, with the same filters, search and sorts."""

from __future__ import annotations

import re
from datetime import date

import lxml.html
from sqlalchemy import func, select
from tests.test_web_unit_page import by_class, cells, task_rows
from tests.web_support import WebWorld, web, world_template

from obligations.models import Task
from obligations.tasks.listing import SORTS
from obligations.tasks.urgency import Urgency
from obligations.web.api import ApiSort
from obligations.web.task_lists import FLAT_ROWS as MY_ROWS
from obligations.web.task_lists import FOLD_ROWS

__all__ = ["web", "world_template"]

BAND_RANK = {u.value: u.rank for u in Urgency}


def page_of(client, path: str) -> lxml.html.HtmlElement:  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 200, response.text[-500:]
    return lxml.html.fromstring(response.text)


def test_a_branch_secretary_sees_this_months_tasks_first_and_older_ones_folded(
    web: WebWorld,
) -> None:
    client, _ = web.login("b1_secretary")
    tree = page_of(client, "/my")
    main = tree.xpath("//main")[0]
    first_table = main.xpath(".//table")[0]
    rows = [cells(r) for r in task_rows(first_table)]
    assert rows and all(r[3] >= "2026-11" for r in rows)  # nothing from before this month
    assert rows[0][2] == "2026年11月" and rows[0][4] == "即将到期"
    fold = tree.xpath("//details[@id='older-overdue']")[0]
    count = int(re.search(r"更早逾期 (\d+) 项", fold.text_content())[1])  # type: ignore[index]
    folded = task_rows(fold)
    assert len(folded) == count and all(cells(r)[4] == "已逾期" for r in folded)
    assert f'href="/tasks/{web.ids["task_b1"]}"' in lxml.html.tostring(fold, encoding=str)
    due = [cells(r)[3] for r in folded]
    assert due == sorted(due, reverse=True)  # the most recent first
    assert "仅显示前" not in lxml.html.tostring(tree, encoding=str)


def pages_of(client, path: str) -> tuple[int, list[lxml.html.HtmlElement]]:  # type: ignore[no-untyped-def]
    """The "共 N 项" of a paged list and each of its pages."""
    first = client.get(path)
    match = re.search(r"共 (\d+) 项(，每页 (\d+) 项；第 1 / (\d+) 页)?", first.text)
    assert match is not None, path
    assert match[2] is None or int(match[3]) == MY_ROWS
    count = int(match[4] or 1)
    glue = "&" if "?" in path else "?"
    pages = [page_of(client, f"{path}{glue}page={n}") for n in range(1, count + 1)]
    return int(match[1]), pages


def listed(tree: lxml.html.HtmlElement, *, folded: bool = False) -> list[str]:
    """The task links of a page, outside the fold (or inside it)."""
    inside = "ancestor::details[@id='older-overdue']"
    return [
        a.get("href")
        for r in task_rows(tree)
        for a in r.xpath("./td[1]/a")
        if bool(r.xpath(inside)) == folded
    ]


def test_the_administrators_tasks_are_paged_not_cut_off(web: WebWorld) -> None:
    client, _ = web.login("admin")
    owed = page_of(client, "/my")  # what is owed now, the older overdue folded
    fold = owed.xpath("//details[@id='older-overdue']")[0]
    folded = int(re.search(r"更早逾期 (\d+) 项", fold.text_content())[1])  # type: ignore[index]
    assert folded > FOLD_ROWS and len(listed(owed, folded=True)) == FOLD_ROWS
    assert fold.xpath(f".//a[@href='/my?urgency=older'][contains(., '查看全部 {folded} 项')]")
    with web.sessions() as db:  # every task still owed (open, due soon or overdue)
        owed_count = db.scalar(
            select(func.count())
            .select_from(Task)
            .where(Task.done_on.is_(None), Task.retired_at.is_(None), Task.waived_at.is_(None))
            .where(Task.opens_on <= date(2026, 11, 25))
        )
    assert len(listed(owed)) + folded == owed_count
    total, older = pages_of(client, "/my?urgency=older")  # the fold's "查看全部", paged
    seen = [href for tree in older for href in listed(tree)]
    assert total == folded == len(seen) == len(set(seen)) and len(older) > 1
    assert all(listed(tree) for tree in older)  # no empty page
    everything, pages = pages_of(client, "/my?state=all")
    shown = [href for tree in pages for href in listed(tree)]
    assert len(shown) == len(set(shown)) and len(shown) + folded == everything
    with_fold = [n for n, tree in enumerate(pages) if tree.xpath("//details[@id='older-overdue']")]
    assert len(with_fold) == 1  # the fold sits once, after the current and upcoming tasks
    assert "仅显示前" not in client.get("/my").text


def test_my_tasks_filter_search_and_sort(web: WebWorld) -> None:
    client, _ = web.login("admin")
    searched = page_of(client, "/my?q=党日&state=all")
    assert {cells(r)[0] for r in task_rows(searched)} == {"主题党日（党员活动日）"}
    settled = page_of(client, "/my?state=done")
    assert {cells(r)[4] for r in task_rows(settled)} == {"已完成"}
    by_title = page_of(client, "/my?sort=title&state=all")
    titles = [cells(r)[0] for r in task_rows(by_title)]
    assert titles == sorted(titles) and not by_class(by_title, "details", "fold")
    branch = page_of(client, "/my?branch=U01-B02&state=all")
    assert {cells(r)[1].split(" · ")[0] for r in task_rows(branch)} == {"U01-B02 组织"}
    period = page_of(client, "/my?period=2026-10&state=all")
    assert {cells(r)[2] for r in task_rows(period)} == {"2026年10月"}
    item = page_of(client, "/my?item=2.4&state=all")
    assert {cells(r)[0] for r in task_rows(item)} <= {"中心组理论学习", "班子成员集中培训"}
    assert client.get("/my?all=1").status_code == 200  # the old link still works
    manager, _ = web.login("u01_manager")
    outside = manager.get("/my?branch=U02")
    assert outside.status_code == 400 and "没有编号为 U02 的组织" in outside.text


def test_the_api_lists_in_the_urgency_order_with_the_pages_filters(web: WebWorld) -> None:
    api = web.api("u01_manager")
    listed = api.get("/api/tasks", params={"limit": 1000}).json()
    ranks = [BAND_RANK[t["urgency"]] for t in listed["items"]]
    assert ranks == sorted(ranks) and set(ranks) == {0, 1, 2, 3}
    assert listed["items"][0]["urgency_label"] == "当前"
    older = api.get("/api/tasks", params={"urgency": "older", "limit": 1000}).json()
    assert older["total"] == ranks.count(Urgency.OLDER.rank) == len(older["items"])
    found = api.get("/api/tasks", params={"q": "党日", "branch": "U01-B01", "item": "4.3"}).json()
    assert found["total"] > 0 and {
        (t["title"], t["organization"], t["ledger_item"]) for t in found["items"]
    } == {("主题党日（党员活动日）", "U01-B01", "4.3")}
    latest = api.get("/api/tasks", params={"sort": "due_desc", "period": "2026-10"}).json()
    due = [t["due_on"] for t in latest["items"]]
    assert due == sorted(due, reverse=True) and {t["period_key"] for t in latest["items"]} == {
        "2026-10"
    }
    assert api.get("/api/tasks", params={"sort": "fastest"}).status_code == 422
    assert api.get("/api/tasks", params={"item": "9.9"}).status_code == 400


def test_the_openapi_documents_the_task_lists_order_and_filters(web: WebWorld) -> None:
    spec = web.client.get("/api/openapi.json").json()
    operation = spec["paths"]["/api/tasks"]["get"]
    assert "紧急程度" in operation["description"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert {"q", "item", "branch", "period", "urgency", "sort", "status"} <= set(params)
    sort_schema = spec["components"]["schemas"]["ApiSort"]
    assert sort_schema["enum"] == [o.value for o in SORTS] == [s.value for s in ApiSort]
    assert "urgency" in spec["components"]["schemas"]["TaskOut"]["properties"]
