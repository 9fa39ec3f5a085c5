"""What is due now comes first, in a real browser (Debian's chromium), on a desktop and a phone.

A branch secretary signs in and sees this month's task as the first card on "我的任务", above
the fold on a 390x844 phone, with labelled fields; last month's overdue tasks are folded under
a count that opens without JavaScript. A unit manager's unit page opens on an item with a task
due now, the current task first. Screenshots are kept in the test's tmp_path and under
test-artifacts/browser/.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from tests.test_web_browser import ARTIFACTS, CHROMIUM, server, sign_in
from tests.web_support import world_template

__all__ = ["server", "world_template"]

SIZES = {"desktop": (1440, 900), "phone": (390, 844)}
THIS_MONTH = "2026年11月"  # the web world's clock: 2026-11-25


def keep(page: Any, tmp: Path, name: str) -> None:
    """Screenshots of the window (what shows before scrolling) and of the full page, in
    ``tmp`` (the test's artifacts) with copies under ARTIFACTS."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for shot, full in ((tmp / f"{name}-window.png", False), (tmp / f"{name}.png", True)):
        page.screenshot(path=str(shot), full_page=full)
        shutil.copyfile(shot, ARTIFACTS / shot.name)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_branch_secretary_sees_this_months_task_first(
    server: tuple[str, dict[str, int], Path], size: str
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, ids, tmp = server
    width, height = SIZES[size]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        context = browser.new_context(
            viewport={"width": width, "height": height},
            is_mobile=size == "phone",
            java_script_enabled=False,  # the fold and the filters work without JavaScript
        )
        page = context.new_page()
        sign_in(page, base, "b1_secretary")
        page.wait_for_url(re.compile(r"/units/|/my"))
        page.goto(f"{base}/my")
        first = page.locator("tr.task-row").first
        cells = first.locator("td")
        assert cells.nth(2).inner_text().endswith(THIS_MONTH)  # 周期
        assert cells.nth(4).inner_text().strip() in ("即将到期", "进行中")
        box = first.bounding_box()
        assert box is not None and box["y"] + box["height"] <= height  # above the fold
        keep(page, tmp, f"my-tasks-{size}")
        if size == "phone":  # labelled fields on the card
            labels = [
                page.evaluate(
                    "c => getComputedStyle(c, '::before').content", cells.nth(i).element_handle()
                )
                for i in (2, 3, 4, 5)
            ]
            assert labels == ['"周期："', '"截止："', '"状态："', '"材料："']
        # October's overdue task is folded under a count, and opens without JavaScript.
        old = page.locator(f"#older-overdue a[href='/tasks/{ids['task_b1']}']")
        expect(old).to_be_hidden()
        summary = page.locator("#older-overdue > summary")
        assert re.search(r"更早逾期 \d+ 项", summary.inner_text())
        summary.click()
        expect(old).to_be_visible()
        keep(page, tmp, f"my-tasks-{size}-fold-open")
        browser.close()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_unit_page_opens_on_what_is_due_now(
    server: tuple[str, dict[str, int], Path], size: str
) -> None:
    from playwright.sync_api import sync_playwright

    base, _, tmp = server
    width, height = SIZES[size]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        context = browser.new_context(
            viewport={"width": width, "height": height}, is_mobile=size == "phone"
        )
        page = context.new_page()
        sign_in(page, base, "u01_manager")
        page.wait_for_url(re.compile(r"/units/U01"))
        group = page.locator("details.item-group").first
        first = group.locator("tr.task-row").first
        assert first.locator("td").nth(4).inner_text().strip() in ("已逾期", "即将到期", "进行中")
        due = first.locator("td").nth(3).inner_text()
        assert "2026-11-" in due, due  # the due date (a date, not a period)
        total = int(group.locator(".group-total").inner_text())
        linked = [int(n) for n in group.locator("p.fold-link .fold-count").all_inner_texts()]
        assert group.locator("tr.task-row").count() + sum(linked) == total  # all accounted
        keep(page, tmp, f"unit-page-{size}")
        # A large fold links to the item's own list of that band, paged like 我的任务.
        link = page.locator("p.fold-link a").first
        count = link.locator(".fold-count").inner_text()
        link.click()
        page.wait_for_url(re.compile(r"item="))
        assert f"共 {count} 项" in page.inner_text("main")
        assert {
            t.strip() for t in page.locator("tr.task-row td:nth-child(5)").all_inner_texts()
        } == {"已逾期"}
        keep(page, tmp, f"unit-item-older-{size}")
        browser.close()
