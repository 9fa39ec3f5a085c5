"""What a year's ledger reports (activities held in it, tasks whose period overlaps it) and how
its verdicts are earned (one rule for every item), on a scripted year of one unit."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker
from tests import factories
from tests.factories import NOW
from tests.helpers import shipped_catalog
from tests.ledger_scenarios import (
    MISSING_WORDS,
    TODAY,
    UNIT,
    YEAR,
    add_record,
    build_unit,
    fill_year,
    held_day,
)

from obligations.accounts.access import operator
from obligations.ledger.checks import Holder, UnitFacts, run_check
from obligations.ledger.document import Verdict
from obligations.ledger.items import CELL_BUDGET
from obligations.ledger.notes import set_note
from obligations.ledger.period import LedgerPeriod, academic_year, calendar_year
from obligations.ledger.service import compose_unit_ledger
from obligations.ledger.text import Part
from obligations.models import EvidenceRecord, LedgerFigure, Organization, Task
from obligations.rules.calendars import load_academic_calendar
from obligations.tasks.generation import generate_tasks
from obligations.tasks.state import refresh_done_on
from obligations.tasks.waivers import waive
from obligations.vocabulary import OrgKind, ReviewState, Role

Rows = dict[str, tuple[str, Verdict, str]]


def rows(session: Session, period: LedgerPeriod | None = None, today: date = TODAY) -> Rows:
    composed = compose_unit_ledger(
        session,
        shipped_catalog(),
        unit_code=UNIT,
        period=period or calendar_year(YEAR),
        today=today,
    )
    return {r.item_id: (r.implementation, r.verdict, r.gaps) for r in composed.document.rows}


def task(session: Session, rule_id: str, period_key: str) -> Task:
    return session.scalars(
        select(Task).where(Task.rule_id == rule_id, Task.period_key == period_key)
    ).one()


def records(session: Session, task_id: int) -> list[EvidenceRecord]:
    return list(session.scalars(select(EvidenceRecord).where(EvidenceRecord.task_id == task_id)))


def withdraw(record: EvidenceRecord) -> None:
    record.withdrawn_at, record.withdrawn_by = NOW, "测试"


def move_held_on(session: Session, rule_id: str, period_key: str, day: date) -> None:
    for record in records(session, task(session, rule_id, period_key).id):
        record.held_on = day


def test_a_year_reports_the_checks_held_in_it_not_those_of_the_year_before(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        fill_year(session, build_unit(session))
        move_held_on(session, "mobile-member-check", "2025-2026-1", date(2025, 12, 10))
        move_held_on(session, "mobile-member-check", "2026-2027-1", date(2026, 11, 18))
    with sessions() as session:
        implementation, verdict, gaps = rows(session)["3.5"]
    assert (
        implementation
        == "流动党员排查：应开展2次，实际开展2次（3月10日、11月18日）（目录第51—54项）"
    )
    assert (verdict, gaps) == (Verdict.MET, "")


def test_a_semester_running_at_year_end_is_in_progress_never_a_gap(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        fill_year(session, build_unit(session))
        for record in records(session, task(session, "mobile-member-check", "2026-2027-1").id):
            withdraw(record)
    with sessions() as session:
        # Made in March, after the semester's due date: still in progress at the year's end.
        implementation, verdict, gaps = rows(session, today=date(YEAR + 1, 3, 1))["3.5"]
    assert implementation == (
        "流动党员排查：应开展1次，实际开展1次（3月10日）（目录第51、52项）；"
        "2026—2027学年第一学期进行中（至2027年1月22日）"
    )
    assert (verdict, gaps) == (Verdict.MET, "")


def test_an_academic_year_reports_a_calendar_year_task_done_inside_it(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        fill_year(session, build_unit(session))
    with sessions() as session:
        period = academic_year("2025-2026", load_academic_calendar(session))
        implementation, verdict, _ = rows(session, period)["2.4"]
    # The 2026 training (January to December) was held in January, inside the academic year.
    trained = "班子成员集中培训：应完成3人次，实际完成3人次（张书记、李纪检、王委员2026年1月9日）"
    assert trained in implementation
    assert verdict is Verdict.MET


def scripted_year(session: Session) -> None:
    """Most tasks done on time; March's study missing; a waived month; a rejected record and
    some pending ones; a narrative without evidence; figures entered
    for some metrics only."""
    unit = build_unit(session)
    fill_year(session, unit)
    march = task(session, "central-group-study", f"{YEAR}-03")
    for record in records(session, march.id):
        withdraw(record)
    august = task(session, "staff-political-study", f"{YEAR}-08")
    for record in records(session, august.id):
        withdraw(record)
    session.flush()
    refresh_done_on(session, [march.id, august.id])
    waive(session, task_id=august.id, reason="暑假", by=operator("组织部"), now=NOW)
    for record in records(session, task(session, "theme-party-day", f"{YEAR}-06").id):
        record.review_state, record.review_reason = ReviewState.REJECTED, "照片与记录不符"
    for record in records(session, task(session, "dues-disclosure", f"{YEAR}-07").id):
        record.review_state = ReviewState.PENDING
    for record in session.scalars(
        select(EvidenceRecord).where(
            EvidenceRecord.ledger_item == "6.2", EvidenceRecord.task_id.is_(None)
        )
    ):
        withdraw(record)
    set_note(
        session,
        shipped_catalog(),
        unit_code=UNIT,
        item_id="6.2",
        year=YEAR,
        narrative="班子分工明确，党政主要负责人每周沟通。",
        measures=None,
        by=operator("测试"),
        now=NOW,
    )
    session.execute(delete(LedgerFigure).where(LedgerFigure.key == "member-subscription-rate"))


def test_no_item_of_a_scripted_year_is_met_while_its_gaps_name_something_missing(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        scripted_year(session)
    with sessions() as session:
        ledger = rows(session)
    met_yet_missing = {
        item: gaps
        for item, (_, verdict, gaps) in ledger.items()
        if verdict is Verdict.MET and any(word in gaps for word in MISSING_WORDS)
    }
    assert met_yet_missing == {}
    assert ledger["2.4"][1:] == (Verdict.NOT_MET, "中心组理论学习：3月未开展\n（整改措施待填写）")
    assert ledger["5.1"][1:] == (Verdict.MET, "")
    assert "8月已豁免（暑假）" in ledger["5.1"][0]
    assert ledger["6.2"][1:] == (
        Verdict.PENDING,
        "尚未登记佐证材料：班子分工文件、党政领导沟通记录",
    )
    assert ledger["3.2"][1] is Verdict.PENDING
    assert "党员微信订阅率：尚未填报党员微信订阅率" in ledger["3.2"][2]


def test_returned_material_is_reported_with_its_reason_and_never_as_not_held(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        scripted_year(session)
    with sessions() as session:
        implementation, verdict, gaps = rows(session)["4.3"]
    assert verdict is Verdict.PENDING
    assert "主题党日（党员活动日）：6月材料已退回（原因：照片与记录不符），待重新提交" in gaps
    assert "未开展" not in gaps
    assert "主题党日（党员活动日）应开展12次、实际11次" in implementation


def test_pending_material_is_marked_and_earns_no_met_verdict(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        scripted_year(session)
    with sessions() as session:
        implementation, verdict, gaps = rows(session)["3.3"]
    assert implementation == (
        "党费收缴情况公布：应开展2次，实际开展2次（1月9日、7月9日），"
        "其中1次材料待审核（目录第41—44项）"
    )
    assert (verdict, gaps) == (Verdict.PENDING, "党费收缴情况公布：7月材料待审核")


def test_an_item_with_nothing_held_yet_is_not_met_on_zero_of_zero(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        build_unit(session)
        unit = session.scalars(select(Organization).where(Organization.code == UNIT)).one()
        assert unit.code == UNIT
    with sessions() as session:
        implementation, verdict, gaps = rows(session, today=date(YEAR, 1, 5))["6.3"]
    assert "尚未到期" in implementation
    assert (verdict, gaps) == (Verdict.PENDING, "本期尚无已开展的活动记录，请登记材料")


def unit_facts(kind: OrgKind, members: int, *roles: Role) -> UnitFacts:
    holders = tuple(Holder(f"委员{n}", role) for n, role in enumerate(roles))
    return UnitFacts(kind=kind, member_count=members, term_start=None, term_years=None,
                     holders=holders)  # fmt: skip


def check(check_id: str, unit: UnitFacts) -> Part:
    indicator = next(
        i for i in shipped_catalog().indicators if any(c.id == check_id for c in i.checks)
    )
    return run_check(next(c for c in indicator.checks if c.id == check_id), unit)


def test_a_direct_branch_of_fifty_members_is_allowed_and_fifty_one_are_not() -> None:
    assert not check("member_count_matches_kind", unit_facts(OrgKind.DIRECT_BRANCH, 50)).failed
    over = check("member_count_matches_kind", unit_facts(OrgKind.DIRECT_BRANCH, 51))
    assert over.failed
    assert over.gaps == ("党员51人，超过50人，应设立党总支",)


def test_a_small_direct_branch_with_its_secretary_alone_needs_no_discipline_member() -> None:
    alone = check("discipline_member_present", unit_facts(OrgKind.DIRECT_BRANCH, 6, Role.SECRETARY))
    assert (alone.failed, alone.lines) == (False, ("党员6人，只设书记1人，不单设纪律检查委员",))
    larger = unit_facts(OrgKind.DIRECT_BRANCH, 8, Role.SECRETARY)
    assert check("discipline_member_present", larger).failed


def test_duties_the_standard_gives_the_general_branch_are_not_asked_of_a_direct_branch(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        fill_year(session, build_unit(session))
    with sessions() as session:
        ledger = rows(session)
    assert ledger["4.1"] == ("本项标准由党总支落实，本单位为直属党支部，不适用", Verdict.MET, "")
    assert "班子成员讲党课" not in ledger["4.3"][0]
    # Its own secretary's training is the committee's; it has no branch secretaries.
    assert "支部书记集中培训" not in ledger["3.2"][0]


def test_the_forms_title_and_school_name_come_from_the_imported_college(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        build_unit(session)
        college = session.scalars(select(Organization).where(Organization.code == "C")).one()
        college.name = "江淮理工学院"
    with sessions() as session:
        document = compose_unit_ledger(
            session, shipped_catalog(), unit_code=UNIT, period=calendar_year(YEAR), today=TODAY
        ).document
    assert document.school_name == "江淮理工学院"
    assert document.title == "江淮理工学院党总支（直属党支部）标准化建设工作台账"


def test_a_gap_without_the_units_measure_asks_for_one(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        scripted_year(session)
    with sessions() as session:
        before = rows(session)["2.4"][2]
    with sessions.begin() as session:
        set_note(
            session,
            shipped_catalog(),
            unit_code=UNIT,
            item_id="2.4",
            year=YEAR,
            narrative=None,
            measures="4月已补学。",
            by=operator("测试"),
            now=NOW,
        )
    with sessions() as session:
        after = rows(session)["2.4"][2]
    assert before == "中心组理论学习：3月未开展\n（整改措施待填写）"
    assert after == "中心组理论学习：3月未开展\n措施：4月已补学。"


def test_a_general_branchs_branch_life_keeps_to_the_cells_length_budget(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        orgs = factories.small_college(session)
        generate_tasks(session, shipped_catalog(), through=date(YEAR, 12, 31), now=NOW)
        owed = select(Task).where(Task.unit_id == orgs["U01"].id, Task.ledger_item == "4.3")
        for owed_task in session.scalars(owed):
            skipped = owed_task.organization_id == orgs["B2"].id and owed_task.period_key in (
                f"{YEAR}-07",
                f"{YEAR}-08",
            )
            if not skipped and held_day(owed_task) <= TODAY:
                add_record(session, owed_task, unit=orgs["U01"], held_on=held_day(owed_task))
    with sessions() as session:
        composed = compose_unit_ledger(
            session, shipped_catalog(), unit_code="U01", period=calendar_year(YEAR), today=TODAY
        )
    row = next(r for r in composed.document.rows if r.item_id == "4.3")
    assert len(row.implementation) <= CELL_BUDGET
    assert "所属2个党支部支部委员会会议应开展24次、实际22次" in row.implementation
    assert "支部委员会会议：U01-B02 组织7月、8月未开展" in row.gaps.splitlines()


def test_a_rule_serving_two_items_is_told_once_and_cited_from_the_other(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as session:
        fill_year(session, build_unit(session))
    with sessions() as session:
        ledger = rows(session)
    trained = "班子成员集中培训：应完成3人次，实际完成3人次（张书记、李纪检、王委员1月9日）"
    assert trained in ledger["2.4"][0]
    assert ledger["3.2"][0].startswith("班子成员集中培训应完成3人次、实际3人次（见第2.4项）\n")
