"""The dashboard in a real browser (Debian's chromium through Playwright), against uvicorn.

A branch secretary sees an overdue task, uploads its minutes and sees it done (late); the
organization department sees the overview change and downloads the ledger. Screenshots are
kept under test-artifacts/browser/.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from tests.storage_samples import PDF, png
from tests.web_support import FAST_HASHER, NOW, PASSWORD, world_template

from obligations.accounts import users as accounts
from obligations.db import make_engine
from obligations.settings import Settings
from obligations.web import create_app

__all__ = ["world_template"]

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "browser"

# No skip when chromium is missing: `.ci/run` installs it, and a missing browser must fail.


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def server(
    world_template: tuple[Path, dict[str, int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, dict[str, int], Path]]:
    import shutil

    monkeypatch.setattr(accounts, "hasher", FAST_HASHER)
    folder, ids = world_template
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(folder / "obligations.sqlite3", data / "obligations.sqlite3")
    shutil.copytree(folder / "evidence", data / "evidence")
    settings = Settings(data_dir=data)
    engine = make_engine(settings.effective_database_url)
    app = create_app(settings, clock=lambda: NOW, engine=engine)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not uv.started:  # a loaded machine may take a while; a server that died says so
        assert thread.is_alive() and time.monotonic() < deadline, "the web server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", ids, tmp_path
    uv.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


def sign_in(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def watch_csp(page, violations: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Collect the page's Content-Security-Policy violations as Chromium reports them."""
    page.on(
        "console",
        lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None,
    )


def done_on_time_and_late(page) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    row = page.locator("#units tr[data-unit=U01]")
    cells = row.locator("td.num")
    return cells.nth(2).inner_text(), cells.nth(3).inner_text()


def test_a_branch_secretary_closes_an_overdue_task_and_the_college_sees_it(
    server: tuple[str, dict[str, int], Path],
) -> None:
    from playwright.sync_api import sync_playwright

    base, ids, tmp = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    minutes = tmp / "十月支部党员大会记录.pdf"
    minutes.write_bytes(PDF)
    photo = tmp / "会议照片.png"
    photo.write_bytes(png())
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        admin = browser.new_context(accept_downloads=True)
        admin_page = admin.new_page()
        violations: list[str] = []
        watch_csp(admin_page, violations)
        sign_in(admin_page, base, "admin")
        admin_page.wait_for_selector("#units")
        before = done_on_time_and_late(admin_page)
        admin_page.screenshot(path=str(ARTIFACTS / "1-overview-before.png"), full_page=True)

        phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
        page = phone.new_page()
        watch_csp(page, violations)
        sign_in(page, base, "b1_secretary")
        page.wait_for_url(re.compile(r"/units/|/my"))
        page.goto(f"{base}/my")
        page.click("#older-overdue > summary")  # last month's overdue tasks are folded
        link = page.locator(f"a[href='/tasks/{ids['task_b1']}']")
        row = page.locator("tr", has=link)
        assert "已逾期" in row.inner_text()
        page.screenshot(path=str(ARTIFACTS / "2-my-tasks-overdue.png"), full_page=True)
        link.click()
        assert page.inner_text("#task-status") == "已逾期"
        page.fill("input[name=held_on]", "2026-10-20")
        page.fill("input[name=participants]", "15")
        page.set_input_files("#upload-files", [str(minutes), str(photo)])
        page.screenshot(path=str(ARTIFACTS / "3-upload-form.png"), full_page=True)
        page.click("#upload-form button[type=submit]")
        page.wait_for_selector("text=材料已登记")
        assert page.inner_text("#task-status") == "逾期完成"
        assert page.locator("a", has_text="十月支部党员大会记录.pdf").count() == 1
        page.screenshot(path=str(ARTIFACTS / "4-task-done.png"), full_page=True)

        admin_page.reload()
        after = done_on_time_and_late(admin_page)
        assert after[1] == str(int(before[1]) + 1) and after[0] == before[0]
        admin_page.screenshot(path=str(ARTIFACTS / "5-overview-after.png"), full_page=True)
        admin_page.goto(f"{base}/units/U01/ledger?year=2026")
        with admin_page.expect_download() as info:
            admin_page.click("#download-xlsx")
        download = info.value
        assert download.suggested_filename.endswith("2026年度党建工作台账.xlsx")
        saved = ARTIFACTS / "ledger.xlsx"
        download.save_as(str(saved))
        assert saved.read_bytes()[:2] == b"PK"
        admin_page.screenshot(path=str(ARTIFACTS / "6-ledger.png"), full_page=True)
        admin_page.goto(f"{base}/units/U01/ledger/2026.html")  # its own inline stylesheet
        admin_page.wait_for_selector("h1")
        assert violations == []  # every page above works within its policy
        # The watch does see a violation: an inline style attribute, which the policy refuses.
        admin_page.evaluate(
            "document.body.insertAdjacentHTML('beforeend', '<p style=\"color:red\">x</p>')"
        )
        admin_page.wait_for_timeout(200)
        assert len(violations) == 1 and "style-src" in violations[0], violations
        browser.close()
