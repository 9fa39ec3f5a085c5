"""Imports refuse hostile and careless files cleanly: workbooks declaring a DTD, formulas
saved without their results, control characters in names; errors quote what was written."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.hostile_workbooks import DOCTYPES, SHEET, people_workbook, rewrite, with_doctype

from obligations.cli.main import cli
from obligations.models import Person
from obligations.orgdata.fields import ImportProblem
from obligations.orgdata.service import ImportRejected, import_path
from obligations.orgdata.xlsx import parse_xlsx

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def rejected(sessions: sessionmaker[Session], path: Path) -> list[ImportProblem]:
    with sessions.begin() as session, pytest.raises(ImportRejected) as caught:
        import_path(session, path, now=NOW)
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 0
    return caught.value.problems


def written(tmp_path: Path, content: bytes, name: str = "导入.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


# --- DTDs and entities -----------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DOCTYPES))
def test_a_workbook_declaring_a_dtd_is_refused_naming_the_part(name: str, tmp_path: Path) -> None:
    path = written(tmp_path, with_doctype(name))
    batch = parse_xlsx(path)
    assert batch.people == []
    assert [(p.file, p.line) for p in batch.problems] == [(str(path), None)]
    assert "含有 DTD 或实体声明" in batch.problems[0].message
    assert DOCTYPES[name][0] in batch.problems[0].message


@pytest.mark.parametrize("name", sorted(DOCTYPES))
def test_the_cli_refuses_a_workbook_declaring_a_dtd_with_exit_2(name: str, tmp_path: Path) -> None:
    path = written(tmp_path, with_doctype(name))
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), "import", str(path)])
    assert result.exit_code == 2, result.output
    assert "含有 DTD 或实体声明" in result.stderr
    assert "Traceback" not in result.output


def test_a_workbook_whose_sheet_is_broken_xml_is_refused_as_unreadable(tmp_path: Path) -> None:
    broken = rewrite(people_workbook(), SHEET, lambda text: text.replace("</sheetData>", "<"))
    batch = parse_xlsx(written(tmp_path, broken))
    assert [p.message for p in batch.problems] == [
        "无法读取：不是有效的 .xlsx 工作簿；请在 Excel 中另存为 .xlsx 后再导入"
    ]


# --- formulas without their results ----------------------------------------------------------


def test_formulas_saved_without_results_are_reported_by_cell_and_nothing_is_imported(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    content = people_workbook([('="P"&1', '="张"&"三"'), ("P2", "李四"), ("P3", "=B3")])
    problems = rejected(sessions, written(tmp_path, content))
    formulas = [p for p in problems if "没有保存计算结果" in p.message]
    cells = [(p.sheet, p.line, p.column, p.field) for p in formulas]
    assert cells == [("人员", 2, "A", "编号"), ("人员", 2, "B", "姓名"), ("人员", 4, "B", "姓名")]
    assert all("用 Excel 或 WPS 打开此文件、保存后再导入" in p.message for p in formulas)
    assert '="张"&"三"' in formulas[1].message


def test_a_formula_whose_result_was_saved_imports_its_result(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    cached = rewrite(
        people_workbook([('="P"&1', "张三")]),
        SHEET,
        lambda text: text.replace("&amp;1</f><v></v>", "&amp;1</f><v>P1</v>").replace(
            '<c r="A2">', '<c r="A2" t="str">'
        ),
    )
    with sessions.begin() as session:
        import_path(session, written(tmp_path, cached), now=NOW)
    with sessions() as session:
        assert session.scalars(select(Person.code)).all() == ["P1"]


def test_a_formula_saved_with_an_empty_text_result_is_an_empty_cell(tmp_path: Path) -> None:
    empty = rewrite(
        people_workbook([("P1", "张三", '=""')]),
        SHEET,
        lambda text: text.replace('<c r="C2">', '<c r="C2" t="str">'),
    )
    batch = parse_xlsx(written(tmp_path, empty))
    assert [p.column for p in batch.problems] == []
