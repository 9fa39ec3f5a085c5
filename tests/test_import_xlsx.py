"""Onboarding from Excel: the import template, and importing a filled-in workbook."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from obligations.cli.main import cli
from obligations.models import (
    AcademicYear,
    Organization,
    Person,
    RoleAssignment,
    Semester,
    Vacation,
)
from obligations.orgdata.service import ImportProblem, ImportRejected, ImportReport, import_path
from obligations.orgdata.sheets import EXAMPLE_NOTE, SHEETS
from obligations.orgdata.template import write_template
from obligations.vocabulary import OrgKind, Role

NOW = datetime(2026, 3, 1, 0, 30, tzinfo=UTC)
MODELS = (Organization, Person, RoleAssignment, AcademicYear, Semester, Vacation)

Rows = Mapping[str, Sequence[Sequence[Any]]]

SMALL: Rows = {
    "学校党委": [["C1", "测试学院党委", None, date(2025, 9, 1)]],
    "单位": [
        ["U01", "机电工程学院党总支", "党总支", 80, date(2023, 10, 15), 3],
        ["U08", "机关第一直属党支部", "直属党支部", 38, date(2024, 1, 12), 3],
    ],
    "党支部": [
        ["U01", "U01-B01", "机电工程学院教工第一党支部", 30],
        ["U01", "U01-B02", "机电工程学院学生第一党支部", 50],
    ],
    "人员": [
        ["T0001", "张伟", "zhangwei@example.edu.cn", "13800000001", "zhangwei"],
        ["T0002", "李娜"],
    ],
    "职务": [
        ["T0001", "U01", "书记", date(2023, 10, 15)],
        ["T0002", "U01-B01", "书记", date(2024, 3, 1), date(2026, 2, 28)],
    ],
    "学年": [["2025-2026", date(2025, 9, 1), date(2026, 8, 31)]],
    "学期": [
        ["2025-2026", 1, date(2025, 9, 1), date(2026, 1, 16)],
        ["2025-2026", 2, date(2026, 3, 2), date(2026, 7, 10)],
    ],
    "假期": [["2025-2026", "寒假", date(2026, 1, 17), date(2026, 3, 1)]],
}
SMALL_TOTAL = 13  # records in SMALL


@cache
def _template_bytes() -> bytes:
    with TemporaryDirectory() as folder:
        path = Path(folder) / "template.xlsx"
        write_template(path)
        return path.read_bytes()


def _template(tmp_path: Path, name: str = "import.xlsx") -> Path:
    path = tmp_path / name
    path.write_bytes(_template_bytes())
    return path


def _fill(path: Path, rows: Rows, *, keep_examples: bool = False) -> Path:
    """Fill the template at ``path`` as a person would: over the example row, then below it."""
    workbook = load_workbook(path)
    for name, sheet_rows in rows.items():
        worksheet = workbook[name]
        if not keep_examples:
            worksheet.delete_rows(2)
        for row in sheet_rows:
            worksheet.append(list(row))
    workbook.save(path)
    return path


def _filled(tmp_path: Path, rows: Rows = SMALL, name: str = "import.xlsx") -> Path:
    return _fill(_template(tmp_path, name), rows)


def _import(sessions: sessionmaker[Session], path: Path) -> ImportReport:
    with sessions.begin() as session:
        return import_path(session, path, now=NOW)


def _rejected(sessions: sessionmaker[Session], path: Path) -> list[ImportProblem]:
    with sessions.begin() as session, pytest.raises(ImportRejected) as caught:
        import_path(session, path, now=NOW)
    return caught.value.problems


def _counts(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in MODELS
        }


def _where(problem: ImportProblem) -> tuple[str | None, int | None, str | None, str]:
    return (problem.sheet, problem.line, problem.column, problem.field)


# --- the template ----------------------------------------------------------------------------


def test_the_template_has_a_guide_then_one_sheet_per_kind_of_record(tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    write_template(path)

    workbook = load_workbook(path)

    names = ["说明", "学校党委", "单位", "党支部", "人员", "职务", "学年", "学期", "假期"]
    assert workbook.sheetnames == names
    units = workbook["单位"]
    assert [cell.value for cell in units[1]] == [
        "编码",
        "名称",
        "类型",
        "党员人数",
        "任期开始",
        "任期年限",
        "启用日期",
        "停用日期",
        "备注",
    ]
    assert units.freeze_panes == "A2"
    assert units["A1"].comment.text.startswith("必填。")
    assert units["I2"].value == EXAMPLE_NOTE
    assert units.column_dimensions["B"].width == 28
    assert units.column_dimensions["A"].number_format == "@"
    assert units.column_dimensions["E"].number_format == "yyyy-mm-dd"


def test_the_template_offers_drop_down_lists_for_unit_kinds_and_roles(tmp_path: Path) -> None:
    workbook = load_workbook(_template(tmp_path))

    def lists(sheet: str) -> dict[str, str]:
        validations = workbook[sheet].data_validations.dataValidation
        return {str(v.sqref): v.formula1 for v in validations if v.type == "list"}

    assert lists("单位") == {"C2:C1048576": '"党总支,直属党支部"', "F2:F1048576": '"3,4"'}
    assert lists("职务") == {"C2:C1048576": '"书记,副书记,委员,纪检委员,组织员,院长"'}


def test_the_guide_explains_every_column_of_every_sheet(tmp_path: Path) -> None:
    guide = load_workbook(_template(tmp_path))["说明"]

    explained = {row[1] for row in guide.iter_rows(values_only=True) if row[1]}

    headers = {column.header for sheet in SHEETS for column in sheet.columns}
    assert headers | {"备注"} <= explained


def test_importing_the_untouched_template_changes_nothing(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    report = _import(sessions, _template(tmp_path))

    assert report.summary() == "新增 0，更新 0，未变 0"
    assert set(_counts(sessions).values()) == {0}


# --- a filled-in template --------------------------------------------------------------------


def test_a_filled_in_template_imports_the_college_its_people_and_calendar(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    report = _import(sessions, _filled(tmp_path))

    assert report.created == Counter(
        organization=5, person=2, role=2, academic_year=1, semester=2, vacation=1
    )
    assert report.changes[:3] == [
        "新增 学校党委 C1 测试学院党委",
        "新增 党总支 U01 机电工程学院党总支",
        "新增 直属党支部 U08 机关第一直属党支部",
    ]
    with sessions() as session:
        orgs = {o.code: o for o in session.scalars(select(Organization))}
        assert orgs["U01-B02"].parent_id == orgs["U01"].id
        assert orgs["U08"].parent_id == orgs["C1"].id
        assert orgs["U08"].kind is OrgKind.DIRECT_BRANCH
        assert (orgs["U01"].term_start, orgs["U01"].term_years) == (date(2023, 10, 15), 3)
        assert orgs["C1"].active_from == date(2025, 9, 1)
        li_na = session.scalars(select(Person).where(Person.code == "T0002")).one()
        (role,) = session.scalars(
            select(RoleAssignment).where(RoleAssignment.person_id == li_na.id)
        )
        assert (role.role, role.start_on, role.end_on) == (
            Role.SECRETARY,
            date(2024, 3, 1),
            date(2026, 2, 28),
        )
        year = session.scalars(select(AcademicYear)).one()
        assert [(s.number, s.start_on, s.end_on) for s in year.semesters] == [
            (1, date(2025, 9, 1), date(2026, 1, 16)),
            (2, date(2026, 3, 2), date(2026, 7, 10)),
        ]
        assert [(v.name, v.end_on) for v in year.vacations] == [("寒假", date(2026, 3, 1))]


def test_importing_the_same_workbook_again_changes_nothing(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = _filled(tmp_path)
    _import(sessions, path)

    again = _import(sessions, path)

    assert not again.changed
    assert again.unchanged.total() == SMALL_TOTAL
    assert again.changes == []


def test_a_changed_cell_is_reported_as_an_update(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _import(sessions, _filled(tmp_path))
    rows = {**SMALL, "人员": [["T0001", "张伟", "zw@example.edu.cn", "13800000001", "zhangwei"]]}

    report = _import(sessions, _filled(tmp_path, rows, "second.xlsx"))

    assert report.changes == [
        "更新 人员 T0001 张伟：邮箱 zhangwei@example.edu.cn → zw@example.edu.cn"
    ]


def test_examples_left_in_place_are_skipped(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = _fill(_template(tmp_path), SMALL, keep_examples=True)

    report = _import(sessions, path)

    assert report.created.total() == SMALL_TOTAL
    with sessions() as session:
        assert (
            session.scalars(select(Organization).where(Organization.code == "SL")).first() is None
        )


def test_codes_typed_as_numbers_import_as_text(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    rows = {
        "单位": [[101, "机电工程学院党总支", "党总支", 80.0, None, 3.0]],
        "党支部": [[101.0, 10101, "机电工程学院教工党支部", 30]],
        "人员": [[9001.0, "张伟", None, 13800000001.0]],
        "职务": [[9001, 10101.0, "secretary", date(2024, 3, 1)]],
    }

    _import(sessions, _filled(tmp_path, rows))

    with sessions() as session:
        orgs = {o.code: o for o in session.scalars(select(Organization))}
        person = session.scalars(select(Person)).one()
    assert set(orgs) == {"101", "10101"}
    assert orgs["10101"].parent_id == orgs["101"].id
    assert (orgs["101"].member_count, orgs["101"].term_years) == (80, 3)
    assert (person.code, person.mobile) == ("9001", "13800000001")


@pytest.mark.parametrize(
    "cell",
    [
        pytest.param(date(2025, 9, 1), id="date"),
        pytest.param(datetime(2025, 9, 1), id="datetime-at-midnight"),  # noqa: DTZ001
        pytest.param(45901, id="serial-number"),
        pytest.param(45901.0, id="serial-number-as-float"),
        pytest.param(20250901, id="yyyymmdd-number"),
        pytest.param("2025-09-01", id="iso-text"),
        pytest.param("2025/9/1", id="slashed-text"),
        pytest.param(" 2025年9月1日 ", id="chinese-text"),
        pytest.param("2025.9.1", id="dotted-text"),
    ],
)
def test_a_date_imports_from_any_kind_of_cell(
    sessions: sessionmaker[Session], tmp_path: Path, cell: Any
) -> None:
    rows = {"学年": [["2025-2026", cell, date(2026, 8, 31)]]}

    _import(sessions, _filled(tmp_path, rows))

    with sessions() as session:
        assert session.scalars(select(AcademicYear.start_on)).one() == date(2025, 9, 1)


def test_empty_rows_after_the_data_are_ignored(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = _filled(tmp_path, {"人员": [["T0001", "张伟"]]})
    workbook = load_workbook(path)
    people = workbook["人员"]
    people.cell(row=3, column=2, value="   ")
    people.cell(row=40, column=1, value="")
    people.cell(row=60, column=3).number_format = "@"  # formatted but empty
    people.cell(row=70, column=6, value="只是备注")
    workbook.save(path)

    report = _import(sessions, path)

    assert report.created == Counter(person=1)


def test_a_merged_unit_cell_gives_its_code_to_every_branch_row(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    rows = {
        "单位": [["U01", "机电工程学院党总支", "党总支"]],
        "党支部": [
            ["U01", "U01-B01", "教工党支部"],
            [None, "U01-B02", "学生第一党支部"],
            [None, "U01-B03", "学生第二党支部"],
        ],
    }
    path = _filled(tmp_path, rows)
    workbook = load_workbook(path)
    workbook["党支部"].merge_cells("A2:A4")
    workbook.save(path)

    _import(sessions, path)

    with sessions() as session:
        unit = session.scalars(select(Organization).where(Organization.code == "U01")).one()
        assert sorted(child.code for child in unit.children) == ["U01-B01", "U01-B02", "U01-B03"]


# --- bad workbooks ---------------------------------------------------------------------------

# (rows, where: (sheet, row, column letter, header), a piece of the message); SMALL is imported
# first, and each workbook holds only these rows.
BAD_ROWS = [
    pytest.param(
        {"党支部": [["U99", "U99-B01", "不存在的党支部"]]},
        ("党支部", 2, "A", "所属单位编码"),
        "上级组织 U99 不存在（文件和数据库中都没有）",
        id="branch-of-an-unknown-unit",
    ),
    pytest.param(
        {"党支部": [[None, "U01-B09", "无所属单位的党支部"]]},
        ("党支部", 2, "A", "所属单位编码"),
        "必填字段，不能为空",
        id="branch-without-a-unit",
    ),
    pytest.param(
        {"单位": [["U02", "信息工程学院党总支", "党总支"], ["U02", "信息工程学院", "党总支"]]},
        ("单位", 3, "A", "编码"),
        "组织编码 U02 重复，工作表“单位”第 2 行已有",
        id="duplicate-code-in-one-sheet",
    ),
    pytest.param(
        {"单位": [["U02", "信息工程学院党总支", "党总支"]], "党支部": [["U01", "U02", "党支部"]]},
        ("党支部", 2, "B", "编码"),
        "组织编码 U02 重复，工作表“单位”第 2 行已有",
        id="duplicate-code-across-sheets",
    ),
    pytest.param(
        {"学年": [["2026-2027", "2026-13-01", date(2027, 8, 31)]]},
        ("学年", 2, "B", "开始日期"),
        "日期 '2026-13-01' 无效，应为 YYYY-MM-DD 格式的真实日期",
        id="impossible-date",
    ),
    pytest.param(
        {"学年": [["2026-2027", datetime(2026, 9, 1, 8, 30), date(2027, 8, 31)]]},  # noqa: DTZ001
        ("学年", 2, "B", "开始日期"),
        "应为日期，不能带时间：2026-09-01 08:30:00",
        id="date-with-a-time",
    ),
    pytest.param(
        {"职务": [["T0001", "U01", "校长", date(2024, 1, 1)]]},
        ("职务", 2, "C", "职务"),
        "取值 '校长' 无效，可选：书记、副书记、委员、纪检委员、组织员、院长",
        id="role-no-rule-knows",
    ),
    pytest.param(
        {"单位": [["U02", "信息工程学院党委", "党委"]]},
        ("单位", 2, "C", "类型"),
        "取值 '党委' 无效，可选：党总支、直属党支部",
        id="unknown-unit-kind",
    ),
    pytest.param(
        {"职务": [["T0009", "U01", "委员", date(2024, 1, 1)]]},
        ("职务", 2, "A", "人员编号"),
        "人员 T0009 不存在",
        id="role-of-an-unknown-person",
    ),
    pytest.param(
        {"人员": [["T0003", "王芳", "wangfang"]]},
        ("人员", 2, "C", "邮箱"),
        "应为邮箱地址",
        id="bad-email",
    ),
    pytest.param(
        {"单位": [["U02", "信息工程学院党总支", "党总支", 90, None, 5]]},
        ("单位", 2, "F", "任期年限"),
        "任期年限应为 3 或 4（年），不是 5",
        id="term-of-five-years",
    ),
    pytest.param(
        {"学期": [["2025-2026", 2, date(2026, 1, 10), date(2026, 7, 10)]]},
        ("学期", 2, "C", "开始日期"),
        "第2学期（2026-01-10 至 2026-07-10） 与 第1学期（2025-09-01 至 2026-01-16） 重叠",
        id="semester-overlapping-a-stored-one",
    ),
    pytest.param(
        {"假期": [["2027-2028", "寒假", date(2028, 1, 20), date(2028, 2, 25)]]},
        ("假期", 2, "A", "学年"),
        "学年 2027-2028 不存在",
        id="vacation-of-an-unknown-year",
    ),
    pytest.param(
        {"职务": [["T0001", "U01", "委员", date(2024, 1, 1), date(2023, 1, 1)]]},
        ("职务", 2, "E", "截止日期"),
        "任职截止日期 2023-01-01 早于开始日期 2024-01-01",
        id="role-ending-before-it-starts",
    ),
    pytest.param(
        {"人员": [["T0003", "王芳", None, None, None, None, "多出来的一列"]]},
        ("人员", 2, "G", ""),
        "此列没有表头，内容无法导入",
        id="cell-outside-the-headed-columns",
    ),
]


@pytest.mark.parametrize(("rows", "where", "message"), BAD_ROWS)
def test_a_bad_row_is_refused_naming_its_sheet_row_and_column(
    sessions: sessionmaker[Session],
    tmp_path: Path,
    rows: Rows,
    where: tuple[str, int, str, str],
    message: str,
) -> None:
    _import(sessions, _filled(tmp_path, SMALL, "small.xlsx"))
    before = _counts(sessions)
    path = _filled(tmp_path, rows, "bad.xlsx")

    problems = _rejected(sessions, path)

    assert [_where(p) for p in problems] == [where]
    assert message in problems[0].message
    assert problems[0].file == str(path)
    assert _counts(sessions) == before


def test_every_problem_is_listed_at_once_and_nothing_is_written(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    rows = {
        **SMALL,
        "人员": [["T0001", "张伟", "not-an-email"], ["T0002", "李娜"]],
        "职务": [["T0001", "U01", "书记", date(2023, 10, 15)], ["T0002", "U77", "主任", "昨天"]],
    }
    path = _filled(tmp_path, rows)

    with sessions.begin() as session, pytest.raises(ImportRejected) as caught:
        import_path(session, path, now=NOW)

    assert [_where(p) for p in caught.value.problems] == [
        ("人员", 2, "C", "邮箱"),
        ("职务", 3, "C", "职务"),
        ("职务", 3, "D", "任职日期"),
        ("职务", 3, "B", "组织编码"),
    ]
    text = str(caught.value)
    assert text.startswith("发现 4 个问题，未导入任何数据：")
    assert f"{path}: 工作表“人员” 第 2 行 C 列（邮箱）: 'not-an-email' 格式不对" in text
    assert set(_counts(sessions).values()) == {0}


def test_an_edited_example_row_is_refused_rather_than_skipped(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = _template(tmp_path)
    workbook = load_workbook(path)
    workbook["人员"]["B2"] = "王五"
    workbook.save(path)

    (problem,) = _rejected(sessions, path)

    assert _where(problem) == ("人员", 2, "F", "备注")
    assert "内容已修改；如要导入此行，请清空“备注”列" in problem.message


def _workbook(tmp_path: Path, sheets: Rows) -> Path:
    """A workbook built by hand, not from the template."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        worksheet = workbook.create_sheet(name)
        for row in rows:
            worksheet.append(list(row))
    path = tmp_path / "hand.xlsx"
    workbook.save(path)
    return path


def test_an_unknown_sheet_and_an_unknown_column_are_refused(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = _workbook(
        tmp_path,
        {
            "人员": [["编号", "姓名", "电话"], ["T0001", "张伟", "138"]],
            "Sheet1": [["随手记"]],
            "Sheet2": [],
        },
    )

    problems = _rejected(sessions, path)

    assert [_where(p) for p in problems] == [("人员", 1, "C", "电话"), ("Sheet1", None, None, "")]
    assert problems[0].message.startswith("无法识别的列；此表可用的列：编号、姓名、邮箱")
    assert problems[1].message.startswith("无法识别的工作表；可用的工作表：学校党委、单位")


def test_a_sheet_missing_a_required_column_is_refused_once_not_per_row(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = _workbook(tmp_path, {"人员": [["姓名", "邮箱"], ["张伟", None], ["李娜", None]]})

    (problem,) = _rejected(sessions, path)

    assert _where(problem) == ("人员", 1, None, "")
    assert problem.message.startswith("缺少必填的列：编号")


def test_a_missing_optional_column_leaves_the_field_alone(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _import(sessions, _filled(tmp_path))
    path = _workbook(tmp_path, {"人员": [["编号", "姓名"], ["T0001", "张伟"]]})

    report = _import(sessions, path)

    assert not report.changed
    with sessions() as session:
        person = session.scalars(select(Person).where(Person.code == "T0001")).one()
        assert person.email == "zhangwei@example.edu.cn"


def test_a_file_that_is_not_a_workbook_is_refused(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = tmp_path / "people.xlsx"
    path.write_text("code,name\nT0001,张伟\n", encoding="utf-8")

    (problem,) = _rejected(sessions, path)

    assert problem.message.startswith("无法读取：不是有效的 .xlsx 工作簿")


# --- the command line ------------------------------------------------------------------------


def _run(tmp_path: Path, *args: str | Path) -> Result:
    return CliRunner().invoke(cli, ["--data-dir", str(tmp_path / "data"), *map(str, args)])


def test_the_template_command_writes_a_workbook_and_refuses_to_overwrite_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "import.xlsx"

    written = _run(tmp_path, "template", path)
    again = _run(tmp_path, "template", path)
    forced = _run(tmp_path, "template", path, "--force")

    assert written.exit_code == 0, written.output
    assert written.stdout == f"已生成导入模板 {path}；填写后运行：obligations import {path}\n"
    assert load_workbook(path).sheetnames[0] == "说明"
    assert again.exit_code == 2
    assert "已存在；如要覆盖，请加 --force" in again.stderr
    assert forced.exit_code == 0


def test_the_template_command_wants_an_xlsx_name(tmp_path: Path) -> None:
    result = _run(tmp_path, "template", tmp_path / "import.xls")

    assert result.exit_code == 2
    assert "模板文件名应以 .xlsx 结尾" in result.stderr


def test_importing_a_workbook_prints_its_changes_then_nothing_the_second_time(
    tmp_path: Path,
) -> None:
    path = _filled(tmp_path)

    first = _run(tmp_path, "import", path)
    second = _run(tmp_path, "import", path)

    assert first.exit_code == 0, first.output
    assert first.stdout.splitlines()[0] == "新增 学校党委 C1 测试学院党委"
    assert first.stdout.splitlines()[-1] == f"新增 {SMALL_TOTAL}，更新 0，未变 0"
    assert second.exit_code == 0
    assert second.stdout == f"新增 0，更新 0，未变 {SMALL_TOTAL}\n"


def test_a_bad_workbook_exits_2_listing_every_problem_and_writes_nothing(
    tmp_path: Path,
) -> None:
    path = _filled(tmp_path, {**SMALL, "党支部": [*SMALL["党支部"], ["U99", "U99-B01", "党支部"]]})

    result = _run(tmp_path, "import", path)
    after = _run(tmp_path, "import", _filled(tmp_path, {"人员": [["T0001", "张伟"]]}, "ok.xlsx"))

    assert result.exit_code == 2
    assert result.stdout == ""
    assert "发现 1 个问题，未导入任何数据" in result.stderr
    assert f"{path}: 工作表“党支部” 第 4 行 A 列（所属单位编码）: 上级组织 U99 不存在" in (
        result.stderr
    )
    assert after.stdout.splitlines()[-1] == "新增 1，更新 0，未变 0"
