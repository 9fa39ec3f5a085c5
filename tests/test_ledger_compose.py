"""A unit's ledger composed from its records, rendered as Word and read back with python-docx.

Each scenario starts from a unit that meets every standard for 2026 (tests/ledger_scenarios.py)
and spoils one thing; the verdict and the gaps column must say so.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, timedelta

from docx import Document
from sqlalchemy import Select, select
from sqlalchemy.orm import Session, sessionmaker
from tests import factories
from tests.factories import NOW
from tests.helpers import shipped_catalog
from tests.ledger_scenarios import (
    TODAY,
    UNIT,
    YEAR,
    add_record,
    at_noon,
    build_unit,
    fill_year,
    held_day,
    tasks_due,
)

from obligations.accounts.access import operator
from obligations.ledger.notes import set_figures, set_note
from obligations.ledger.period import academic_year, calendar_year
from obligations.ledger.render_docx import render_docx
from obligations.ledger.service import compose_ledger, compose_unit_ledger, ledger_document_for
from obligations.models import EvidenceRecord, Organization
from obligations.rules.calendars import load_academic_calendar
from obligations.tasks.generation import generate_tasks
from obligations.tasks.waivers import waive
from obligations.vocabulary import ReviewState

# (first item row, last item row) of each section, counting item rows from 0
SECTION_SPANS = [(0, 3), (4, 7), (8, 13), (14, 17), (18, 21), (22, 25), (26, 29)]

Row = tuple[str, str, str]  # 落实情况, 是否达标, 存在的主要差距及措施
Spoil = Callable[[Session, Organization], None]


def word_rows(session: Session, unit_code: str = UNIT, today: date = TODAY) -> list[list[str]]:
    document = compose_ledger(
        session,
        shipped_catalog(),
        unit_code=unit_code,
        start=date(YEAR, 1, 1),
        end=date(YEAR, 12, 31),
        today=today,
    )
    word = Document(io.BytesIO(render_docx(document)))
    return [[cell.text for cell in row.cells] for row in word.tables[0].rows[1:]]


def by_item(rows: list[list[str]]) -> dict[str, Row]:
    items = [item.id for item in shipped_catalog().items]
    return {item: (row[3], row[4], row[5]) for item, row in zip(items, rows, strict=True)}


def ledger_after(sessions: sessionmaker[Session], spoil: Spoil | None = None) -> dict[str, Row]:
    with sessions.begin() as session:
        unit = build_unit(session)
        fill_year(session, unit)
        if spoil is not None:
            spoil(session, unit)
    with sessions() as session:
        return by_item(word_rows(session))


def test_a_full_year_with_everything_done_meets_every_item(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        unit = build_unit(session)
        fill_year(session, unit)
    with sessions() as session:
        rows = word_rows(session)
    assert [row[1] for row in rows] == [item.name for item in shipped_catalog().items]
    assert [row[2] for row in rows] == [item.standard for item in shipped_catalog().items]
    ledger = by_item(rows)
    assert {item: row[1] for item, row in ledger.items() if row[1] != "达标"} == {}
    assert {item: row[2] for item, row in ledger.items() if row[2]} == {}
    study = ledger["2.4"][0]
    # 24 files, cited by their numbers in the evidence catalogue (after 1.2, 1.4 and the
    # committee's training, also of 2.4).
    assert "中心组理论学习：应开展12次，实际开展12次（1—12月）（目录第13—36项）" in study


def test_the_section_cells_span_their_items_in_the_composed_word_file(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        build_unit(session)
    with sessions() as session:
        document = ledger_document_for(session, shipped_catalog(), UNIT, YEAR, TODAY)
    table = Document(io.BytesIO(render_docx(document))).tables[0]
    sections = shipped_catalog().ledger.sections
    for (first, last), section in zip(SECTION_SPANS, sections, strict=True):
        top = table.cell(first + 1, 0)
        assert top.text == section.name
        assert table.cell(last + 1, 0)._tc is top._tc
    assert len(table.rows) == 31
    assert document.school_name == "安徽职业技术学院"
    assert document.unit_name == "机电工程学院直属党支部"
    assert document.period_label == "2026年度"


def test_a_missed_month_fails_the_item_and_names_the_month(sessions: sessionmaker[Session]) -> None:
    def miss_may(session: Session, unit: Organization) -> None:
        may = next(
            t
            for t in tasks_due(session, unit, "central-group-study")
            if t.period_key.endswith("-05")
        )
        _withdraw(session, may.id)

    implementation, verdict, gaps = ledger_after(sessions, miss_may)["2.4"]
    assert verdict == "未达标"
    assert "中心组理论学习：应开展12次，实际开展11次（5月未开展）" in implementation
    assert gaps == "中心组理论学习：5月未开展\n（整改措施待填写）"


def test_a_late_record_meets_the_standard_and_is_noted_in_the_gaps(
    sessions: sessionmaker[Session],
) -> None:
    due: list[date] = []

    def record_march_late(session: Session, unit: Organization) -> None:
        march = next(
            t
            for t in tasks_due(session, unit, "staff-political-study")
            if t.period_key.endswith("-03")
        )
        for record in session.scalars(_records_of(march.id)):
            record.recorded_at = at_noon(date(YEAR, 4, 10))
        due.append(march.due_on)

    implementation, verdict, gaps = ledger_after(sessions, record_march_late)["5.1"]
    assert verdict == "达标"
    assert "应开展12次，实际开展12次" in implementation
    assert gaps == (f"教职工政治学习：材料逾期登记1次：3月（截止3月{due[0].day}日，4月10日登记）")


def test_a_waived_month_is_not_owed_and_its_reason_is_shown(
    sessions: sessionmaker[Session],
) -> None:
    def waive_august(session: Session, unit: Organization) -> None:
        august = next(
            t
            for t in tasks_due(session, unit, "central-group-study")
            if t.period_key.endswith("-08")
        )
        _withdraw(session, august.id)
        waive(session, task_id=august.id, reason="暑假", by=operator("组织部"), now=NOW)

    implementation, verdict, gaps = ledger_after(sessions, waive_august)["2.4"]
    assert verdict == "达标"
    assert "中心组理论学习：应开展11次，实际开展11次" in implementation
    assert "8月已豁免（暑假）" in implementation
    assert gaps == ""


def test_an_unmet_three_to_one_ratio_fails_recruitment(sessions: sessionmaker[Session]) -> None:
    def low_ratio(session: Session, _unit: Organization) -> None:
        set_figures(
            session,
            shipped_catalog(),
            unit_code=UNIT,
            year=YEAR,
            values={"activists": "5", "development-targets": "2"},
            by=operator("测试"),
            now=NOW,
        )

    implementation, verdict, gaps = ledger_after(sessions, low_ratio)["3.1"]
    assert verdict == "未达标"
    assert "入党积极分子5人，发展对象2人，比例为2.5:1（标准不低于3:1）" in implementation
    assert (
        gaps == "入党积极分子与发展对象人数之比为2.5:1，未达到标准（不低于3:1）\n（整改措施待填写）"
    )


def test_training_hours_below_the_threshold_fail_the_training_item(
    sessions: sessionmaker[Session],
) -> None:
    def few_hours(session: Session, _unit: Organization) -> None:
        values = {"member-training-hours": "30.5"}
        set_figures(
            session,
            shipped_catalog(),
            unit_code=UNIT,
            year=YEAR,
            values=values,
            by=operator("测试"),
            now=NOW,
        )

    _, verdict, gaps = ledger_after(sessions, few_hours)["3.2"]
    assert verdict == "未达标"
    assert (
        gaps == "党员年度集中学习培训学时为30.5学时，未达到标准（不低于32学时）\n（整改措施待填写）"
    )


def test_a_qualitative_item_with_neither_evidence_nor_narrative_is_pending(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        build_unit(session)
    with sessions() as session:
        implementation, verdict, gaps = by_item(word_rows(session))["6.2"]
    assert (implementation, verdict) == ("", "待补充")
    assert gaps == "尚未登记佐证材料：班子分工文件、党政领导沟通记录"


def test_a_narrative_alone_leaves_a_qualitative_item_pending_and_names_the_evidence(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        build_unit(session)
        _note(session, "6.2", narrative="班子分工明确，每周党政碰头会。", measures=None)
    with sessions() as session:
        implementation, verdict, gaps = by_item(word_rows(session))["6.2"]
    assert (implementation, verdict) == ("班子分工明确，每周党政碰头会。", "待补充")
    assert gaps == "尚未登记佐证材料：班子分工文件、党政领导沟通记录"


def test_notes_survive_regeneration_and_measures_follow_the_gaps(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        unit = build_unit(session)
        fill_year(session, unit)
        may = next(
            t
            for t in tasks_due(session, unit, "central-group-study")
            if t.period_key.endswith("-05")
        )
        _withdraw(session, may.id)
        _note(
            session,
            "2.4",
            narrative="全年围绕党的二十届四中全会精神开展学习。",
            measures="建立学习提醒。",
        )
    with sessions() as session:
        first = by_item(word_rows(session))["2.4"]
    with sessions.begin() as session:
        generate_tasks(session, shipped_catalog(), through=date(YEAR, 12, 31), now=NOW, full=True)
        _note(session, "2.4", narrative=None, measures="建立学习提醒，由组织员每月核对。")
    with sessions() as session:
        second = by_item(word_rows(session))["2.4"]
    assert first[0].endswith("全年围绕党的二十届四中全会精神开展学习。")
    assert first[2] == "中心组理论学习：5月未开展\n措施：建立学习提醒。"
    assert second[0] == first[0]
    assert second[2] == "中心组理论学习：5月未开展\n措施：建立学习提醒，由组织员每月核对。"


def test_withdrawn_records_do_not_count_and_rejected_ones_are_reported_as_returned(
    sessions: sessionmaker[Session],
) -> None:
    def reject_and_withdraw(session: Session, unit: Organization) -> None:
        tasks = tasks_due(session, unit, "staff-political-study")
        for task, change in zip(tasks[:2], ("reject", "withdraw"), strict=True):
            for record in session.scalars(_records_of(task.id)):
                if change == "reject":
                    record.review_state = ReviewState.REJECTED
                    record.review_reason = "照片与记录不符"
                else:
                    record.withdrawn_at, record.withdrawn_by = NOW, "测试"

    implementation, verdict, gaps = ledger_after(sessions, reject_and_withdraw)["5.1"]
    assert verdict == "未达标"
    assert "实际开展10次" in implementation
    assert gaps == (
        "教职工政治学习：2月未开展\n"
        "教职工政治学习：1月材料已退回（原因：照片与记录不符），待重新提交\n"
        "（整改措施待填写）"
    )


def test_a_task_not_yet_due_is_noted_but_not_held_against_the_unit(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        unit = build_unit(session)
        december = {t.id for t in tasks_due(session, unit) if t.due_on >= date(YEAR, 12, 1)}
        fill_year(session, unit, skip=december)
    with sessions() as session:
        ledger = by_item(word_rows(session, today=date(YEAR, 12, 10)))
    implementation, verdict, gaps = ledger["5.1"]
    assert verdict == "达标"
    assert "应开展12次，实际开展11次" in implementation and "12月尚未到期" in implementation
    assert gaps == ""


def test_branch_tasks_roll_up_over_branches_and_gaps_name_the_branch(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        orgs = factories.small_college(session)
        generate_tasks(session, shipped_catalog(), through=date(YEAR, 12, 31), now=NOW)
        for task in tasks_due(session, orgs["U01"], "branch-committee-meeting"):
            missed = task.organization_id == orgs["B2"].id and task.period_key.endswith("-05")
            if not missed:
                add_record(session, task, unit=orgs["U01"], held_on=held_day(task), files=1)
    with sessions() as session:
        implementation, verdict, gaps = by_item(word_rows(session, unit_code="U01"))["4.3"]
    assert verdict == "未达标"
    # Nine rules of branch life over two branches: the cell keeps to its budget.
    assert "所属2个党支部支部委员会会议应开展24次、实际23次；" in implementation
    # The other rules' branch-months (none recorded) are summarised as counts per branch.
    assert gaps.startswith(
        "支部委员会会议：U01-B02 组织5月未开展；党小组会未开展24次（2个支部各12次）"
    )
    assert gaps.endswith("（逐项明细见附表《差距明细》）\n（整改措施待填写）")


def test_a_small_committee_without_a_discipline_member_fails_the_structural_items(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        factories.small_college(session)
    with sessions() as session:
        ledger = by_item(word_rows(session, unit_code="U02"))
    assert ledger["1.1"] == ("党员20人，设立直属党支部，符合规定", "达标", "")
    assert ledger["1.3"][1:] == ("未达标", "委员会中未设纪律检查委员\n（整改措施待填写）")
    assert ledger["2.1"] == (
        "委员会共1人：书记王书记",
        "未达标",
        "委员会共1人，直属党支部一般应设委员3-5人\n（整改措施待填写）",
    )
    assert ledger["7.1"][1:] == (
        "未达标",
        "未配备专兼职组织员\n尚未登记佐证材料：专兼职党务工作人员名单\n（整改措施待填写）",
    )


def test_an_academic_year_ledger_writes_years_into_its_dates(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        unit = build_unit(session)
        fill_year(session, unit)
    with sessions() as session:
        period = academic_year("2025-2026", load_academic_calendar(session))
        composed = compose_unit_ledger(
            session, shipped_catalog(), unit_code=UNIT, period=period, today=TODAY
        )
    assert composed.document.period_label == "2025—2026学年"
    rows = {row.item_id: row for row in composed.document.rows}
    # Sep 2025 - Aug 2026: tasks of 2025 were never generated, so only 2026's months are due.
    assert "应开展8次，实际开展8次（2026年1月9日、2026年2月9日" in rows["5.1"].implementation
    assert calendar_year(YEAR).label == "2026年度"


def _note(session: Session, item: str, *, narrative: str | None, measures: str | None) -> None:
    set_note(
        session,
        shipped_catalog(),
        unit_code=UNIT,
        item_id=item,
        year=YEAR,
        narrative=narrative,
        measures=measures,
        by=operator("测试"),
        now=NOW + timedelta(days=40),
    )


def _withdraw(session: Session, task_id: int) -> None:
    for record in session.scalars(_records_of(task_id)):
        record.withdrawn_at, record.withdrawn_by = NOW, "测试"
    session.flush()


def _records_of(task_id: int) -> Select[tuple[EvidenceRecord]]:
    return select(EvidenceRecord).where(EvidenceRecord.task_id == task_id)
