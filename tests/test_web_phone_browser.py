"""A branch secretary on a 390x844 phone, in Chromium: a compact header, tap targets of at
least 44 px, a photo uploaded in three taps from login, the size check before sending, the
upload's progress, a refusal shown with the form kept, the form without JavaScript; and the
ledger's downloads waiting visibly. Screenshots are kept under test-artifacts/browser/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.browser_support import (
    Served,
    Taps,
    browser,
    new_context,
    serve,
    shoot,
    sign_in,
    small_targets,
)
from tests.storage_samples import EXE, PDF, png
from tests.test_web_browser import watch_csp
from tests.web_support import FAST_HASHER, world_template

from obligations.accounts import users as accounts

__all__ = ["browser", "world_template"]

HEADER_MAX = 100  # CSS pixels of a 844 px high screen; the header took 200 before


@pytest.fixture
def site(
    world_template: tuple[Path, dict[str, int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Served]:
    monkeypatch.setattr(accounts, "hasher", FAST_HASHER)
    with serve(world_template, tmp_path, max_upload_mb=1) as served:
        yield served


def this_months_task(page: Any) -> str:
    """The link of the first task on the page still to be done in its period (进行中 or
    即将到期), whatever the list's markup (a table row, a card)."""
    href: str | None = page.evaluate(
        """() => {
        for (const link of document.querySelectorAll("main a[href^='/tasks/']")) {
          const holder = link.closest('tr, li, article, .card') || link.parentElement;
          if (/进行中|即将到期/.test(holder.innerText)) return link.getAttribute('href');
        }
        return null;
      }"""
    )
    assert href is not None, "no task of this month on the page"
    return href


def test_a_branch_secretary_uploads_a_photo_in_three_taps_from_login(
    site: Served, browser: Any
) -> None:
    photo = site.tmp / "会议照片.png"
    photo.write_bytes(png())
    page = new_context(browser, "phone").new_page()
    violations: list[str] = []
    watch_csp(page, violations)
    sign_in(page, site.base, "b1_secretary")
    assert page.url.endswith("/my")
    shoot(page, "phone-1-my-tasks")
    taps = Taps(page)
    taps.tap(f"a[href='{this_months_task(page)}']")
    # The upload form comes first, with the title and today's date filled in.
    assert page.locator("#upload-form").bounding_box()["y"] < 844
    assert page.input_value("input[name=held_on]") == "2026-11-25"
    with page.expect_file_chooser() as chooser:
        taps.tap("#upload-camera")
    chooser.value.set_files(str(photo))
    shoot(page, "phone-2-photo-chosen")
    taps.tap("#upload-form button[type=submit]")
    page.wait_for_selector("text=材料已登记")
    assert page.locator("a", has_text="会议照片.png").count() == 1
    shoot(page, "phone-3-uploaded")
    assert len(taps.pressed) <= 3, taps.pressed
    assert violations == []


def test_the_phone_header_is_compact_and_every_control_is_at_least_44_px_tall(
    site: Served, browser: Any
) -> None:
    pages = {
        "b1_secretary": ["/my", f"/tasks/{site.ids['task_b1_open']}", "/account",
                         "/account/calendar"],
        "admin": ["/", "/my", "/units/U01", f"/tasks/{site.ids['task_u01']}",
                  "/units/U01/ledger?year=2026", "/account", "/admin", "/review"],
    }  # fmt: skip
    found: dict[str, list[str]] = {}
    for username, paths in pages.items():
        page = new_context(browser, "phone").new_page()
        sign_in(page, site.base, username)
        for path in paths:
            page.goto(site.base + path)
            header = page.locator("header.top").bounding_box()
            assert header["height"] <= HEADER_MAX, (username, path, header)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, (username, path)
            if small := small_targets(page):
                found[f"{username} {path}"] = small
        page.context.close()
    assert found == {}


def test_a_file_over_the_limit_is_refused_before_anything_is_sent(
    site: Served, browser: Any
) -> None:
    big = site.tmp / "会议录像.pdf"
    big.write_bytes(PDF + bytes(1024 * 1024))  # 1 MB and a little over the limit of 1 MB
    page = new_context(browser, "phone").new_page()
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    sign_in(page, site.base, "b1_secretary")
    page.goto(f"{site.base}/tasks/{site.ids['task_b1_open']}")
    assert page.get_attribute("#upload-form", "data-max-bytes") == str(1024 * 1024)
    page.set_input_files("#upload-files", str(big))
    posts.clear()
    page.click("#upload-form button[type=submit]")
    status = page.locator("#upload-form .status")
    assert "超过单个文件上限 1 MB" in status.inner_text()
    assert "会议录像.pdf" in status.inner_text()
    shoot(page, "phone-upload-too-large")
    assert posts == []  # nothing was sent


def test_the_upload_shows_its_progress_and_a_refusal_keeps_the_form(
    site: Served, browser: Any
) -> None:
    from playwright.sync_api import Route, expect

    fake = site.tmp / "记录.pdf"
    fake.write_bytes(EXE)
    minutes = site.tmp / "支部委员会记录.pdf"
    minutes.write_bytes(PDF + b"% progress\n")  # a file of its own: a resent file is refused
    page = new_context(browser, "desktop").new_page()
    sign_in(page, site.base, "b1_secretary")
    page.goto(f"{site.base}/tasks/{site.ids['task_b1_open']}")
    page.fill("input[name=participants]", "12")
    page.set_input_files("#upload-files", str(fake))
    page.click("#upload-form button[type=submit]")
    status = page.locator("#upload-form .status")
    expect(status).to_contain_text("实际类型为 exe")  # the server's own message
    assert page.input_value("input[name=participants]") == "12"  # nothing typed is lost
    assert page.eval_on_selector("#upload-files", "e => e.files.length") == 1
    shoot(page, "upload-refused-in-place")

    held: list[Route] = []
    page.route("**/evidence", lambda route: held.append(route))
    page.set_input_files("#upload-files", str(minutes))
    page.click("#upload-form button[type=submit]")
    expect(page.locator("#upload-form progress")).to_be_visible()
    expect(page.locator("#upload-form button[type=submit]")).to_be_disabled()
    shoot(page, "upload-in-progress")
    held[0].continue_()
    page.wait_for_selector("text=材料已登记")
    assert page.locator("a", has_text="支部委员会记录.pdf").count() == 1


def test_without_javascript_the_upload_form_posts_as_before(site: Served, browser: Any) -> None:
    minutes = site.tmp / "无脚本上传的记录.pdf"
    minutes.write_bytes(PDF + b"% no script\n")  # a file of its own: a resent file is refused
    page = new_context(browser, "phone", java_script_enabled=False).new_page()
    sign_in(page, site.base, "b1_secretary")
    page.goto(f"{site.base}/tasks/{site.ids['task_b1_open']}")
    page.set_input_files("#upload-files", str(minutes))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("text=材料已登记")
    assert page.locator("a", has_text="无脚本上传的记录.pdf").count() == 1


BUNDLE = "佐证材料包（ZIP）"


@pytest.mark.parametrize(
    ("size", "link", "pattern", "label", "wait"),
    [
        ("desktop", "#download-pdf", "**/ledger/2026.pdf", "PDF", "正在生成…"),
        ("phone", "#download-bundle", "**/ledger/2026/bundle.zip", BUNDLE, "正在打包…"),
    ],
)
def test_a_ledger_download_says_it_is_being_prepared_until_the_file_arrives(
    site: Served, browser: Any, size: str, link: str, pattern: str, label: str, wait: str
) -> None:
    from playwright.sync_api import Route, expect

    page = new_context(browser, size, accept_downloads=True).new_page()
    sign_in(page, site.base, "u01_manager")
    page.goto(f"{site.base}/units/U01/ledger?year=2026")
    held: list[Route] = []
    page.route(pattern, lambda route: held.append(route))
    page.click(link)
    button = page.locator(link)
    expect(button).to_have_text(wait)
    expect(button).to_have_attribute("aria-busy", "true")
    shoot(page, f"ledger-download-waiting-{size}")
    with page.expect_download(timeout=120_000) as info:
        held[0].continue_()
    assert info.value.suggested_filename.endswith(Path(pattern).suffix)
    expect(button).to_have_text(label)
    expect(button).not_to_have_attribute("aria-busy", "true")
