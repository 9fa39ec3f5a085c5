"""Bulk intake in Chromium: a unit manager uploads a ZIP on the unit page, corrects the one
proposal that named no branch, accepts the rest and sees the tasks done; the pages have no
serious accessibility violation. Screenshots at 1440x900 and 390x844 under
test-artifacts/browser/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.browser_support import (
    CHROMIUM,
    Served,
    axe_source,
    new_context,
    serious_violations,
    serve,
    shoot,
    sign_in,
)
from tests.test_web_browser import watch_csp
from tests.test_web_intake import year_zip
from tests.web_support import FAST_HASHER, world_template

from obligations.accounts import users as accounts
from obligations.db import make_engine, session_factory
from obligations.models import Organization, Task

__all__ = ["world_template"]


@pytest.fixture
def site(
    world_template: tuple[Path, dict[str, int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Served]:
    monkeypatch.setattr(accounts, "hasher", FAST_HASHER)
    with serve(world_template, tmp_path, max_upload_mb=1) as served:
        yield served


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield launched
        launched.close()


def theme_day_task(site: Served) -> tuple[int, bool]:
    engine = make_engine(site.settings.effective_database_url)
    try:
        with session_factory(engine)() as db:
            branch = db.scalars(select(Organization).where(Organization.code == "U01-B01")).one()
            task = db.scalars(
                select(Task).where(
                    Task.rule_id == "theme-party-day",
                    Task.organization_id == branch.id,
                    Task.period_key == "2026-10",
                )
            ).one()
            return task.id, task.done_on is not None
    finally:
        engine.dispose()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_unit_manager_uploads_a_zip_corrects_one_proposal_and_accepts_the_rest(
    site: Served, browser: Any, size: str
) -> None:
    archive = site.tmp / "2026年材料.zip"
    archive.write_bytes(year_zip())
    theme, was_done = theme_day_task(site)
    assert not was_done
    page = new_context(browser, size).new_page()
    violations: list[str] = []
    watch_csp(page, violations)
    sign_in(page, site.base, "u01_manager")
    page.goto(f"{site.base}/units/U01")
    page.click("a[href='/units/U01/intake']")
    page.set_input_files("input[name=archive]", str(archive))
    shoot(page, f"intake-{size}-1-upload")
    page.click("form.upload button[type=submit]")  # sent by upload.js, showing its progress
    page.wait_for_url(re.compile(r"/units/U01/intake/[0-9a-f]{32}$"))
    assert "确认前不会登记任何材料" in page.inner_text("main")
    axe = axe_source()
    assert serious_violations(page, axe) == []
    row = page.locator("tr[data-file='2026.10.20 主题党日.docx']")
    assert not row.locator("input[type=checkbox]").is_checked()
    assert "未找到支部名称" in row.inner_text()
    row.locator("input[name^=task_]").fill(str(theme))
    row.locator("input[name^=held_]").fill("2026-10-20")
    row.locator("input[name^=title_]").fill("10月主题党日活动")
    row.locator("input[type=checkbox]").check()
    shoot(page, f"intake-{size}-2-proposals")
    page.click("button:has-text('登记所选材料')")
    page.wait_for_load_state()
    assert "已登记 3 个文件" in page.inner_text("#applied-summary")
    assert serious_violations(page, axe) == []
    shoot(page, f"intake-{size}-3-done")
    assert theme_day_task(site) == (theme, True)
    page.goto(f"{site.base}/tasks/{theme}")
    assert "10月主题党日活动" in page.inner_text("main")
    assert violations == []
