"""Administration: the onboarding workbook, uploaded on the web as ``obligations import`` takes
it; the empty template downloaded."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date
from functools import cache
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any
from urllib.parse import quote

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from tests.hostile_workbooks import DOCTYPES, with_doctype
from tests.web_support import WebWorld, web, world_template

from obligations.models import Organization, Person, RoleAssignment
from obligations.orgdata.template import write_template
from obligations.web import admin_import

__all__ = ["web", "world_template"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Rows = Mapping[str, Sequence[Sequence[Any]]]

NEW: Rows = {
    "党支部": [["U01", "U01-B03", "机电学院学生第二党支部", 25]],
    "人员": [["T9", "陈明", "chenming@example.edu.cn"]],
    "职务": [["T9", "U01-B03", "书记", date(2026, 9, 1)]],
}
BAD: Rows = {
    "党支部": [["U99", "U99-B01", "无主支部", 10]],  # a branch of an unknown unit
    "人员": [["T9", "陈明"], ["T9", "陈明明"]],  # a duplicate code
    "职务": [["T9", "U01", "书记", "下学期"]],  # a bad date
}


@cache
def template_bytes() -> bytes:
    with TemporaryDirectory() as folder:
        path = Path(folder) / "template.xlsx"
        write_template(path)
        return path.read_bytes()


def workbook(rows: Rows) -> bytes:
    """The template filled in below its example rows (which the import skips)."""
    book = load_workbook(io.BytesIO(template_bytes()))
    for name, sheet_rows in rows.items():
        for row in sheet_rows:
            book[name].append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def upload(  # type: ignore[no-untyped-def]
    web: WebWorld, content: bytes, name: str = "导入.xlsx", *, dry_run: bool = False
):
    client, csrf = web.login("admin")
    fields = {"csrf_token": csrf} | ({"dry_run": "1"} if dry_run else {})
    return client.post("/admin/import", data=fields, files=[("file", (name, content, XLSX))])


def counts(web: WebWorld) -> tuple[int, int, int]:
    with web.sessions() as db:
        return tuple(  # type: ignore[return-value]
            db.scalar(select(func.count()).select_from(model)) or 0
            for model in (Organization, Person, RoleAssignment)
        )


def test_the_administrator_downloads_the_empty_template_under_its_chinese_name(
    web: WebWorld,
) -> None:
    client, _ = web.login("admin")
    response = client.get("/admin/import/template.xlsx")
    assert response.status_code == 200 and response.headers["content-type"] == XLSX
    disposition = response.headers["content-disposition"]
    assert f"filename*=UTF-8''{quote('组织人员校历导入模板.xlsx')}" in disposition
    sheets = load_workbook(io.BytesIO(response.content)).sheetnames
    assert sheets[:3] == ["说明", "学校党委", "单位"] and "职务" in sheets


def test_the_import_page_offers_the_template_and_an_upload_form(web: WebWorld) -> None:
    client, _ = web.login("admin")
    page = client.get("/admin/import").text
    assert 'href="/admin/import/template.xlsx"' in page
    assert 'enctype="multipart/form-data"' in page and 'name="dry_run"' in page


def test_an_accepted_workbook_is_imported_and_the_page_says_what_changed(web: WebWorld) -> None:
    before = counts(web)
    response = upload(web, workbook(NEW))
    assert response.status_code == 200, response.text[:500]
    assert "新增 3" in response.text
    assert "新增 党支部 U01-B03 机电学院学生第二党支部" in response.text
    assert "新增 人员 T9 陈明" in response.text
    assert counts(web) == (before[0] + 1, before[1] + 1, before[2] + 1)


def test_a_second_upload_of_the_same_workbook_changes_nothing(web: WebWorld) -> None:
    content = workbook(NEW)
    upload(web, content)
    after_first = counts(web)
    response = upload(web, content)
    assert response.status_code == 200
    assert "新增 0，更新 0" in response.text and "没有变更" in response.text
    assert counts(web) == after_first


def test_check_only_shows_the_changes_and_writes_nothing(web: WebWorld) -> None:
    before = counts(web)
    response = upload(web, workbook(NEW), dry_run=True)
    assert response.status_code == 200
    assert "新增 人员 T9 陈明" in response.text and "试运行，未写入数据库" in response.text
    assert counts(web) == before


def test_a_rejected_workbook_lists_every_problem_with_sheet_row_and_column_and_changes_nothing(
    web: WebWorld,
) -> None:
    before = counts(web)
    response = upload(web, workbook({**NEW, **BAD}))
    assert response.status_code == 400
    page = response.text
    assert "未导入任何数据" in page
    table = page.split('id="import-problems"', 1)[1]
    rows = table.count("<tr>") - 1  # minus the header row
    assert rows >= 3
    assert "U99" in table  # the unknown unit
    assert '<td>人员</td><td class="num">4</td><td>A</td>' in table  # the duplicate code
    assert '<td>职务</td><td class="num">3</td><td>D</td>' in table  # the bad date
    assert "/tmp" not in page  # the temporary file's path is never shown
    assert counts(web) == before


def test_a_damaged_workbook_is_reported_and_nothing_changes(web: WebWorld) -> None:
    before = counts(web)
    response = upload(web, b"PK\x03\x04 not really a workbook")
    assert response.status_code == 400 and "未导入任何数据" in response.text
    assert counts(web) == before


def test_a_file_that_is_not_an_xlsx_workbook_is_refused_with_a_reason(web: WebWorld) -> None:
    response = upload(web, b"code,name\n", name="人员.csv")
    assert response.status_code == 400 and ".xlsx" in response.text
    client, csrf = web.login("admin")
    nothing = [("file", ("", b"", "application/octet-stream"))]  # the file input left empty
    empty = client.post("/admin/import", data={"csrf_token": csrf}, files=nothing)
    assert empty.status_code == 400 and "请选择" in empty.text


def test_a_workbook_over_the_size_limit_is_refused_with_413(
    web: WebWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admin_import, "MAX_WORKBOOK_BYTES", 4096)
    before = counts(web)
    response = upload(web, workbook(NEW) + b"\0" * 8192)
    assert response.status_code == 413 and "4 KB" in response.text
    assert counts(web) == before


def test_the_upload_refuses_a_request_without_the_csrf_token(web: WebWorld) -> None:
    client, _ = web.login("admin")
    response = client.post("/admin/import", files=[("file", ("导入.xlsx", workbook(NEW), XLSX))])
    assert response.status_code == 403 and "CSRF" in response.text


@pytest.mark.parametrize("name", sorted(DOCTYPES))
def test_a_workbook_declaring_a_dtd_is_refused_with_a_message_not_a_500(
    web: WebWorld, name: str
) -> None:
    before = counts(web)
    response = upload(web, with_doctype(name))
    assert response.status_code == 400
    assert "含有 DTD 或实体声明" in response.text and "未导入任何数据" in response.text
    assert counts(web) == before
