"""Matching a file to its task, per kind of rule (unit, branch, person; month, quarter,
months, half year, year, semester, academic year, term), to standing evidence, or to nothing
with the reason."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from itertools import count

import pytest
from tests.helpers import SAMPLE_CALENDAR, shipped_catalog

from obligations.evidence.bulk.matching import (
    FileFacts,
    IntakeScope,
    OrgRef,
    PersonRef,
    StandingRef,
    TaskRef,
    propose,
)
from obligations.rules.periods import rule_periods, term_period
from obligations.rules.schema import PeriodKind, Scope
from obligations.vocabulary import EvidenceKind

TODAY = date(2026, 12, 1)
BRANCHES = [
    OrgRef("U01-B01", ("机电工程学院教工第一党支部", "教工第一党支部", "教工第一支部")),
    OrgRef("U01-B03", ("机电工程学院学生第一党支部", "学生第一党支部", "学生第一支部")),
]
PEOPLE = [PersonRef("T0001", "刘文静"), PersonRef("T0004", "任超")]


def _tasks() -> list[TaskRef]:
    ids = count(1)
    tasks = []
    for rule in shipped_catalog().enabled_rules:
        if rule.period is PeriodKind.TERM:
            periods = [term_period(date(2023, 10, 15), 3)]
        else:
            periods = rule_periods(
                rule, SAMPLE_CALENDAR, date(2026, 1, 1), date(2026, 12, 31)
            ).periods
        owners: list[tuple[str, str | None]] = [("U01", None)]
        if rule.scope is Scope.BRANCH:
            owners = [(b.code, None) for b in BRANCHES]
        elif rule.scope is Scope.PERSON:
            owners = [("U01", p.code) for p in PEOPLE]
        for org, person in owners:
            for p in periods:
                settled = (
                    "已完成" if (rule.id, p.key) == ("staff-political-study", "2026-06") else None
                )
                tasks.append(
                    TaskRef(next(ids), rule.id, org, person, p.key, p.start, p.end, settled)
                )
    return tasks


SCOPE = IntakeScope(
    unit_code="U01",
    year=2026,
    today=TODAY,
    rules=shipped_catalog().enabled_rules,
    branches=BRANCHES,
    people=PEOPLE,
    tasks=_tasks(),
    standing=[StandingRef("3.6", "困难党员台账"), StandingRef("6.1", "党务公开材料")],
)


def task_of(rule_id: str, org: str, period: str, person: str | None = None) -> int:
    (task,) = [
        t for t in SCOPE.tasks
        if (t.rule_id, t.org_code, t.period_key, t.person_code) == (rule_id, org, period, person)
    ]  # fmt: skip
    return task.id


@pytest.mark.parametrize(
    ("name", "text", "rule_id", "org", "period", "person"),
    [
        (
            "2026年3月中心组学习记录.docx",
            "中心组理论学习\n时间：2026年3月18日",
            "central-group-study",
            "U01",
            "2026-03",
            None,
        ),
        ("20260415教职工政治学习.pdf", "", "staff-political-study", "U01", "2026-04", None),
        ("教工第一党支部2026.3.12主题党日.docx", "", "theme-party-day", "U01-B01", "2026-03", None),
        (
            "学生第一支部 支委会 2026-05-20.docx",
            "",
            "branch-committee-meeting",
            "U01-B03",
            "2026-05",
            None,
        ),
        (
            "2026年5月8日学生第一党支部党课.docx",
            "",
            "branch-party-lecture",
            "U01-B03",
            "2026-Q2",
            None,
        ),
        (
            "党员大会记录.docx",
            "教工第一党支部党员大会\n时间：二〇二六年九月三日",
            "branch-general-meeting",
            "U01-B01",
            "2026-Q3",
            None,
        ),
        (
            "2026年度组织生活会（教工第一党支部）2026年12月1日.docx",
            "",
            "organizational-life-meeting",
            "U01-B01",
            "2026",
            None,
        ),
        ("2026-01-15 党费收缴情况公布.pdf", "", "dues-disclosure", "U01", "2026-01", None),
        ("2026.07.09 党员发展工作检查.docx", "", "recruitment-check", "U01", "2026-H2", None),
        (
            "2026年10月12日所属党支部设置情况摸底.docx",
            "",
            "branch-setup-survey",
            "U01",
            "2026-2027",
            None,
        ),
        ("流动党员排查 2026-04-01.docx", "", "mobile-member-check", "U01", "2025-2026-2", None),
        ("2026年6月3日刘文静讲党课.docx", "", "committee-party-lecture", "U01", "2026", "T0001"),
        ("2026-10-10 任超 思政课.docx", "", "ideological-lesson", "U01", "2026-2027-1", "T0004"),
        ("2026.10.9 换届选举.pdf", "", "re-election", "U01", "T2023-10-15", None),
    ],
)
def test_a_file_is_matched_to_the_task_of_its_rule_owner_and_period(
    name: str, text: str, rule_id: str, org: str, period: str, person: str | None
) -> None:
    proposal = propose(FileFacts(name, text), SCOPE)
    assert (proposal.rule_id, proposal.task_id) == (rule_id, task_of(rule_id, org, period, person))
    assert proposal.confidence >= 0.9, proposal.reasons


def test_the_reasons_say_where_each_clue_was_found() -> None:
    facts = FileFacts(
        "3月/主题党日.docx", "教工第一党支部主题党日活动记录\n时间：2026年3月12日\n签到 23 人"
    )
    proposal = propose(facts, SCOPE)
    assert proposal.reasons == [
        "文件名含“主题党日”",
        "正文日期 2026年3月12日",
        "签到 23 人",
        "正文标题含支部“教工第一党支部”",
    ]
    assert (proposal.held_on, proposal.participants, proposal.confidence) == (
        date(2026, 3, 12), 23, 0.95,
    )  # fmt: skip
    assert proposal.title == "教工第一党支部主题党日活动记录"


def test_the_longer_name_wins_over_a_shorter_one_inside_it() -> None:
    proposal = propose(FileFacts("2026年4月2日班子成员民主生活会.docx"), SCOPE)
    assert proposal.rule_id == "democratic-life-meeting"


def test_a_photo_takes_the_day_from_its_exif_and_is_a_photo() -> None:
    facts = FileFacts("中心组学习照片.jpg", photo=True, taken_on=date(2026, 9, 16))
    proposal = propose(facts, SCOPE)
    assert proposal.task_id == task_of("central-group-study", "U01", "2026-09")
    assert (proposal.kind, proposal.held_on) == (EvidenceKind.PHOTOS, date(2026, 9, 16))
    assert "拍摄日期 2026年9月16日" in proposal.reasons


def test_participants_are_read_from_the_usual_phrases() -> None:
    for text, n in [("应到 25 人，实到 23 人", 23), ("参会人数：17", 17), ("共12人参加", 12)]:
        proposal = propose(FileFacts("2026-03-02 中心组学习.docx", text), SCOPE)
        assert proposal.participants == n


def test_a_file_naming_no_activity_says_no_rule_was_found() -> None:
    proposal = propose(FileFacts("IMG_2033.jpg", photo=True, taken_on=date(2026, 3, 1)), SCOPE)
    assert (proposal.task_id, proposal.confidence) == (None, 0.0)
    assert proposal.reasons[0] == "未找到对应的规则"


def test_a_date_outside_the_year_is_said() -> None:
    proposal = propose(FileFacts("2025年12月3日中心组学习.docx"), SCOPE)
    assert proposal.task_id is None
    assert "日期不在2026年度内（2025年12月3日）" in proposal.reasons


def test_a_period_already_done_is_said_and_not_confident() -> None:
    proposal = propose(FileFacts("2026-06-10 教职工政治学习.docx"), SCOPE)
    assert proposal.task_id == task_of("staff-political-study", "U01", "2026-06")
    assert proposal.confidence <= 0.6
    assert "该期任务已完成（如为补充材料仍可确认登记）" in proposal.reasons


def test_a_branch_activity_without_a_branch_name_asks_for_one_when_several_are_open() -> None:
    proposal = propose(FileFacts("2026.3.12 主题党日.docx"), SCOPE)
    assert proposal.task_id is None and proposal.ask_branch
    assert any("请在“任务编号”列选择支部" in r for r in proposal.reasons)


def test_the_only_branch_with_the_period_still_open_is_proposed_with_moderate_confidence() -> None:
    done = task_of("theme-party-day", "U01-B01", "2026-03")
    tasks = [replace(t, settled="已完成") if t.id == done else t for t in SCOPE.tasks]
    scope = IntakeScope(**{**SCOPE.__dict__, "tasks": tasks})
    facts = FileFacts("2026年3月主题党日记录.docx", "2026年3月12日 主题党日 签到 23 人")
    proposal = propose(facts, scope)
    assert proposal.task_id == task_of("theme-party-day", "U01-B03", "2026-03")
    assert 0.3 <= proposal.confidence <= 0.6 and not proposal.ask_branch
    assert any("只有机电工程学院学生第一党支部尚未完成" in r for r in proposal.reasons)


def test_a_branch_given_by_the_user_closes_the_gap_and_is_named_not_coded() -> None:
    scope = IntakeScope(**{**SCOPE.__dict__, "branch_code": "U01-B03"})
    proposal = propose(FileFacts("2026.3.12 主题党日.docx"), scope)
    assert proposal.task_id == task_of("theme-party-day", "U01-B03", "2026-03")
    assert "按指定支部 机电工程学院学生第一党支部" in proposal.reasons


def test_an_impossible_date_is_ignored_and_said() -> None:
    proposal = propose(FileFacts("2026年2月30日中心组学习.docx"), SCOPE)
    assert proposal.task_id is None
    assert "日期“2026年2月30日”不存在，已忽略" in proposal.reasons


def test_two_activities_named_as_strongly_lower_the_confidence() -> None:
    proposal = propose(FileFacts("2026-03-05 中心组学习及教职工政治学习.docx"), SCOPE)
    assert proposal.confidence < 0.9
    assert any("无法确定是哪项活动" in r for r in proposal.reasons)


def test_dates_of_name_and_text_that_disagree_lower_the_confidence() -> None:
    facts = FileFacts("2026-03-05 中心组学习.docx", "时间：2026年3月25日")
    proposal = propose(facts, SCOPE)
    assert proposal.held_on == date(2026, 3, 5) and proposal.confidence < 0.9
    assert "正文日期 2026年3月25日 与文件名不一致" in proposal.reasons


def test_a_future_date_is_not_proposed() -> None:
    proposal = propose(FileFacts("2026-12-20 中心组学习.docx"), SCOPE)
    assert (
        proposal.task_id is None and "活动日期 2026年12月20日 晚于今天，请核对" in proposal.reasons
    )


def test_standing_evidence_is_proposed_by_the_phrase_its_item_expects() -> None:
    proposal = propose(FileFacts("2026-05-06 困难党员台账.xlsx"), SCOPE)
    assert (proposal.task_id, proposal.ledger_item, proposal.title) == (None, "3.6", "困难党员台账")
    assert proposal.standing and 0 < proposal.confidence <= 0.8


def test_a_synonym_a_college_adds_to_its_catalog_is_recognised() -> None:
    rules = [
        r.model_copy(update={"synonyms": [*r.synonyms, "固定党日"]})
        if r.id == "theme-party-day"
        else r
        for r in SCOPE.rules
    ]
    name = "教工第一党支部2026.3.12固定党日.docx"
    assert propose(FileFacts(name), SCOPE).reasons[0] == "未找到对应的规则"
    proposal = propose(FileFacts(name), IntakeScope(**{**SCOPE.__dict__, "rules": rules}))
    assert proposal.task_id == task_of("theme-party-day", "U01-B01", "2026-03")
    assert proposal.reasons[0] == "文件名含“固定党日”"


def test_a_date_right_after_a_folder_name_is_found() -> None:
    proposal = propose(FileFacts("9月/2026.9.10 中心组学习.pdf"), SCOPE)
    assert proposal.task_id == task_of("central-group-study", "U01", "2026-09")
