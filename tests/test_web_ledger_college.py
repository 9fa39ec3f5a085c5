"""Every unit's ledger and the college summary in one ZIP for administrators: who may download
it, what it holds, that nothing is left in the scratch folder, and the page's wait state."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from tests.web_support import WebWorld, web, world_template

from obligations.scratch import scratch_dir

__all__ = ["web", "world_template"]

URL = "/ledger/2026/all.zip"
ROOT = "全院台账（2026年度）"
STATIC = Path(__file__).resolve().parents[1] / "src" / "obligations" / "web" / "static"


def scratch_entries(web: WebWorld) -> list[str]:
    folder = scratch_dir(web.settings.data_dir)
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_an_administrator_downloads_every_units_ledger_and_the_summary(web: WebWorld) -> None:
    client, _ = web.login("admin")
    response = client.get(URL)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "application/zip"
    assert "filename*=UTF-8''" in response.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.namelist() == [
        f"{ROOT}/U01-U01 组织台账（2026年度）.docx",
        f"{ROOT}/U02-U02 组织台账（2026年度）.docx",
        f"{ROOT}/台账汇总（2026年度）.xlsx",
        f"{ROOT}/台账汇总（2026年度）.html",
    ]
    word = Document(io.BytesIO(archive.read(f"{ROOT}/U02-U02 组织台账（2026年度）.docx")))
    texts = [p.text for p in word.paragraphs] + [
        cell.text for table in word.tables for row in table.rows for cell in row.cells
    ]
    assert any("U02 组织" in text for text in texts)  # U02's own ledger
    sheet = openpyxl.load_workbook(
        io.BytesIO(archive.read(f"{ROOT}/台账汇总（2026年度）.xlsx"))
    ).active
    assert sheet is not None
    units = {sheet.cell(row=r, column=2).value for r in (3, 4)}
    assert units == {"U01", "U02"}
    assert sheet.cell(row=5, column=3).value == "合计"
    html = archive.read(f"{ROOT}/台账汇总（2026年度）.html").decode("utf-8")
    assert "U01 组织" in html and "U02 组织" in html


def test_nothing_is_left_in_the_scratch_folder_after_the_download(web: WebWorld) -> None:
    client, _ = web.login("admin")
    assert client.get(URL).status_code == 200
    assert scratch_entries(web) == []


@pytest.mark.parametrize("username", ["viewer_all", "u01_manager", "u01_viewer", "b1_secretary"])
def test_only_administrators_may_download_the_colleges_ledgers(
    web: WebWorld, username: str
) -> None:
    client, _ = web.login(username)
    response = client.get(URL)
    assert response.status_code == 403
    assert "仅限组织部管理员" in response.text
    assert scratch_entries(web) == []  # refused before anything is built


def test_without_signing_in_the_download_asks_for_a_login(web: WebWorld) -> None:
    response = web.client.get(URL)
    assert response.status_code in (302, 303, 401)
    assert not response.headers.get("content-type", "").startswith("application/zip")


def test_a_failed_build_leaves_nothing_in_the_scratch_folder(
    web: WebWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    from obligations.ledger import college

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(college.zipfile, "ZipFile", broken)
    client, _ = web.login("admin")
    response = client.get(URL)
    # An unexpected error is logged and answered as the site's own 500 page, never a trace.
    assert response.status_code == 500 and "disk full" not in response.text
    assert scratch_entries(web) == []


def test_the_ledger_page_offers_administrators_the_download_with_a_wait_state(
    web: WebWorld,
) -> None:
    client, _ = web.login("admin")
    page = client.get("/units/U01/ledger?year=2026").text
    form = re.search(r'<form method="get" action="/ledger/2026/all.zip"[^>]*>', page)
    assert form is not None  # a plain form: without JavaScript the browser downloads it
    assert 'data-wait="正在生成，请稍候…"' in form.group(0)
    assert '<script src="/static/wait.js" defer></script>' in page  # one wait mechanism
    assert "<script>" not in page  # no inline script (CSP)
    script = client.get("/static/wait.js")
    assert script.status_code == 200
    assert "shown.disabled = true" in script.text and "element.dataset.wait" in script.text


def test_the_ledger_page_offers_others_no_college_download(web: WebWorld) -> None:
    client, _ = web.login("u01_manager")
    page = client.get("/units/U01/ledger?year=2026").text
    assert "/ledger/2026/all.zip" not in page and "download-college" not in page


def test_an_administrator_sees_the_college_summary_as_a_page_with_a_bar_per_unit(
    web: WebWorld,
) -> None:
    client, _ = web.login("admin")
    ledger_page = client.get("/units/U01/ledger?year=2026").text
    assert 'href="/ledger/2026/summary.html"' in ledger_page
    response = client.get("/ledger/2026/summary.html")
    assert response.status_code == 200
    page = response.text
    assert "标准化建设工作台账汇总（2026年度）" in page
    assert "U01 组织" in page and "U02 组织" in page
    assert len(re.findall(r'<rect class="value"', page)) == 3  # two units and the total
    assert "<script" not in page


def test_others_may_not_see_the_college_summary_page(web: WebWorld) -> None:
    client, _ = web.login("viewer_all")
    assert client.get("/ledger/2026/summary.html").status_code == 403
