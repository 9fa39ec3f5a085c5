"""Error pages and the channels page as an administrator sees them in Chromium, on a desktop
and a 390x844 phone: the menu and the banner of an invalid catalog on a missing ledger's
page, a failed channel test in red; axe-core finds no serious violation. Screenshots are kept
under test-artifacts/browser/."""

from __future__ import annotations

import socket
from collections.abc import Iterator
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
from tests.reminder_support import channels_file
from tests.test_web_browser import watch_csp
from tests.test_web_catalog_keeper import BROKEN, write_rules
from tests.web_support import FAST_HASHER, world_template

from obligations.accounts import users as accounts

__all__ = ["browser", "world_template"]


@pytest.fixture
def site(
    world_template: tuple[Path, dict[str, int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Served]:
    monkeypatch.setattr(accounts, "hasher", FAST_HASHER)
    with socket.socket() as probe:  # a port nothing listens on: the mail server is down
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    with serve(world_template, tmp_path) as served:
        channels_file(served.settings.data_dir, port)
        write_rules(served.settings.data_dir, BROKEN)  # before any page reads the catalog
        yield served


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_an_administrator_sees_errors_inside_the_site(
    site: Served, browser: Any, size: str
) -> None:
    page = new_context(browser, size).new_page()
    violations: list[str] = []
    watch_csp(page, violations)
    sign_in(page, site.base, "admin")
    page.goto(f"{site.base}/units/U01/ledger")
    page.goto(f"{site.base}/units/U01/ledger/1999.docx", referer=f"{site.base}/units/U01/ledger")
    assert page.locator("h1").inner_text() == "未找到"
    assert page.locator("nav[aria-label=主菜单]").is_visible()
    assert page.locator("#catalog-banner").is_visible()
    assert "calendar_rules/rules/local.yaml:7" in page.locator("#catalog-banner").inner_text()
    shoot(page, f"{size}-error-404")
    axe = axe_source()
    assert serious_violations(page, axe) == []
    page.click("#error-back")
    assert page.url.endswith("/units/U01/ledger")

    page.goto(f"{site.base}/admin/channels")
    page.click("#channel-mail button[type=submit]")
    page.wait_for_load_state()
    failed = page.locator("#test-failed")
    assert failed.is_visible() and "对方拒绝连接" in failed.inner_text()
    assert "异常" in page.locator("#channel-mail").inner_text()
    assert "测试：发送失败" in page.locator("#delivery-log").inner_text()
    shoot(page, f"{size}-channels-failed-test")
    assert serious_violations(page, axe) == []
    assert violations == []
