"""Importing organizations, people, roles and the academic calendar from YAML."""

from __future__ import annotations

import textwrap
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from obligations.models import (
    AcademicYear,
    Organization,
    Person,
    RoleAssignment,
    Semester,
    Vacation,
)
from obligations.orgdata.service import (
    ImportProblem,
    ImportRejected,
    ImportReport,
    import_data,
    import_path,
)
from obligations.paths import demo_dir
from obligations.vocabulary import OrgKind, Role

NOW = datetime(2026, 3, 1, 0, 30, tzinfo=UTC)
LATER = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)
DEMO = demo_dir() / "college.yaml"
MODELS = (Organization, Person, RoleAssignment, AcademicYear, Semester, Vacation)

SMALL = """\
college:
  code: C1
  name: 测试学院党委
units:
  - code: U01
    name: 机电工程学院党总支
    kind: general_branch
    member_count: 80
    term_start: 2023-10-15
    term_years: 3
    branches:
      - {code: U01-B01, name: 机电工程学院教工第一党支部, member_count: 30}
      - {code: U01-B02, name: 机电工程学院学生第一党支部, member_count: 50}
people:
  - code: T0001
    name: 张伟
    email: zhangwei@example.edu.cn
    mobile: "13800000001"
    wecom_userid: zhangwei
    roles:
      - {org: U01, role: secretary, from: 2023-10-15}
  - code: T0002
    name: 李娜
    roles:
      - {org: U01-B01, role: secretary, from: 2024-03-01}
calendar:
  academic_years:
    - key: 2025-2026
      start: 2025-09-01
      end: 2026-08-31
      semesters:
        - {number: 1, start: 2025-09-01, end: 2026-01-16}
        - {number: 2, start: 2026-03-02, end: 2026-07-10}
      vacations:
        - {name: 寒假, start: 2026-01-17, end: 2026-03-01}
"""


def _write(tmp_path: Path, text: str, name: str = "data.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _import(sessions: sessionmaker[Session], path: Path, now: datetime = NOW) -> ImportReport:
    with sessions.begin() as session:
        return import_path(session, path, now=now)


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


def _org(session: Session, code: str) -> Organization:
    return session.scalars(select(Organization).where(Organization.code == code)).one()


def _roles(session: Session, org: str, role: Role) -> list[RoleAssignment]:
    return list(
        session.scalars(
            select(RoleAssignment)
            .join(RoleAssignment.organization)
            .where(Organization.code == org, RoleAssignment.role == role)
            .order_by(RoleAssignment.start_on)
        )
    )


# --- the demo college ------------------------------------------------------------------------


def test_the_demo_college_imports_every_unit_branch_person_role_and_semester(
    sessions: sessionmaker[Session],
) -> None:
    report = _import(sessions, DEMO)

    expected = Counter(
        organization=44, person=94, role=101, academic_year=2, semester=4, vacation=4
    )
    assert report.created == expected
    assert report.updated.total() == 0
    assert len(report.changes) == expected.total()
    assert _counts(sessions) == {
        "organization": 44,
        "person": 94,
        "role_assignment": 101,
        "academic_year": 2,
        "semester": 4,
        "vacation": 4,
    }
    with sessions() as session:
        kinds = Counter(session.scalars(select(Organization.kind)))
    assert kinds == {
        OrgKind.COLLEGE: 1,
        OrgKind.GENERAL_BRANCH: 7,
        OrgKind.DIRECT_BRANCH: 3,
        OrgKind.BRANCH: 33,
    }


def test_the_demo_units_hang_under_the_college_and_branches_under_their_unit(
    sessions: sessionmaker[Session],
) -> None:
    _import(sessions, DEMO)

    with sessions() as session:
        college = _org(session, "AHVTC")
        assert college.name == "安徽职业技术学院党委"
        assert college.active_from == date(2025, 9, 1)
        units = session.scalars(select(Organization).where(Organization.parent_id == college.id))
        assert sorted(u.code for u in units) == [f"U{n:02d}" for n in range(1, 11)]
        branch = _org(session, "U01-B03")
        assert branch.parent is not None and branch.parent.code == "U01"
        assert branch.name == "机电工程学院学生第一党支部"


def test_the_demo_college_holds_the_situations_the_rules_must_handle(
    sessions: sessionmaker[Session],
) -> None:
    _import(sessions, DEMO)

    with sessions() as session:
        u01 = _org(session, "U01")
        assert (u01.term_start, u01.term_years) == (date(2023, 10, 15), 3)
        assert _org(session, "U10").active_from == date(2026, 5, 1)
        old, new = _roles(session, "U04", Role.SECRETARY)
        assert (old.end_on, new.start_on, new.end_on) == (date(2026, 2, 28), date(2026, 3, 1), None)
        assert old.person_id != new.person_id
        # One 党总支 and one 直属党支部 do not fit the member-count standard.
        assert _org(session, "U06").member_count == 104
        assert (_org(session, "U09").kind, _org(session, "U09").member_count) == (
            OrgKind.DIRECT_BRANCH,
            57,
        )


def test_every_demo_unit_has_a_full_committee_and_every_branch_a_secretary(
    sessions: sessionmaker[Session],
) -> None:
    _import(sessions, DEMO)

    with sessions() as session:
        for org in session.scalars(select(Organization)):
            roles = Counter(
                a.role
                for a in session.scalars(
                    select(RoleAssignment).where(RoleAssignment.organization_id == org.id)
                )
            )
            committee = sum(n for role, n in roles.items() if role.on_committee)
            if org.kind is OrgKind.GENERAL_BRANCH:
                assert roles[Role.DEPUTY_SECRETARY] == 1, org.code
                assert roles[Role.ORGANIZER] == roles[Role.DEAN] == 1, org.code
                assert roles[Role.DISCIPLINE_MEMBER] == 1, org.code
                assert 5 <= committee - (org.code == "U04") <= 7, org.code
            elif org.kind is OrgKind.DIRECT_BRANCH:
                assert roles[Role.SECRETARY] == roles[Role.DISCIPLINE_MEMBER] == 1, org.code
                assert 3 <= committee <= 5, org.code
            elif org.kind is OrgKind.BRANCH:
                assert roles == {Role.SECRETARY: 1}, org.code


def test_every_demo_person_can_be_reached(sessions: sessionmaker[Session]) -> None:
    _import(sessions, DEMO)

    with sessions() as session:
        people = list(session.scalars(select(Person).options(selectinload(Person.contacts))))
    assert len({p.name for p in people}) == len(people)
    for person in people:
        assert person.email is not None and person.email.endswith("@example.edu.cn")
        assert person.mobile is not None and len(person.mobile) == 11
        assert person.mobile[:3] in ("138", "139") and person.mobile.isdigit()
        assert [(c.kind, bool(c.address)) for c in person.contacts] == [("wecom_userid", True)]


# --- upserts ---------------------------------------------------------------------------------


def test_a_second_import_of_the_same_file_changes_nothing(
    sessions: sessionmaker[Session],
) -> None:
    _import(sessions, DEMO, now=NOW)

    again = _import(sessions, DEMO, now=LATER)

    assert not again.changed
    assert again.changes == []
    assert again.created.total() == again.updated.total() == 0
    assert again.unchanged.total() == 249
    assert again.summary() == "新增 0，更新 0，未变 249"
    with sessions() as session:
        stamps = set(session.scalars(select(Organization.updated_at)))
        stamps |= set(session.scalars(select(Person.updated_at)))
    assert stamps == {NOW}


def test_a_changed_file_reports_exactly_its_changes(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _import(sessions, _write(tmp_path, SMALL), now=NOW)
    changed = (
        SMALL.replace("member_count: 80", "member_count: 86")
        .replace(
            "      - {code: U01-B02, name: 机电工程学院学生第一党支部, member_count: 50}\n",
            "      - {code: U01-B02, name: 机电工程学院学生第一党支部, member_count: 50}\n"
            "      - {code: U01-B03, name: 机电工程学院学生第二党支部, member_count: 6}\n",
        )
        .replace('"13800000001"', '"13900000009"')
        .replace("from: 2023-10-15}", "from: 2023-10-15, until: 2026-02-28}")
        .replace("end: 2026-01-16}", "end: 2026-01-18}")
    )

    report = _import(sessions, _write(tmp_path, changed, "changed.yaml"), now=LATER)

    assert report.changes == [
        "更新 党总支 U01：党员人数 80 → 86",
        "新增 党支部 U01-B03 机电工程学院学生第二党支部",
        "更新 人员 T0001 张伟：手机 13800000001 → 13900000009",
        "更新 职务 T0001 张伟 任 U01 书记（2023-10-15 起）：截止日期 无 → 2026-02-28",
        "更新 学期 2025-2026 第1学期：结束日期 2026-01-16 → 2026-01-18",
    ]
    assert report.created == Counter(organization=1)
    assert report.updated == Counter(organization=1, person=1, role=1, semester=1)
    assert report.unchanged == Counter(
        organization=3, person=1, role=1, academic_year=1, semester=1, vacation=1
    )
    assert report.summary() == "新增 1，更新 4，未变 8"
    with sessions() as session:
        assert _org(session, "U01").updated_at == LATER
        assert _org(session, "U01-B01").updated_at == NOW
        assert _org(session, "U01-B03").parent is not None
        assert _org(session, "U01-B03").created_at == LATER


def test_reimporting_a_unit_with_a_new_term_updates_it(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _import(sessions, _write(tmp_path, SMALL))
    reelected = SMALL.replace("term_start: 2023-10-15", "term_start: 2026-10-20").replace(
        "term_years: 3", "term_years: 4"
    )

    report = _import(sessions, _write(tmp_path, reelected, "reelected.yaml"), now=LATER)

    assert report.changes == ["更新 党总支 U01：任期开始 2023-10-15 → 2026-10-20；任期年限 3 → 4"]
    with sessions() as session:
        u01 = _org(session, "U01")
        assert (u01.term_start, u01.term_years, u01.updated_at) == (date(2026, 10, 20), 4, LATER)


def test_rows_the_file_does_not_mention_are_left_alone(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _import(sessions, _write(tmp_path, SMALL))
    before = _counts(sessions)

    report = _import(
        sessions,
        _write(tmp_path, "people:\n  - {code: T0003, name: 王芳}\n", "one.yaml"),
    )

    assert report.changes == ["新增 人员 T0003 王芳"]
    assert _counts(sessions) == {**before, "person": before["person"] + 1}


def test_a_key_left_out_keeps_its_value_and_an_explicit_null_clears_it(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _import(sessions, _write(tmp_path, SMALL))
    text = "people:\n  - {code: T0001, name: 张伟, mobile: null}\n"

    report = _import(sessions, _write(tmp_path, text, "partial.yaml"))

    assert report.changes == ["更新 人员 T0001 张伟：手机 13800000001 → 无"]
    with sessions() as session:
        person = session.scalars(select(Person).where(Person.code == "T0001")).one()
        assert (person.email, person.mobile) == ("zhangwei@example.edu.cn", None)


def test_a_role_starting_on_a_new_date_is_a_new_role(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _import(sessions, _write(tmp_path, SMALL))
    text = "people:\n  - code: T0001\n    name: 张伟\n    roles:\n"
    text += "      - {org: U01, role: secretary, from: 2026-10-20}\n"

    report = _import(sessions, _write(tmp_path, text, "second-term.yaml"))

    assert report.created == Counter(role=1)
    with sessions() as session:
        terms = _roles(session, "U01", Role.SECRETARY)
    assert [(r.start_on, r.end_on) for r in terms] == [
        (date(2023, 10, 15), None),
        (date(2026, 10, 20), None),
    ]


def test_units_imported_before_the_college_move_under_it_when_it_comes(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    unit = "units:\n  - {code: U01, name: 机电工程学院党总支, kind: general_branch}\n"
    _import(sessions, _write(tmp_path, unit, "unit.yaml"))
    college = "college: {code: C1, name: 测试学院党委}\n" + unit

    report = _import(sessions, _write(tmp_path, college, "college.yaml"))

    assert report.changes == [
        "新增 学校党委 C1 测试学院党委",
        "更新 党总支 U01：上级组织 无 → C1",
    ]


def test_a_file_with_only_the_calendar_imports_it(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    calendar = SMALL[SMALL.index("calendar:") :]

    report = _import(sessions, _write(tmp_path, calendar))

    assert report.created == Counter(academic_year=1, semester=2, vacation=1)
    assert report.changes[:2] == [
        "新增 学年 2025-2026：2025-09-01 至 2026-08-31",
        "新增 学期 2025-2026 第1学期：2025-09-01 至 2026-01-16",
    ]


def test_import_data_takes_a_mapping_and_the_lines_of_its_values(
    sessions: sessionmaker[Session],
) -> None:
    data = {"units": [{"code": "U01", "name": "机电工程学院党总支", "kind": "party"}]}

    with sessions.begin() as session, pytest.raises(ImportRejected) as caught:
        import_data(session, data, source="web", lines={("units", 0, "kind"): 7}, now=NOW)

    assert [(p.file, p.line, p.field) for p in caught.value.problems] == [
        ("web", 7, "units[0].kind")
    ]


def test_a_naive_now_is_refused(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session, pytest.raises(ValueError, match="naive"):
        import_data(session, {}, source="web", now=datetime(2026, 3, 1))  # noqa: DTZ001


# --- problems --------------------------------------------------------------------------------


def test_a_problem_reads_as_file_line_field_and_message() -> None:
    assert str(ImportProblem("a.yaml", 3, "units[0].kind", "取值无效")) == (
        "a.yaml:3: units[0].kind: 取值无效"
    )
    assert str(ImportProblem("a.csv", None, "", "文件为空")) == "a.csv: 文件为空"


UNIT_HEAD = "units:\n  - code: U01\n    name: 机电工程学院党总支\n    kind: general_branch\n"
PERSON_HEAD = "people:\n  - code: T0001\n    name: 张伟\n    roles:\n"
YEAR_HEAD = (
    "calendar:\n  academic_years:\n    - key: 2025-2026\n"
    "      start: 2025-09-01\n      end: 2026-08-31\n"
)
SEMESTER_1 = "        - {number: 1, start: 2025-09-01, end: 2026-01-16}\n"

# (YAML with "#<" on the offending line, field path, a piece of the message)
BAD_FILES = [
    pytest.param(
        "colege: AHVTC  #<\n", "colege", "未知的顶层字段 'colege'", id="unknown-top-level-key"
    ),
    pytest.param(
        UNIT_HEAD + "    members: 80  #<\n",
        "units[0].members",
        "未知字段 'members'，可用字段：code、name、member_count",
        id="unknown-field",
    ),
    pytest.param(
        "units:\n  - code: U01  #<\n    kind: general_branch\n",
        "units[0].name",
        "缺少必填字段",
        id="missing-field",
    ),
    pytest.param(
        UNIT_HEAD + "    branches:\n      - {code: U01-B01, name: 甲}\n"
        "      - {code: U01-B01, name: 乙}  #<\n",
        "units[0].branches[1].code",
        "组织编码 U01-B01 重复，第 6 行已有",
        id="duplicate-code",
    ),
    pytest.param(
        "units:\n  - code: U01\n    name: 机电工程学院党总支\n    kind: party  #<\n",
        "units[0].kind",
        "可选：general_branch（党总支）、direct_branch（直属党支部）",
        id="unknown-kind",
    ),
    pytest.param(
        UNIT_HEAD + PERSON_HEAD + "      - {org: U01, role: boss, from: 2023-10-15}  #<\n",
        "people[0].roles[0].role",
        "取值 'boss' 无效，可选：secretary（书记）、deputy_secretary（副书记）、"
        "committee_member（委员）、discipline_member（纪检委员）、organizer（组织员）、dean（院长）",
        id="unknown-role",
    ),
    pytest.param(
        UNIT_HEAD + "    term_start: 2023/13/01  #<\n",
        "units[0].term_start",
        "日期 '2023/13/01' 无效，应为 YYYY-MM-DD",
        id="bad-date",
    ),
    pytest.param(
        UNIT_HEAD + "    term_start: 2023-02-30  #<\n",
        "units[0].term_start",
        "日期 '2023-02-30' 无效",
        id="impossible-date",
    ),
    pytest.param(
        UNIT_HEAD + "    active_from: 2026-05-01\n    active_until: 2026-04-30  #<\n",
        "units[0].active_until",
        "停用日期 2026-04-30 早于开始日期 2026-05-01",
        id="end-before-start",
    ),
    pytest.param(
        UNIT_HEAD + "    term_years: 5  #<\n",
        "units[0].term_years",
        "任期年限应为 3 或 4（年），不是 5",
        id="term-years",
    ),
    pytest.param(
        UNIT_HEAD + "    member_count: -3  #<\n",
        "units[0].member_count",
        "不能为负数",
        id="negative-member-count",
    ),
    pytest.param(
        "units:\n  - code: U01\n    name: 机电\n    kind: general_branch\n"
        "people:\n  - code: T0001\n    name: 张伟\n    roles:\n"
        "      - {org: U99, role: secretary, from: 2023-10-15}  #<\n",
        "people[0].roles[0].org",
        "组织 U99 不存在",
        id="role-for-unknown-org",
    ),
    pytest.param(
        UNIT_HEAD + "    branches:\n      - code: U01-B01\n        name: 甲\n"
        "        branches: []  #<\n",
        "units[0].branches[0].branches",
        "未知字段 'branches'",
        id="branch-under-a-branch",
    ),
    pytest.param(
        YEAR_HEAD
        + "      semesters:\n"
        + SEMESTER_1
        + "        - {number: 2, start: 2026-01-10, end: 2026-07-10}  #<\n",
        "calendar.academic_years[0].semesters[1].start",
        "第2学期（2026-01-10 至 2026-07-10） 与 第1学期（2025-09-01 至 2026-01-16） 重叠",
        id="overlapping-semesters",
    ),
    pytest.param(
        YEAR_HEAD
        + "      semesters:\n"
        + SEMESTER_1
        + "        - {number: 2, start: 2026-03-02, end: 2026-09-10}  #<\n",
        "calendar.academic_years[0].semesters[1].end",
        "不在学年 2025-2026（2025-09-01 至 2026-08-31）之内",
        id="semester-outside-its-year",
    ),
    pytest.param(
        YEAR_HEAD + "      semesters:\n"
        "        - {number: 3, start: 2026-07-11, end: 2026-08-20}  #<\n",
        "calendar.academic_years[0].semesters[0].number",
        "学期序号应为 1（第一学期）或 2（第二学期），不是 3",
        id="semester-number",
    ),
    pytest.param(
        YEAR_HEAD
        + "      vacations:\n        - {name: 寒假, start: 2025-08-20, end: 2025-09-10}  #<\n",
        "calendar.academic_years[0].vacations[0].start",
        "寒假（2025-08-20 至 2025-09-10） 不在学年 2025-2026",
        id="vacation-outside-its-year",
    ),
    pytest.param(
        YEAR_HEAD + "    - key: 2026-2027\n      start: 2026-08-01  #<\n      end: 2027-08-31\n",
        "calendar.academic_years[1].start",
        "学年 2026-2027（2026-08-01 至 2027-08-31） 与 学年 2025-2026",
        id="overlapping-years",
    ),
]


@pytest.mark.parametrize(("text", "field", "message"), BAD_FILES)
def test_a_bad_file_is_refused_naming_line_and_field_and_nothing_is_written(
    sessions: sessionmaker[Session], tmp_path: Path, text: str, field: str, message: str
) -> None:
    line = next(n for n, row in enumerate(text.splitlines(), start=1) if "#<" in row)
    path = _write(tmp_path, text)

    problems = _rejected(sessions, path)

    assert [(p.file, p.line, p.field) for p in problems] == [(str(path), line, field)]
    assert message in problems[0].message
    assert set(_counts(sessions).values()) == {0}


def test_bad_yaml_is_reported_with_its_line(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = _write(tmp_path, "units:\n  - code: U01\n    name: [机电\n  - code: U02\n")

    (problem,) = _rejected(sessions, path)

    assert problem.line == 4
    assert problem.message.startswith("YAML 格式错误")


def test_every_problem_in_a_file_is_listed_not_just_the_first(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    text = UNIT_HEAD + "    term_years: 7\n    member_count: many\n"
    text += "people:\n  - {code: T0001}\n"
    path = _write(tmp_path, text)

    with sessions.begin() as session, pytest.raises(ImportRejected) as caught:
        import_path(session, path, now=NOW)

    fields = [p.field for p in caught.value.problems]
    assert fields == ["units[0].member_count", "units[0].term_years", "people[0].name"]
    assert str(caught.value).startswith("发现 3 个问题，未导入任何数据")
    assert all(str(p) in str(caught.value) for p in caught.value.problems)


def test_a_rejected_file_leaves_earlier_data_untouched(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    _import(sessions, _write(tmp_path, SMALL))
    broken = SMALL.replace("member_count: 80", "member_count: 86").replace(
        "role: secretary, from: 2024-03-01", "role: chief, from: 2024-03-01"
    )

    problems = _rejected(sessions, _write(tmp_path, broken, "broken.yaml"))

    assert [p.field for p in problems] == ["people[1].roles[0].role"]
    with sessions() as session:
        assert _org(session, "U01").member_count == 80


def test_a_second_college_is_refused(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    _import(sessions, _write(tmp_path, SMALL))

    problems = _rejected(
        sessions, _write(tmp_path, "college: {code: C2, name: 另一所}\n", "c2.yaml")
    )

    assert [(p.field, p.message) for p in problems] == [
        ("college.code", "数据库中已有学校党委 C1 测试学院党委，只能有一个学校党委")
    ]


def test_an_unsupported_file_type_is_refused(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    path = tmp_path / "people.xls"
    path.write_bytes(b"PK")

    (problem,) = _rejected(sessions, path)

    assert problem.message == (
        "不支持的文件类型 .xls，可导入 .yaml、.yml、.csv 或 .xlsx 文件；"
        "旧版 Excel 文件请另存为 .xlsx"
    )
