"""A scripted year of one general branch, built through the services the way its people build
it (tasks generated, files uploaded in the two intake steps, the organization department's
reviews, a waiver, notes and figures), each step at a fixed moment of its own.

2026 for 机电工程学院党总支 (two branches, a committee of five, a dean), made on 10 January 2027:
most tasks done on time; the May study and one member's training recorded late; March's
central-group study missing; the student branch's July and August committee meetings missing
and its June 主题党日 returned; one committee member's party lecture missing; August's staff
study waived (暑假); November's staff study and July's dues disclosure not yet reviewed; the
autumn semester's mobile-member check held on 18 November; figures entered for 3.1 and the hours
of 3.2 only; qualitative items with all, some or none of their expected evidence, one with a
narrative alone; one standing record of 6.4 entered without its file.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests import factories
from tests.evidence_support import add_standing, add_to_task
from tests.helpers import shipped_catalog
from tests.storage_samples import PDF

from obligations.accounts.access import operator
from obligations.evidence import records
from obligations.evidence.intake import Upload
from obligations.evidence.records import EvidenceInput, EvidencePolicy, StandingTarget
from obligations.evidence.storage import BlobStore, UploadLimits
from obligations.ledger.notes import set_figures, set_note
from obligations.models import EvidenceRecord, Organization, Person, Task
from obligations.settings import Settings
from obligations.tasks.generation import generate_tasks
from obligations.tasks.waivers import waive
from obligations.timeutil import LOCAL_TZ
from obligations.vocabulary import EvidenceKind, OrgKind, Role

YEAR = 2026
TODAY = date(YEAR + 1, 1, 10)
UNIT = "U20"
UNIT_NAME = "机电工程学院党总支"
TEACHERS, STUDENTS = "U20-B01", "U20-B02"
POLICY = EvidencePolicy(
    limits=UploadLimits.of(Settings().max_upload_mb, Settings().allowed_file_types),
    review_enabled=True,
)
DEPARTMENT = operator("组织部")
UNIT_CLERK = "党总支组织员"

# Central-group study topics by month (March was not held).
STUDY_TOPICS = {
    1: "学习贯彻党的二十届三中全会精神",
    2: "学习《中国共产党纪律处分条例》",
    4: "深入学习习近平新时代中国特色社会主义思想",
    5: "师德师风建设专题学习",
    6: "学习全国教育大会精神",
    7: "学习贯彻党的二十届三中全会精神",
    8: "意识形态工作专题学习",
    9: "学习《中国共产党普通高等学校基层组织工作条例》",
    10: "产教融合与职业教育改革专题学习",
    11: "学习全国教育大会精神",
    12: "年度总结与党风廉政建设专题学习",
}
STUDY_PEOPLE = {1: 8, 2: 9, 4: 9, 5: 10, 6: 9, 7: 8, 8: 7, 9: 10, 10: 9, 11: 9, 12: 10}
STAFF_TOPICS = {
    1: "新学期师德师风教育",
    2: "学习全国两会精神",
    3: "学习全国两会精神",
    4: "学习《新时代高校教师职业行为十项准则》",
    5: "职业教育法专题学习",
    6: "学习全国教育大会精神",
    7: "暑期安全与廉洁教育",
    9: "新学期师德师风教育",
    10: "学习党的二十届三中全会精神",
    11: "意识形态工作专题学习",
    12: "年度工作总结",
}


@dataclass
class ScriptedYear:
    """What the script did, for the tests' expectations."""

    unit: Organization
    records: dict[str, EvidenceRecord] = field(default_factory=dict)  # by a name of the step


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=LOCAL_TZ).astimezone(UTC)


def build_scripted_year(session: Session, store: BlobStore) -> ScriptedYear:
    """The year above, in ``session`` (not committed), its files in ``store``."""
    unit = _organization(session)
    generate_tasks(session, shipped_catalog(), through=date(YEAR, 12, 31), now=at(date(YEAR, 1, 2)))
    year = ScriptedYear(unit)
    _unit_activities(session, store, year)
    _branch_activities(session, store, year)
    _people(session, store, year)
    _standing(session, store, year)
    _reviews(session, year)
    waive(
        session,
        task_id=_task(session, "staff-political-study", f"{YEAR}-08").id,
        reason="暑假",
        by=DEPARTMENT,
        now=at(date(YEAR, 7, 20)),
    )
    _notes_and_figures(session)
    return year


def _organization(session: Session) -> Organization:
    college = factories.org(session, "C", OrgKind.COLLEGE, name="安徽职业技术学院")
    unit = factories.org(
        session,
        UNIT,
        OrgKind.GENERAL_BRANCH,
        college,
        name=UNIT_NAME,
        member_count=86,
        term_start=date(2024, 6, 1),
        term_years=4,
    )
    teachers = factories.org(session, TEACHERS, OrgKind.BRANCH, unit, name="机电工程学院教工党支部")
    students = factories.org(
        session, STUDENTS, OrgKind.BRANCH, unit, name="机电工程学院学生第一党支部"
    )
    committee = (
        ("P1", "张慧敏", Role.SECRETARY),
        ("P2", "李建国", Role.DEPUTY_SECRETARY),
        ("P3", "王芳", Role.DISCIPLINE_MEMBER),
        ("P4", "陈明", Role.COMMITTEE_MEMBER),
        ("P5", "刘洋", Role.COMMITTEE_MEMBER),
    )
    for code, name, role in committee:
        factories.assign(session, factories.person(session, code, name), unit, role)
    factories.assign(session, factories.person(session, "P6", "孙志远"), unit, Role.DEAN)
    factories.assign(session, factories.person(session, "P7", "赵强"), unit, Role.ORGANIZER)
    factories.assign(session, factories.person(session, "P8", "周红"), teachers, Role.SECRETARY)
    factories.assign(session, factories.person(session, "P9", "吴磊"), students, Role.SECRETARY)
    factories.calendar(session)
    return unit


def _task(session: Session, rule_id: str, period_key: str, owner: str | None = None) -> Task:
    query = select(Task).where(Task.rule_id == rule_id, Task.period_key == period_key)
    if owner is not None:
        org = select(Organization.id).where(Organization.code == owner)
        person = select(Person.id).where(Person.name == owner)
        query = query.where((Task.organization_id.in_(org)) | (Task.person_id.in_(person)))
    return session.scalars(query).one()


def _record(
    session: Session,
    store: BlobStore,
    task: Task,
    *,
    held_on: date,
    title: str,
    participants: int | None = None,
    recorded_on: date | None = None,
    files: tuple[str, ...] = ("会议记录.pdf", "签到表.pdf"),
) -> EvidenceRecord:
    uploads = [
        Upload(name, io.BytesIO(PDF + f"%{title} {held_on} {name}\n".encode())) for name in files
    ]
    return add_to_task(
        session,
        store,
        POLICY,
        task_id=task.id,
        data=EvidenceInput(
            title=title, held_on=held_on, kind=EvidenceKind.MINUTES, participants=participants
        ),
        uploads=uploads,
        actor=UNIT_CLERK,
        now=at(recorded_on or held_on, 17),
    )


def _ninth(task: Task) -> date:
    return min(task.period_start + timedelta(days=8), task.period_end, task.due_on)


def _unit_activities(session: Session, store: BlobStore, year: ScriptedYear) -> None:
    for month, topic in STUDY_TOPICS.items():
        task = _task(session, "central-group-study", f"{YEAR}-{month:02d}")
        late = date(YEAR, 6, 20) if month == 5 else None
        year.records[f"study-{month}"] = _record(
            session,
            store,
            task,
            held_on=_ninth(task) + timedelta(days=5),
            title=f"{month}月中心组理论学习：{topic}",
            participants=STUDY_PEOPLE[month],
            recorded_on=late,
            files=("会议记录.pdf", "签到表.pdf", "现场照片.pdf"),
        )
    for month, topic in STAFF_TOPICS.items():
        task = _task(session, "staff-political-study", f"{YEAR}-{month:02d}")
        year.records[f"staff-{month}"] = _record(
            session,
            store,
            task,
            held_on=_ninth(task) + timedelta(days=10),
            title=f"{month}月教职工政治学习：{topic}",
            participants=40 + month % 5,
        )
    once = (
        ("recruitment-check", f"{YEAR}-H1", date(YEAR, 6, 12), "上半年党员发展工作检查"),
        ("recruitment-check", f"{YEAR}-H2", date(YEAR, 12, 4), "下半年党员发展工作检查"),
        ("training-plan", f"{YEAR}", date(YEAR, 3, 6), "2026年党员教育培训计划"),
        ("dues-disclosure", f"{YEAR}-01", date(YEAR, 1, 15), "2025年下半年党费收缴情况公布"),
        ("dues-disclosure", f"{YEAR}-07", date(YEAR, 7, 10), "2026年上半年党费收缴情况公布"),
        ("graduate-transfer", f"{YEAR}-07", date(YEAR, 7, 3), "2026届毕业生党员组织关系留转"),
        ("relation-audit", f"{YEAR}-09", date(YEAR, 9, 22), "党员组织关系集中排查"),
        ("mobile-member-check", "2025-2026-1", date(2025, 12, 10), "流动党员排查"),
        ("mobile-member-check", "2025-2026-2", date(YEAR, 3, 18), "流动党员排查"),
        ("mobile-member-check", "2026-2027-1", date(YEAR, 11, 18), "流动党员排查"),
        (
            "democratic-life-meeting",
            f"{YEAR}",
            date(YEAR, 12, 16),
            "2026年度班子成员民主生活会：以严守政治纪律和政治规矩为主题",
        ),
        ("branch-setup-survey", "2025-2026", date(YEAR, 4, 10), "所属党支部设置情况摸底"),
        ("branch-setup-survey", "2026-2027", date(YEAR, 10, 15), "所属党支部设置情况摸底"),
        ("secretary-review", f"{YEAR}", date(YEAR, 12, 22), "2026年度党支部书记抓党建述职评议"),
        ("annual-work-plan", f"{YEAR}", date(YEAR, 2, 26), "2026年党总支工作计划"),
        ("annual-work-summary", f"{YEAR}", date(YEAR, 12, 28), "2026年党总支工作总结"),
    )
    for rule_id, key, held_on, title in once:
        people = 7 if rule_id in ("democratic-life-meeting",) else None
        name = f"{rule_id}-{key}"
        year.records[name] = _record(
            session,
            store,
            _task(session, rule_id, key),
            held_on=held_on,
            title=title,
            participants=people,
            files=("文件.pdf",),
        )


_BRANCH_MONTHLY = ("branch-committee-meeting", "party-group-meeting", "theme-party-day")
_BRANCH_QUARTERLY = ("branch-general-meeting", "branch-party-lecture")
_BRANCH_YEARLY = ("organizational-life-meeting", "member-democratic-review")


def _branch_activities(session: Session, store: BlobStore, year: ScriptedYear) -> None:
    rules = {r.rule.id: r.rule.title for r in shipped_catalog().rules}
    for branch in (TEACHERS, STUDENTS):
        keys = [(r, f"{YEAR}-{m:02d}") for r in _BRANCH_MONTHLY for m in range(1, 13)]
        keys += [(r, f"{YEAR}-Q{q}") for r in _BRANCH_QUARTERLY for q in range(1, 5)]
        keys += [(r, f"{YEAR}") for r in _BRANCH_YEARLY]
        for rule_id, key in keys:
            missed = branch == STUDENTS and rule_id == "branch-committee-meeting"
            if missed and key in (f"{YEAR}-07", f"{YEAR}-08"):
                continue
            task = _task(session, rule_id, key, branch)
            held_on = _ninth(task) if rule_id != _BRANCH_YEARLY[0] else date(YEAR, 12, 10)
            year.records[f"{branch}-{rule_id}-{key}"] = _record(
                session, store, task, held_on=held_on, title=rules[rule_id], files=("记录.pdf",)
            )


def _people(session: Session, store: BlobStore, year: ScriptedYear) -> None:
    for name in ("张慧敏", "李建国", "王芳", "陈明", "刘洋"):
        late = date(YEAR + 1, 1, 5) if name == "陈明" else None
        held_on = date(YEAR, 12, 20) if late else date(YEAR, 7, 14)
        year.records[f"training-{name}"] = _record(
            session,
            store,
            _task(session, "committee-training", f"{YEAR}", name),
            held_on=held_on,
            title="党组织书记和班子成员集中培训",
            recorded_on=late,
            files=("结业证书.pdf",),
        )
    for name in ("周红", "吴磊"):
        year.records[f"branch-training-{name}"] = _record(
            session,
            store,
            _task(session, "branch-secretary-training", f"{YEAR}", name),
            held_on=date(YEAR, 7, 15),
            title="基层党支部书记集中培训",
            files=("结业证书.pdf",),
        )
    for name in ("张慧敏", "李建国", "王芳", "陈明"):  # 刘洋 gave none
        year.records[f"lecture-{name}"] = _record(
            session,
            store,
            _task(session, "committee-party-lecture", f"{YEAR}", name),
            held_on=date(YEAR, 6, 24),
            title="到联系支部讲党课",
            files=("讲稿.pdf", "现场照片.pdf"),
        )
    for name in ("张慧敏", "孙志远"):
        lessons = (
            ("2025-2026-1", date(YEAR - 1, 11, 12)),  # reported by the 2025 ledger
            ("2025-2026-2", date(YEAR, 4, 22)),
            ("2026-2027-1", date(YEAR, 11, 4)),
        )
        for key, held_on in lessons:
            year.records[f"lesson-{name}-{key}"] = _record(
                session,
                store,
                _task(session, "ideological-lesson", key, name),
                held_on=held_on,
                title="为学生讲思想政治理论课",
                files=("教案.pdf",),
            )


# Standing evidence by item: all the kinds expected, some, or none (4.4, 6.2 have none).
STANDING = {
    "1.4": ("工会、共青团、学生会等群团组织工作记录", "统一战线工作记录"),
    "2.3": ("书记任职情况", "专兼职党务工作者名单"),
    "3.6": ("困难党员台账",),
    "4.2": ("班子成员参加所在支部组织生活记录",),
    "5.2": ("“四有”好干部、好老师、党员示范岗活动材料",),
    "5.3": ("志愿服务、社会实践、暑期“三下乡”活动计划与记录",),
    "5.4": ("共驻共建、在职党员进社区等活动计划与记录",),
    "6.1": ("党政联席会议议事规则与记录", "党务公开材料"),
    "6.4": ("走访调研、结对帮扶、服务承诺活动记录",),
    "7.1": ("专兼职党务工作人员名单",),
    "7.2": ("党员活动室照片", "上墙制度照片", "党务公开栏照片"),
    "7.3": ("党建工作专项经费使用记录", "党费使用记录"),
    "7.4": ("党政联席会议记录", "党总支会议记录", "党员花名册", "组织机构图", "党费收缴记录",
            "组织关系转接记录"),
}  # fmt: skip


def _standing(session: Session, store: BlobStore, year: ScriptedYear) -> None:
    for item, titles in STANDING.items():
        for n, title in enumerate(titles):
            held_on = date(YEAR, 5, 10 + n)
            year.records[f"standing-{item}-{n}"] = add_standing(
                session,
                store,
                POLICY,
                shipped_catalog(),
                target=StandingTarget(UNIT, item, YEAR),
                data=EvidenceInput(title=title, held_on=held_on, kind=EvidenceKind.DOCUMENT),
                uploads=[Upload(f"{title[:20]}.pdf", io.BytesIO(PDF + title.encode()))],
                actor=UNIT_CLERK,
                now=at(held_on, 17),
            )
    item, title = UNFILED_STANDING
    year.records["standing-unfiled"] = add_standing(
        session,
        store,
        POLICY,
        shipped_catalog(),
        target=StandingTarget(UNIT, item, YEAR),
        data=EvidenceInput(title=title, held_on=date(YEAR, 9, 16), kind=EvidenceKind.OTHER),
        actor=UNIT_CLERK,
        now=at(date(YEAR, 9, 16), 17),
    )


# Standing evidence recorded without a file (the material to be handed in later).
UNFILED_STANDING = ("6.4", "结对帮扶工作情况")

PENDING = ("staff-11", "dues-disclosure-2026-07")
REJECTED = {f"{STUDENTS}-theme-party-day-{YEAR}-06": "照片与记录不符"}


def _reviews(session: Session, year: ScriptedYear) -> None:
    """The department accepts everything a week after it is recorded, but for the pending
    records and the returned one."""
    for name, record in year.records.items():
        if name in PENDING:
            continue
        reason = REJECTED.get(name)
        records.review(
            session,
            POLICY,
            record_id=record.id,
            accept=reason is None,
            reason=reason,
            by=DEPARTMENT,
            now=record.recorded_at + timedelta(days=7),
        )


def _notes_and_figures(session: Session) -> None:
    notes = {
        "1.4": ("指导分工会、团总支、学生会按计划开展工作，联系党外教师3人。", None),
        "2.4": (None, "4月已补学；今后由党总支办公室每月初排定学习安排。"),
        "6.2": ("班子分工明确，党政主要负责人每周一沟通工作。", None),
    }
    for item, (narrative, measures) in notes.items():
        set_note(
            session,
            shipped_catalog(),
            unit_code=UNIT,
            item_id=item,
            year=YEAR,
            narrative=narrative,
            measures=measures,
            by=operator(UNIT_CLERK),
            now=at(date(YEAR, 12, 30)),
        )
    set_figures(
        session,
        shipped_catalog(),
        unit_code=UNIT,
        year=YEAR,
        values={
            "activists": "15",
            "development-targets": "4",
            "member-training-hours": "36",
            "leader-training-hours": "60",
        },
        by=operator(UNIT_CLERK),
        now=at(date(YEAR, 12, 30)),
    )
