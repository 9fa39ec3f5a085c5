"""The college download in a real browser: the button waits visibly, then the ZIP arrives.
Screenshots (desktop and phone) are kept under test-artifacts/browser/."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from tests.test_web_browser import ARTIFACTS, CHROMIUM, server, sign_in
from tests.web_support import world_template

__all__ = ["server", "world_template"]

WAIT = "正在生成，请稍候…"


def download_college_zip(browser: Any, base: str, name: str, size: tuple[int, int]) -> Path:
    """Sign in as the administrator in a window of ``size``, press the college download, check
    the wait state while the server's answer is held back, then let it through; the ZIP."""
    from playwright.sync_api import Route, expect

    context = browser.new_context(
        viewport={"width": size[0], "height": size[1]},
        is_mobile=name == "phone",
        accept_downloads=True,
    )
    page = context.new_page()
    sign_in(page, base, "admin")
    page.wait_for_selector("#units")
    page.goto(f"{base}/units/U01/ledger?year=2026")
    button = page.locator("#download-college")
    expect(button).to_be_enabled()
    page.screenshot(path=str(ARTIFACTS / f"college-download-{name}.png"))
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route("**/ledger/2026/all.zip", hold)
    button.click()
    expect(button).to_be_disabled()
    expect(button).to_have_text(WAIT)
    page.screenshot(path=str(ARTIFACTS / f"college-download-{name}-waiting.png"))
    with page.expect_download(timeout=120_000) as info:
        held[0].continue_()
    assert info.value.suggested_filename == "全院台账（2026年度）.zip"
    saved = ARTIFACTS / f"college-{name}.zip"
    info.value.save_as(str(saved))
    expect(button).to_be_enabled()
    expect(button).not_to_have_text(WAIT)
    context.close()
    return saved


def test_the_college_download_button_waits_visibly_then_delivers_the_zip(
    server: tuple[str, dict[str, int], Path],
) -> None:
    from playwright.sync_api import sync_playwright

    base = server[0]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        for name, size in (("desktop", (1440, 900)), ("phone", (390, 844))):
            saved = download_college_zip(browser, base, name, size)
            names = zipfile.ZipFile(saved).namelist()
            assert "全院台账（2026年度）/台账汇总（2026年度）.xlsx" in names
            assert sum(n.endswith(".docx") for n in names) == 2
        browser.close()
