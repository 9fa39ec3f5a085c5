"""axe-core (from npm, injected by Playwright into Chromium) finds no serious or critical
violation on any main page, on a desktop (1440x900) and a phone (390x844), as the organization
department's administrator and as a branch secretary.

axe-core lives in tests/axe/node_modules (``npm ci --prefix tests/axe``; ``.ci/run`` installs
it): without it these tests fail and say so."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
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
from tests.web_support import FAST_HASHER, world_template

from obligations.accounts import users as accounts

__all__ = ["world_template"]


def pages_of(username: str, ids: dict[str, int]) -> list[str]:
    """The main pages a user opens (a branch secretary has no unit page, overview,
    administration or review inbox)."""
    if username == "b1_secretary":
        return [
            "/my",
            f"/tasks/{ids['task_b1_open']}",
            f"/tasks/{ids['task_b1']}",
            "/account",
            "/account/calendar",
            "/tasks/999999",
        ]
    return ["/", "/my", "/units/U01", f"/tasks/{ids['task_u01']}", f"/tasks/{ids['task_b1_open']}",
            "/units/U01/ledger?year=2026", "/account", "/account/calendar", "/admin",
            "/admin/rules", "/admin/calendar", "/admin/import", "/admin/channels", "/admin/audit",
            "/review", "/review?unit=U02", "/units/U99"]  # fmt: skip


@pytest.fixture(scope="module")
def axe() -> str:
    return axe_source()


@pytest.fixture
def site(
    world_template: tuple[Path, dict[str, int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Served]:
    monkeypatch.setattr(accounts, "hasher", FAST_HASHER)
    with serve(world_template, tmp_path) as served:
        yield served


def check(page: Any, axe: str, name: str, found: dict[str, list[str]]) -> None:
    if problems := serious_violations(page, axe):
        found[name] = problems
        shoot(page, f"axe-{name.replace('/', '_').replace('?', '_')}")


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("username", ["admin", "b1_secretary"])
def test_axe_finds_no_serious_violation_on_any_main_page(
    site: Served, axe: str, username: str, size: str
) -> None:
    from playwright.sync_api import sync_playwright

    found: dict[str, list[str]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = new_context(browser, size).new_page()
        page.goto(f"{site.base}/login")
        check(page, axe, f"{size} login", found)
        sign_in(page, site.base, username)
        for path in pages_of(username, site.ids):
            page.goto(site.base + path)
            check(page, axe, f"{size} {username} {path}", found)
        page.goto(f"{site.base}/account/calendar")
        page.click("#make-feed")  # the page with the address, its copy button and QR code
        page.wait_for_selector("#feed-qr")
        check(page, axe, f"{size} {username} calendar address", found)
        browser.close()
    assert found == {}


def test_axe_is_checked_against_a_page_it_must_fault(site: Served, axe: str) -> None:
    """The check sees a serious violation when there is one: a field without a name."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = new_context(browser, "phone").new_page()
        page.goto(f"{site.base}/login")
        page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<input>')")
        problems = serious_violations(page, axe)
        browser.close()
    assert any(problem.startswith("label (critical") for problem in problems), problems
