"""Imports refuse hostile and careless files cleanly: workbooks declaring a DTD, formulas
saved without their results, control characters in names; errors quote what was written."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.hostile_workbooks import DOCTYPES, SHEET, people_workbook, rewrite, with_doctype

from obligations.cli.main import cli
from obligations.models import Person
from obligations.orgdata.fields import ImportProblem
from obligations.orgdata.files import read_file
from obligations.orgdata.parse import CSV_HEADERS
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


def test_openpyxl_parses_through_defusedxml() -> None:
    assert openpyxl.DEFUSEDXML is True


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


@pytest.mark.parametrize("strip", ["cells", "rows and cells", "the second cell"])
def test_cells_written_without_references_are_located_by_counting(
    strip: str, tmp_path: Path
) -> None:
    patterns = {
        "cells": r' r="[A-Z]+\d+"',
        "rows and cells": r' r="[A-Z]*\d+"',
        "the second cell": r' r="B\d+"',
    }
    content = rewrite(
        people_workbook([("P1", "张三"), ("P2", '="李"&"四"')]),
        SHEET,
        lambda text: re.sub(patterns[strip], "", text),
    )
    problems = parse_xlsx(written(tmp_path, content)).problems
    assert [(p.line, p.column) for p in problems if "没有保存计算结果" in p.message] == [(3, "B")]


def test_error_values_are_reported_by_cell_not_imported_as_text(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    errors = rewrite(
        people_workbook([("P1", "=#REF!+1"), ("P2", "X")]),
        SHEET,
        lambda text: text.replace(
            '<c r="B2"><f>#REF!+1</f><v></v></c>', '<c r="B2" t="e"><f>#REF!+1</f><v>#REF!</v></c>'
        ).replace(
            '<c r="B3" t="inlineStr"><is><t>X</t></is></c>', '<c r="B3" t="e"><v>#N/A</v></c>'
        ),
    )
    problems = rejected(sessions, written(tmp_path, errors))
    mistakes = [(p.line, p.column, p.message) for p in problems if "错误 #" in p.message]
    assert mistakes == [
        (
            2,
            "B",
            "此单元格的值是错误 #REF!（公式 =#REF!+1），无法导入；"
            "请在 Excel 或 WPS 中改正后保存再导入",
        ),
        (3, "B", "此单元格的值是错误 #N/A，无法导入；请在 Excel 或 WPS 中改正后保存再导入"),
    ]


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


# --- control characters ----------------------------------------------------------------------

_PEOPLE_COLUMNS = CSV_HEADERS["人员"].count(",") + 1


def csv_people(code: str, name: str) -> bytes:
    row = [code, name] + [""] * (_PEOPLE_COLUMNS - 2)
    return (CSV_HEADERS["人员"] + "\n" + ",".join(row) + "\n").encode()


def yaml_people(name: str) -> bytes:
    return f'people:\n  - code: P1\n    name: "{name}"\n'.encode()


def xlsx_people(name: str) -> bytes:
    """A workbook whose B2 cell holds ``name`` as written in the XML (``_x0000_`` escapes)."""
    return rewrite(people_workbook([("P1", "X")]), SHEET, lambda t: t.replace("<t>X</t>", name))


# (file name, content, where the problem is: (sheet, line, column, field), the character)
CONTROLS = {
    "CSV NUL in a name": ("p.csv", csv_people("P1", "张\0三"), (None, 2, None, "name"), "0000"),
    "CSV bell in a code": ("p.csv", csv_people("P\x071", "张三"), (None, 2, None, "code"), "0007"),
    "CSV C1 in a name": ("p.csv", csv_people("P1", "张\x85三"), (None, 2, None, "name"), "0085"),
    "CSV tab in a name": ("p.csv", csv_people("P1", "张\t三"), (None, 2, None, "name"), "0009"),
    "YAML escaped NUL": (
        "p.yaml",
        yaml_people("张\\0三"),
        (None, 3, None, "people[0].name"),
        "0000",
    ),
    "YAML escaped escape": (
        "p.yaml",
        yaml_people("张\\e三"),
        (None, 3, None, "people[0].name"),
        "001B",
    ),
    "XLSX escaped NUL": (
        "p.xlsx",
        xlsx_people("<t>张_x0000_三</t>"),
        ("人员", 2, "B", "姓名"),
        "0000",
    ),
    "XLSX line break": (
        "p.xlsx",
        xlsx_people("<t>张&#10;三</t>"),
        ("人员", 2, "B", "姓名"),
        "000A",
    ),
    "XLSX C1": ("p.xlsx", xlsx_people("<t>张&#133;三</t>"), ("人员", 2, "B", "姓名"), "0085"),
}


@pytest.mark.parametrize("case", sorted(CONTROLS))
def test_a_control_character_in_a_name_is_refused_where_it_stands_on_every_database(
    case: str, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    name, content, where, code = CONTROLS[case]
    problems = rejected(sessions, written(tmp_path, content, name))
    assert [(p.sheet, p.line, p.column, p.field) for p in problems] == [where]
    assert f"（U+{code}）" in problems[0].message and "请删除后再导入" in problems[0].message


def test_a_control_character_written_raw_in_a_yaml_file_is_refused_by_line(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    problems = rejected(sessions, written(tmp_path, yaml_people("张\x07三"), "p.yaml"))
    assert [(p.line, p.message) for p in problems] == [
        (3, "YAML 格式错误：含有不允许的控制字符 U+0007，请删除后再导入")
    ]


def test_an_escaped_underscore_in_a_workbook_is_a_plain_underscore(tmp_path: Path) -> None:
    batch = parse_xlsx(written(tmp_path, xlsx_people("<t>张_x005F_x0041_三</t>")))
    assert [r.values["name"] for r in batch.people] == ["张_x0041_三"]


# --- errors quote what was written -----------------------------------------------------------


def workbook(title: str, header: list[str], row: list[Any]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    sheet.append(header)
    sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


_ROLE_HEADER = ["人员编号", "组织编码", "职务", "任职日期"]
_YEAR_HEADER = ["学年", "开始日期", "结束日期"]
ECHOES = {
    "a Chinese date that does not exist": (
        "r.xlsx",
        workbook("职务", _ROLE_HEADER, ["P1", "U01", "书记", "2026年13月7日"]),
        "'2026年13月7日'",
        "2026-13-7",
    ),
    "a dotted date that does not exist": (
        "r.xlsx",
        workbook("职务", _ROLE_HEADER, ["P1", "U01", "书记", "2026.2.30"]),
        "'2026.2.30'",
        "2026-2-30",
    ),
    "a TRUE cell for a code": (
        "p.xlsx",
        workbook("人员", ["编号", "姓名"], [True, "张三"]),
        "'TRUE'",
        "True",
    ),
    "an Excel-escaped year key, shown as typed in Excel": (
        "y.xlsx",
        workbook("学年", _YEAR_HEADER, ["2025_x002D_2027", "2025-09-01", "2027-08-31"]),
        "'2025-2027'",
        "_x002D_",
    ),
    "a YAML code with a leading zero": (
        "p.yaml",
        b"people:\n  - code: 0101\n    name: X\n",
        "'0101'",
        "65",
    ),
    "a YAML code yes": ("p.yaml", b"people:\n  - code: yes\n    name: X\n", "'yes'", "True"),
    "a YAML date with a time": (
        "y.yaml",
        b"calendar:\n  academic_years:\n"
        b"    - {key: 2025-2026, start: 2025-9-1 8:00:00, end: 2026-08-31}\n",
        "'2025-9-1 8:00:00'",
        "2025-09-01 08:00:00",
    ),
    "a YAML term of 0x5 years": (
        "u.yaml",
        b"units:\n  - {code: U1, name: X, kind: general_branch, term_years: 0x5}\n",
        "'0x5'",
        "不是 5",
    ),
}


@pytest.mark.parametrize("case", sorted(ECHOES))
def test_an_error_quotes_the_value_as_the_user_wrote_it(case: str, tmp_path: Path) -> None:
    name, content, quoted, not_shown = ECHOES[case]
    batch = read_file(written(tmp_path, content, name))
    messages = [p.message for p in batch.problems]
    assert len(messages) == 1 and quoted in messages[0], messages
    assert not_shown not in messages[0]
