"""The ledger's wording and checks as pure functions: periods, figures, structural checks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from tests.helpers import shipped_catalog

from obligations.ledger.checks import Holder, UnitFacts, run_check
from obligations.ledger.facts import RecordFact, RuleFacts, TaskFact
from obligations.ledger.figures import FigureFact, compose_metric, figure_specs
from obligations.ledger.period import PeriodInvalid, academic_year, date_range
from obligations.ledger.periodic import compose_rule
from obligations.ledger.text import (
    cited,
    dates_text,
    months_text,
    short_branch_name,
    topic_of,
)
from obligations.rules.periods import AcademicCalendar, period_text
from obligations.rules.schema import Check, Metric, Scope
from obligations.tasks.status import TaskStatus
from obligations.vocabulary import OrgKind, Role

RATIO = Metric(
    id="activist-target-ratio", title="入党积极分子与发展对象人数之比", threshold=3, unit=":1"
)


@pytest.mark.parametrize(
    ("key", "plain_year", "text"),
    [
        ("2026-05", 2026, "5月"),
        ("2026-05", None, "2026年5月"),
        ("2026-Q2", 2026, "第二季度"),
        ("2026-H2", 2026, "下半年"),
        ("2026", 2026, "2026年度"),
        ("2025-2026", 2026, "2025—2026学年"),
        ("2025-2026-1", 2026, "2025—2026学年第一学期"),
        ("T2023-10-15", 2026, "2023年10月15日起的一届任期"),
    ],
)
def test_period_keys_read_as_chinese_periods(key: str, plain_year: int | None, text: str) -> None:
    assert period_text(key, plain_year) == text


def test_a_long_list_of_dates_is_cut_with_deng() -> None:
    days = [date(2026, 1, 1 + n) for n in range(30)]
    text = dates_text(days, 2026)
    assert text.startswith("1月1日、1月2日") and text.endswith("1月24日等")


def test_a_person_rule_counts_person_times_and_names_who_missed() -> None:
    record = RecordFact(1, "党课", date(2026, 5, 8), date(2026, 5, 9), files=2)
    facts = RuleFacts(
        "committee-party-lecture",
        "班子成员讲党课",
        Scope.PERSON,
        (
            TaskFact(1, "2026", date(2026, 12, 31), 1, TaskStatus.DONE, (record,), person="张书记"),
            TaskFact(2, "2026", date(2026, 12, 31), 1, TaskStatus.OVERDUE, (), person="李院长"),
        ),
    )
    part = compose_rule(facts, plain_year=2026, catalogue={1: (7, 8)})
    assert part.lines == (
        "班子成员讲党课：应完成2人次，实际完成1人次（张书记5月8日）（目录第7、8项）",
    )
    assert part.gaps == ("班子成员讲党课：李院长2026年度未完成",)
    assert part.failed


def test_a_period_short_of_its_minimum_count_says_how_many_were_held() -> None:
    record = RecordFact(1, "学习", date(2026, 3, 3), date(2026, 3, 3), files=1)
    task = TaskFact(1, "2026-03", date(2026, 3, 31), 2, TaskStatus.OVERDUE, (record,))
    part = compose_rule(RuleFacts("r", "学习", Scope.UNIT, (task,)), plain_year=2026)
    assert part.gaps == ("学习：3月仅开展1次（应2次）",)


def test_a_branch_activity_recorded_without_its_file_asks_for_the_material_not_a_miss() -> None:
    bare = RecordFact(1, "支部委员会会议", date(2026, 7, 8), date(2026, 7, 8), files=0)
    filed = RecordFact(2, "支部委员会会议", date(2026, 6, 9), date(2026, 6, 9), files=1)
    branch = "教工党支部"
    tasks = (
        TaskFact(1, "2026-06", date(2026, 6, 30), 1, TaskStatus.DONE, (filed,), branch=branch),
        TaskFact(2, "2026-07", date(2026, 7, 31), 1, TaskStatus.OVERDUE, (bare,), branch=branch),
    )
    part = compose_rule(RuleFacts("r", "支部委员会会议", Scope.BRANCH, tasks), plain_year=2026)
    assert part.lines == ("支部委员会会议：应开展2次，实际开展1次（6月9日）",)
    assert part.gaps == ("支部委员会会议：教工党支部7月未附佐证材料，待补交",)
    assert (part.failed, part.incomplete) == (False, True)  # 待补充, not 未达标


def test_a_record_without_a_file_counts_where_the_rule_expects_no_file() -> None:
    bare = RecordFact(1, "学习", date(2026, 3, 3), date(2026, 3, 3), files=0)
    task = TaskFact(1, "2026-03", date(2026, 3, 31), 1, TaskStatus.DONE, (bare,),
                    file_required=False)  # fmt: skip
    part = compose_rule(RuleFacts("r", "学习", Scope.UNIT, (task,)), plain_year=2026)
    assert part.lines == ("学习：应开展1次，实际开展1次（3月3日）",)
    assert (part.gaps, part.incomplete) == ((), False)


def test_a_ratio_without_development_targets_is_not_computed_and_not_failed() -> None:
    figures = {"activists": FigureFact(Decimal(6)), "development-targets": FigureFact(Decimal(0))}
    part = compose_metric(RATIO, figures)
    assert not part.failed
    assert part.lines == (
        "入党积极分子与发展对象人数之比：入党积极分子6人，发展对象0人，本年度无发展对象，"
        "不计算比例（标准不低于3:1）",
    )


def test_a_missing_figure_leaves_the_item_incomplete_and_says_what_to_fill_in() -> None:
    part = compose_metric(RATIO, {"activists": FigureFact(Decimal(6))})
    assert part.incomplete and not part.failed
    assert part.gaps == (
        "入党积极分子与发展对象人数之比：尚未填报发展对象人数，无法核对（标准不低于3:1）",
    )


def test_a_linked_record_is_named_as_the_figures_evidence() -> None:
    metric = Metric(id="member-training-hours", title="党员学时", threshold=32, unit="学时")
    part = compose_metric(
        metric, {"member-training-hours": FigureFact(Decimal("40"), "学时登记表")}
    )
    assert part.lines == ("党员学时：40学时（标准不低于32学时），佐证：《学时登记表》",)
    assert part.evidence == 1


def test_a_figures_linked_record_is_cited_by_its_catalogue_numbers() -> None:
    metric = Metric(id="member-training-hours", title="党员学时", threshold=32, unit="学时")
    figure = FigureFact(Decimal("40"), "学时登记表", record_id=5)
    part = compose_metric(metric, {"member-training-hours": figure}, {5: (30, 31)})
    assert part.lines == (
        "党员学时：40学时（标准不低于32学时），佐证：《学时登记表》（目录第30、31项）",
    )
    assert part.cited == (30, 31)


def test_the_catalog_asks_for_six_figures() -> None:
    assert list(figure_specs(shipped_catalog().indicators)) == [
        "activists",
        "development-targets",
        "member-training-hours",
        "leader-training-hours",
        "member-subscription-rate",
        "leader-subscription-rate",
    ]


def general_branch(*roles: Role, members: int | None = 80) -> UnitFacts:
    holders = tuple(Holder(f"人{n}", role) for n, role in enumerate(roles))
    return UnitFacts(OrgKind.GENERAL_BRANCH, members, date(2023, 10, 15), 5, holders)


def check(check_id: str) -> Check:
    for indicator in shipped_catalog().indicators:
        for candidate in indicator.checks:
            if candidate.id == check_id:
                return candidate
    raise KeyError(check_id)


def test_a_general_branch_committee_needs_five_to_seven_and_a_deputy() -> None:
    unit = general_branch(Role.SECRETARY, Role.COMMITTEE_MEMBER, Role.COMMITTEE_MEMBER)
    part = run_check(check("committee_size"), unit)
    assert part.gaps == ("委员会共3人，党总支一般应设委员5-7人", "设副书记0人，党总支应设副书记1人")


def test_a_five_year_term_fails_the_term_check() -> None:
    part = run_check(check("term_length_valid"), general_branch())
    assert part.lines == ("本届任期自2023年10月15日起，5年，2028年10月15日届满",)
    assert part.gaps == ("每届任期5年，应为3或4年",)


def test_a_general_branch_over_ninety_nine_members_must_reorganize() -> None:
    part = run_check(check("member_count_matches_kind"), general_branch(members=120))
    assert part.failed and part.gaps == ("党员120人，超过99人，应按规定报学校党委调整组织设置",)


def test_a_small_direct_branch_may_have_its_secretary_alone() -> None:
    unit = UnitFacts(OrgKind.DIRECT_BRANCH, 5, None, None, (Holder("王", Role.SECRETARY),))
    assert not run_check(check("committee_size"), unit).failed


def test_an_academic_year_outside_the_calendar_runs_september_to_august() -> None:
    period = academic_year("2030-2031", AcademicCalendar())
    assert (period.start, period.end, period.notes_year) == (
        date(2030, 9, 1),
        date(2031, 8, 31),
        2031,
    )
    assert period.plain_year is None


@pytest.mark.parametrize("key", ["2025-2027", "2025", "abc"])
def test_a_malformed_academic_year_is_refused_in_chinese(key: str) -> None:
    with pytest.raises(PeriodInvalid, match="格式有误"):
        academic_year(key, AcademicCalendar())


def test_a_backwards_date_range_is_refused() -> None:
    with pytest.raises(PeriodInvalid, match="早于"):
        date_range(date(2026, 5, 1), date(2026, 4, 1))
    assert date_range(date(2026, 3, 1), date(2026, 8, 31)).label == "2026年3月1日至2026年8月31日"


def test_many_activities_read_as_month_ranges_and_few_as_dates() -> None:
    days = [date(2026, m, 9) for m in (1, 2, 4, 5, 6, 12)]
    assert months_text(days, 2026) == "1—2月、4—6月、12月"
    assert months_text(days, None) == dates_text(days, None)


def test_people_owing_the_same_period_are_named_once_with_it() -> None:
    tasks = tuple(
        TaskFact(n, "2026", date(2026, 12, 31), 1, TaskStatus.OPEN, (), person=name)
        for n, name in enumerate(("张书记", "李纪检", "王委员"))
    )
    part = compose_rule(RuleFacts("r", "班子成员集中培训", Scope.PERSON, tasks), plain_year=2026)
    assert part.lines == (
        "班子成员集中培训：应完成3人次，实际完成0人次；张书记、李纪检、王委员2026年度尚未到期",
    )


def test_a_branch_is_named_without_its_units_prefix() -> None:
    unit = "机电工程学院党总支"
    assert short_branch_name("机电工程学院学生第三党支部", unit) == "学生第三党支部"
    assert short_branch_name("U01-B02 组织", "U01 党总支") == "U01-B02 组织"


def test_a_unit_activitys_line_gives_the_mean_attendance_recorded() -> None:
    records = tuple(
        RecordFact(n, "学习", date(2026, n, 9), date(2026, n, 9), files=1, participants=people)
        for n, people in ((1, 8), (2, 10), (3, None))
    )
    tasks = tuple(
        TaskFact(r.record_id, f"2026-0{r.record_id}", date(2026, 3, 31), 1, TaskStatus.DONE, (r,))
        for r in records
    )
    part = compose_rule(RuleFacts("r", "中心组理论学习", Scope.UNIT, tasks), plain_year=2026)
    assert part.lines == (
        "中心组理论学习：应开展3次，实际开展3次（1月9日、2月9日、3月9日），平均参加9人",
    )


@pytest.mark.parametrize(
    ("title", "topic"),
    [
        ("3月中心组理论学习：学习全国教育大会精神", "学习全国教育大会精神"),
        ("中心组学习——主题为师德师风建设", "师德师风建设"),
        ("2026年度班子成员民主生活会", ""),
        ("班子成员民主生活会：以严守政治纪律为主题", "严守政治纪律"),
        ("中心组学习", ""),
        ("5月活动记录", ""),
        ("参观渡江战役纪念馆", "参观渡江战役纪念馆"),
        ("会议：" + "很长的主题" * 7, ""),
    ],
)
def test_an_activitys_topic_is_read_from_its_title_not_its_name_or_dates(
    title: str, topic: str
) -> None:
    assert topic_of(title, "中心组理论学习" if "生活会" not in title else "班子成员民主生活会") == (
        topic
    )


@pytest.mark.parametrize(
    ("numbers", "text"),
    [
        ([], ""),
        ([12], "目录第12项"),
        ([13, 12], "目录第12、13项"),
        ([12, 13, 14, 20], "目录第12—14、20项"),
        ([1, 3, 5, 7, 9], "目录第1、3、5、7项等"),
    ],
)
def test_catalogue_rows_are_cited_as_ranges(numbers: list[int], text: str) -> None:
    assert cited(numbers) == text


def test_the_units_own_meetings_say_their_topics_attendance_and_months_missed() -> None:
    topics = {
        1: "学习全会精神",
        2: "学习纪律处分条例",
        4: "师德师风",
        5: "学习全会精神",
        6: "产教融合",
    }

    def held(month: int, topic: str) -> RecordFact:
        day = date(2026, month, 9)
        title = f"{month}月中心组学习：{topic}"
        return RecordFact(month, title, day, day, files=1, participants=8 + month % 2)

    tasks = [
        TaskFact(m, f"2026-0{m}", date(2026, m, 28), 1, TaskStatus.DONE, (held(m, topic),))
        for m, topic in topics.items()
    ]
    tasks.append(TaskFact(3, "2026-03", date(2026, 3, 31), 1, TaskStatus.OVERDUE))
    facts = RuleFacts("r", "中心组理论学习", Scope.UNIT, tuple(tasks), meeting=True)
    catalogue = {month: (10 + month,) for month in topics}
    part = compose_rule(facts, plain_year=2026, catalogue=catalogue)
    assert part.lines == (
        "中心组理论学习：应开展6次，实际开展5次（3月未开展），"
        "主题包括学习全会精神、学习纪律处分条例、师德师风等，平均参加8人（目录第11、12、14—16项）",
    )
    assert part.brief == (
        "中心组理论学习应开展6次、实际5次（3月未开展），主题包括学习全会精神、学习纪律处分条例等，"
        "平均参加8人"
    )
    assert part.terse == "中心组理论学习应开6次、实开5次（3月未开展）"
    assert part.cited == (11, 12, 14, 15, 16)


def test_months_told_without_files_are_named_once_and_a_proven_month_is_not_asked_again() -> None:
    def month(n: int, *records: RecordFact) -> TaskFact:
        status = TaskStatus.DONE if any(r.files for r in records) else TaskStatus.OVERDUE
        return TaskFact(n, f"2026-0{n}", date(2026, n, 28), 1, status, records)

    def record(n: int, day: int, files: int) -> RecordFact:
        return RecordFact(n * 10 + day, "学习", date(2026, n, day), date(2026, n, day), files)

    tasks = (month(3, record(3, 5, 0)), month(4, record(4, 6, 0)),
             month(5, record(5, 7, 0), record(5, 9, 1)))  # fmt: skip
    part = compose_rule(RuleFacts("r", "中心组理论学习", Scope.UNIT, tasks), plain_year=2026)
    assert part.gaps == ("中心组理论学习：3月、4月未附佐证材料，待补交",)
