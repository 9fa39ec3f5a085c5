"""Importing from CSV files: one kind of record per file, recognised by its header row."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from obligations.models import (
    AcademicYear,
    Organization,
    Person,
    RoleAssignment,
    Semester,
    Vacation,
)
from obligations.orgdata.service import ImportProblem, ImportRejected, ImportReport, import_path
from obligations.vocabulary import Role

NOW = datetime(2026, 3, 1, 0, 30, tzinfo=UTC)

ORGS = """\
code,name,kind,parent,member_count,term_start,term_years,active_from,active_until
U01-B01,机电工程学院教工第一党支部,branch,U01,30,,,,
C1,测试学院党委,college,,,,,2025-09-01,
U01,机电工程学院党总支,general_branch,,80,2023-10-15,3,,
U08,机关第一直属党支部,direct_branch,C1,38,2024-01-12,3,,
"""
PEOPLE = """\
code,name,email,mobile,wecom_userid
T0001,张伟,zhangwei@example.edu.cn,13800000001,zhangwei
T0002,李娜,,,
"""
ROLES = """\
person,org,role,from,until
T0001,U01,secretary,2023-10-15,2026-02-28
T0002,U01-B01,secretary,2024-03-01,
"""
SEMESTERS = """\
academic_year,academic_year_start,academic_year_end,number,start,end
2025-2026,2025-09-01,2026-08-31,1,2025-09-01,2026-01-16
2025-2026,2025-09-01,2026-08-31,2,2026-03-02,2026-07-10
"""
VACATIONS = """\
academic_year,name,start,end
2025-2026,寒假,2026-01-17,2026-03-01
2025-2026,暑假,2026-07-11,2026-08-31
"""


def _write(tmp_path: Path, text: str, name: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def _import(sessions: sessionmaker[Session], *paths: Path) -> ImportReport:
    report = ImportReport()
    with sessions.begin() as session:
        for path in paths:
            report.merge(import_path(session, path, now=NOW))
    return report


def _rejected(sessions: sessionmaker[Session], path: Path) -> list[ImportProblem]:
    with sessions.begin() as session, pytest.raises(ImportRejected) as caught:
        import_path(session, path, now=NOW)
    return caught.value.problems


def _count(sessions: sessionmaker[Session], model: type[object]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _all_files(tmp_path: Path) -> list[Path]:
    texts = [("orgs", ORGS), ("people", PEOPLE), ("roles", ROLES)]
    texts += [("semesters", SEMESTERS), ("vacations", VACATIONS)]
    return [_write(tmp_path, text, f"{name}.csv") for name, text in texts]


def test_organizations_import_with_branches_listed_before_their_unit(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    report = _import(sessions, _write(tmp_path, "\ufeff" + ORGS, "orgs.csv"))

    assert report.changes == [
        "新增 学校党委 C1 测试学院党委",
        "新增 党总支 U01 机电工程学院党总支",
        "新增 直属党支部 U08 机关第一直属党支部",
        "新增 党支部 U01-B01 机电工程学院教工第一党支部",
    ]
    with sessions() as session:
        orgs = {o.code: o for o in session.scalars(select(Organization))}
    assert orgs["U01-B01"].parent_id == orgs["U01"].id
    assert orgs["U01"].parent_id == orgs["U08"].parent_id == orgs["C1"].id
    assert (orgs["U01"].term_start, orgs["U01"].term_years) == (date(2023, 10, 15), 3)
    assert orgs["U01-B01"].term_start is None


def test_people_roles_semesters_and_vacations_import_from_their_own_files(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    report = _import(sessions, *_all_files(tmp_path))

    assert report.created == Counter(
        organization=4, person=2, role=2, academic_year=1, semester=2, vacation=2
    )
    assert "新增 职务 T0001 张伟 任 U01 书记，2023-10-15 至 2026-02-28" in report.changes
    assert "新增 假期 2025-2026 暑假：2026-07-11 至 2026-08-31" in report.changes
    with sessions() as session:
        li_na = session.scalars(select(Person).where(Person.code == "T0002")).one()
        assert (li_na.email, li_na.mobile, li_na.contacts) == (None, None, [])
        role = session.scalars(select(RoleAssignment).where(RoleAssignment.person_id == li_na.id))
        assert [(r.role, r.start_on, r.end_on) for r in role] == [
            (Role.SECRETARY, date(2024, 3, 1), None)
        ]
        year = session.scalars(select(AcademicYear)).one()
        assert (year.key, year.start_on, year.end_on) == (
            "2025-2026",
            date(2025, 9, 1),
            date(2026, 8, 31),
        )
        assert [(s.number, s.end_on) for s in year.semesters] == [
            (1, date(2026, 1, 16)),
            (2, date(2026, 7, 10)),
        ]


def test_importing_the_same_csv_files_again_changes_nothing(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    files = _all_files(tmp_path)
    _import(sessions, *files)

    again = _import(sessions, *files)

    assert not again.changed
    assert again.unchanged.total() == 13


def test_an_empty_cell_clears_the_field(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    _import(sessions, _write(tmp_path, PEOPLE, "people.csv"))
    cleared = PEOPLE.replace("zhangwei@example.edu.cn", "")

    report = _import(sessions, _write(tmp_path, cleared, "cleared.csv"))

    assert report.changes == ["更新 人员 T0001 张伟：邮箱 zhangwei@example.edu.cn → 无"]


def test_an_unrecognised_header_is_refused_listing_the_accepted_headers(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = _write(tmp_path, "code,name,phone\nT0001,张伟,138\n", "people.csv")

    (problem,) = _rejected(sessions, path)

    assert problem.line == 1
    assert problem.message.startswith("无法识别的表头 code,name,phone；可用的表头：")
    assert "人员：code,name,email,mobile,wecom_userid" in problem.message
    assert "学期：academic_year,academic_year_start,academic_year_end,number,start,end" in (
        problem.message
    )


# (CSV text, line, field, a piece of the message); the other files are imported first.
BAD_ROWS = [
    pytest.param(
        "code,name,kind,parent,member_count,term_start,term_years,active_from,active_until\n"
        "U01-B02,机电工程学院学生第一党支部,branch,U01,20,,,,\n"
        "U01-B02-1,学生党小组,branch,U01-B02,8,,,,\n",
        3,
        "parent",
        "U01-B02 是党支部，党支部不能设在党支部之下",
        id="branch-under-a-branch",
    ),
    pytest.param(
        "code,name,kind,parent,member_count,term_start,term_years,active_from,active_until\n"
        "U02-B01,信息工程学院教工党支部,branch,U02,20,,,,\n",
        2,
        "parent",
        "上级组织 U02 不存在（文件和数据库中都没有）",
        id="branch-whose-unit-does-not-exist",
    ),
    pytest.param(
        "code,name,kind,parent,member_count,term_start,term_years,active_from,active_until\n"
        "U02,信息工程学院党总支,general_branch,U01,90,,,,\n",
        2,
        "parent",
        "党总支、直属党支部的上级只能是学校党委（C1）或留空，不能是 U01",
        id="unit-under-a-unit",
    ),
    pytest.param(
        "code,name,kind,parent,member_count,term_start,term_years,active_from,active_until\n"
        "U02,信息工程学院党总支,party,,90,,,,\n",
        2,
        "kind",
        "可选：college（学校党委）、general_branch（党总支）、direct_branch（直属党支部）、branch（党支部）",
        id="unknown-kind",
    ),
    pytest.param(
        "person,org,role,from,until\nT0009,U01,secretary,2023-10-15,\n",
        2,
        "person",
        "人员 T0009 不存在",
        id="role-for-unknown-person",
    ),
    pytest.param(
        "person,org,role,from,until\nT0001,U01,secretary,2023-10-15,2023-10-14\n",
        2,
        "until",
        "任职截止日期 2023-10-14 早于开始日期 2023-10-15",
        id="role-ending-before-it-starts",
    ),
    pytest.param(
        "code,name,email,mobile,wecom_userid\nT0003,王芳,,,\nT0003,王芳芳,,,\n",
        3,
        "code",
        "人员编号 T0003 重复，第 2 行已有",
        id="duplicate-person",
    ),
    pytest.param(
        "academic_year,academic_year_start,academic_year_end,number,start,end\n"
        "2026-2027,2026-09-01,2027-08-31,1,2026-09-07,2027-01-22\n"
        "2026-2027,2026-09-01,2027-07-31,2,2027-03-01,2027-07-09\n",
        3,
        "academic_year_end",
        "同一学年 2026-2027 的起止日期应一致，第 2 行为 2027-08-31",
        id="semester-rows-disagreeing-on-their-year",
    ),
    pytest.param(
        "academic_year,academic_year_start,academic_year_end,number,start,end\n"
        "2025-2026,2025-09-01,2026-08-31,2,2026-01-10,2026-07-10\n",
        2,
        "start",
        "第2学期（2026-01-10 至 2026-07-10） 与 第1学期（2025-09-01 至 2026-01-16） 重叠",
        id="semester-overlapping-a-stored-one",
    ),
    pytest.param(
        "academic_year,academic_year_start,academic_year_end,number,start,end\n"
        "2025-2026,2025-09-01,2026-08-31,1,2025-09-01,2026-03-10\n",
        2,
        "end",
        "第2学期（2026-03-02 至 2026-07-10） 与 第1学期（2025-09-01 至 2026-03-10） 重叠",
        id="semester-stretching-into-a-stored-one",
    ),
    pytest.param(
        "code,name,kind,parent,member_count,term_start,term_years,active_from,active_until\n"
        "C1,测试学院党委,general_branch,,,,,,\n",
        2,
        "kind",
        "C1 是学校党委，不能改为党总支",
        id="college-changing-kind",
    ),
    pytest.param(
        "academic_year,name,start,end\n2027-2028,寒假,2028-01-20,2028-02-25\n",
        2,
        "academic_year",
        "学年 2027-2028 不存在",
        id="vacation-for-an-unknown-year",
    ),
    pytest.param(
        "academic_year,name,start,end\n2025-2026,寒假,2026-01-17\n",
        2,
        "",
        "此行有 3 列，表头有 4 列",
        id="row-with-a-missing-cell",
    ),
]


@pytest.mark.parametrize(("text", "line", "field", "message"), BAD_ROWS)
def test_a_bad_row_is_refused_naming_its_line_and_column(
    sessions: sessionmaker[Session],
    tmp_path: Path,
    text: str,
    line: int,
    field: str,
    message: str,
) -> None:
    _import(sessions, *_all_files(tmp_path))
    before = [_count(sessions, m) for m in (Organization, Person, RoleAssignment, Semester)]
    path = _write(tmp_path, text, "bad.csv")

    problems = _rejected(sessions, path)

    assert [(p.file, p.line, p.field) for p in problems] == [(str(path), line, field)]
    assert message in problems[0].message
    after = [_count(sessions, m) for m in (Organization, Person, RoleAssignment, Semester)]
    assert after == before
    assert _count(sessions, Vacation) == 2


def test_a_file_that_is_not_utf8_is_refused_with_advice(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = _write(tmp_path, PEOPLE, "people.csv", encoding="gbk")

    (problem,) = _rejected(sessions, path)

    assert "不是 UTF-8 编码" in problem.message
    assert _count(sessions, Person) == 0


def test_a_file_the_csv_reader_cannot_read_is_refused(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    huge = "x" * 200_000
    path = _write(tmp_path, f"code,name,email,mobile,wecom_userid\nT0001,{huge},,,\n", "big.csv")

    (problem,) = _rejected(sessions, path)

    assert problem.message.startswith("CSV 格式错误")
    assert _count(sessions, Person) == 0
