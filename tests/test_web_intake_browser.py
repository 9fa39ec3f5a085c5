"""Bulk intake in Chromium: a unit manager uploads a ZIP and the loose files of one meeting
on the unit page, sees the meeting's files grouped as one record, moves one file out of the
group by correcting its date, accepts the rest and sees the tasks done; the pages have no
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
    Served,
    axe_source,
    browser,
    new_context,
    serious_violations,
    serve,
    shoot,
    sign_in,
)
from tests.test_web_browser import watch_csp
from tests.test_web_intake import meeting_files, year_zip
from tests.web_support import FAST_HASHER, world_template

from obligations.accounts import users as accounts
from obligations.db import make_engine, session_factory
from obligations.models import Organization, Task

__all__ = ["browser", "world_template"]


@pytest.fixture
def site(
    world_template: tuple[Path, dict[str, int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Served]:
    monkeypatch.setattr(accounts, "hasher", FAST_HASHER)
    with serve(world_template, tmp_path, max_upload_mb=1) as served:
        yield served


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
def test_a_unit_manager_uploads_files_and_a_zip_moves_one_file_out_of_its_group_and_accepts(
    site: Served, browser: Any, size: str
) -> None:
    archive = site.tmp / "2026年材料.zip"
    archive.write_bytes(year_zip())
    loose = []
    for name, data, _ in meeting_files():
        (site.tmp / name).write_bytes(data)
        loose.append(str(site.tmp / name))
    theme, was_done = theme_day_task(site)
    assert not was_done
    page = new_context(browser, size).new_page()
    violations: list[str] = []
    watch_csp(page, violations)
    sign_in(page, site.base, "u01_manager")
    page.goto(f"{site.base}/units/U01")
    page.click("a[href='/units/U01/intake']")
    page.select_option("select[name=branch]", "U01-B01")
    page.set_input_files("input[name=files]", [str(archive), *loose])
    shoot(page, f"intake-{size}-1-upload")
    page.click("form.upload button[type=submit]")  # sent by upload.js, showing its progress
    page.wait_for_url(re.compile(r"/units/U01/intake/[0-9a-f]{32}$"))
    page.wait_for_selector("table.proposals", timeout=60_000)  # after the reading's progress
    assert "确认前不会登记任何材料" in page.inner_text("main")
    axe = axe_source()
    assert serious_violations(page, axe) == []
    grouped = page.locator("tr.grouped")
    assert grouped.count() == 4 and "4 个文件合为一条" in grouped.first.inner_text()
    shoot(page, f"intake-{size}-2-proposals")
    photo = page.locator("tr[data-file$='主题党日照片.jpg']")
    assert photo.locator("input[type=checkbox]").is_checked()
    photo.locator("input[name^=held_]").fill("2026-10-21")  # another day: its own record
    page.click("button:has-text('登记所选材料')")
    page.wait_for_load_state()
    assert "已登记 6 个文件（4 条记录）" in page.inner_text("#applied-summary")
    assert serious_violations(page, axe) == []
    shoot(page, f"intake-{size}-3-done")
    assert theme_day_task(site) == (theme, True)
    page.goto(f"{site.base}/tasks/{theme}")
    assert "主题党日活动记录" in page.inner_text("main")
    assert violations == []


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_waiting_page_follows_the_reading_and_opens_the_proposals_when_ready(
    site: Served, browser: Any, size: str
) -> None:
    from obligations.scratch import scratch_dir
    from obligations.web import intake_jobs

    archive = site.tmp / "2026年材料.zip"
    archive.write_bytes(year_zip())
    page = new_context(browser, size).new_page()
    violations: list[str] = []
    watch_csp(page, violations)
    sign_in(page, site.base, "u01_manager")
    page.goto(f"{site.base}/units/U01/intake")
    page.set_input_files("input[name=files]", str(archive))
    page.click("form.upload button[type=submit]")
    page.wait_for_selector("table.proposals", timeout=60_000)
    token = page.url.rsplit("/", 1)[1]
    folder = scratch_dir(site.settings.data_dir) / f"obligations-intake-{token}"
    (folder / intake_jobs.PROPOSALS).rename(folder / "held.json")  # as if still reading
    (folder / intake_jobs.PROGRESS).write_text('{"done": 1, "total": 3}', "utf-8")
    page.goto(page.url)
    assert "已读取 1 / 3 个文件" in page.inner_text("#reading-count")
    (folder / intake_jobs.PROGRESS).write_text('{"done": 2, "total": 3}', "utf-8")
    page.wait_for_selector("#reading-count:has-text('已读取 2 / 3 个文件')")  # polled
    assert page.eval_on_selector("#reading-progress", "bar => bar.value") == 2
    assert serious_violations(page, axe_source()) == []
    shoot(page, f"intake-{size}-reading")
    (folder / "held.json").rename(folder / intake_jobs.PROPOSALS)
    page.wait_for_selector("table.proposals", timeout=10_000)  # opened by intake.js
    assert violations == []
