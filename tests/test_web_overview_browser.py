"""The overview in Chromium on a desktop (1440x900) and a phone (390x844), on December 1st
(last month's overdue tasks still listed): the page never scrolls sideways as a whole (its
tables scroll in their own regions), the column headers sort without JavaScript, and axe-core
finds no serious violation. Screenshots are kept under test-artifacts/browser/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
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
from tests.web_support import FAST_HASHER, world_template

from obligations.accounts import users as accounts

__all__ = ["browser", "world_template"]

DECEMBER_1ST = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


@pytest.fixture
def site(
    world_template: tuple[Path, dict[str, int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Served]:
    monkeypatch.setattr(accounts, "hasher", FAST_HASHER)
    with serve(world_template, tmp_path, now=DECEMBER_1ST) as served:
        yield served


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_overview_reads_on_a_desktop_and_a_phone_and_sorts_without_javascript(
    site: Served, browser: Any, size: str
) -> None:
    context = new_context(browser, size, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, site.base, "admin")
    page.goto(f"{site.base}/")
    shoot(page, f"overview-{size}")
    page.locator("#heatmap").scroll_into_view_if_needed()
    shoot(page, f"overview-{size}-heatmap")
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    regions = page.locator("main .scroll")
    assert regions.count() == 2  # the ranking and the heatmap scroll in their own regions
    assert page.locator("section[data-window=上月逾期] details[data-unit=U01]").is_visible()
    page.click("#units th[data-sort=missed] a")
    page.wait_for_load_state()
    assert "sort=missed&dir=desc" in page.url
    assert page.get_attribute("#units th[data-sort=missed]", "aria-sort") == "descending"
    shoot(page, f"overview-{size}-sorted-by-missed")
    context.close()
    with_script = new_context(browser, size)
    page = with_script.new_page()
    sign_in(page, site.base, "admin")
    page.goto(f"{site.base}/")
    assert serious_violations(page, axe_source()) == []
    with_script.close()
