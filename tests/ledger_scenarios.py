"""A unit that meets every standard of the ledger for 2026, and helpers to spoil it.

Records go in directly through the ORM (the evidence service is tested on its own), each with
one or two file rows; the bundle tests store real files through the service instead.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session
from tests import factories
from tests.factories import NOW
from tests.helpers import shipped_catalog

from obligations.accounts.access import operator
from obligations.ledger.notes import set_figures
from obligations.models import EvidenceFile, EvidenceRecord, Organization, Task
from obligations.rules.schema import ItemKind
from obligations.tasks.generation import generate_tasks
from obligations.timeutil import LOCAL_TZ
from obligations.vocabulary import EvidenceKind, OrgKind, ReviewState, Role

YEAR = 2026
TODAY = date(2027, 1, 10)  # the ledger is made after the year has ended
UNIT = "U10"
# Words of a gap cell that name something missing (information, not a failure).
MISSING_WORDS = ("尚未", "尚无", "待审核", "已退回", "未填报", "仅有情况说明", "未附")
GOOD_FIGURES = {
    "activists": "12",
    "development-targets": "4",
    "member-training-hours": "36",
    "leader-training-hours": "60",
    "member-subscription-rate": "85",
    "leader-subscription-rate": "100",
}


def build_unit(session: Session) -> Organization:
    """A direct branch (30 members, no branches of its own) with a full committee."""
    college = factories.org(session, "C", OrgKind.COLLEGE, name="安徽职业技术学院")
    unit = factories.org(
        session,
        UNIT,
        OrgKind.DIRECT_BRANCH,
        college,
        name="机电工程学院直属党支部",
        member_count=30,
        term_start=date(2024, 6, 1),
        term_years=4,
    )
    people = (
        ("P1", "张书记", Role.SECRETARY),
        ("P2", "李纪检", Role.DISCIPLINE_MEMBER),
        ("P3", "王委员", Role.COMMITTEE_MEMBER),
        ("P4", "赵组织", Role.ORGANIZER),
        ("P5", "钱院长", Role.DEAN),
    )
    for code, name, role in people:
        factories.assign(session, factories.person(session, code, name), unit, role)
    factories.calendar(session)
    generate_tasks(session, shipped_catalog(), through=date(YEAR, 12, 31), now=NOW)
    return unit


def tasks_due(session: Session, unit: Organization, rule_id: str | None = None) -> list[Task]:
    query = (
        select(Task)
        .where(
            Task.unit_id == unit.id,
            Task.due_on >= date(YEAR, 1, 1),
            Task.due_on <= date(YEAR, 12, 31),
        )
        .order_by(Task.period_start, Task.id)
    )
    if rule_id is not None:
        query = query.where(Task.rule_id == rule_id)
    return list(session.scalars(query))


def tasks_of_year(session: Session, unit: Organization) -> list[Task]:
    """Every task whose period overlaps the year (what the year's ledger reports)."""
    query = (
        select(Task)
        .where(
            Task.unit_id == unit.id,
            Task.period_start <= date(YEAR, 12, 31),
            Task.period_end >= date(YEAR, 1, 1),
        )
        .order_by(Task.period_start, Task.id)
    )
    return list(session.scalars(query))


def at_noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=LOCAL_TZ).astimezone(UTC)


def add_record(
    session: Session,
    task: Task | None,
    *,
    unit: Organization,
    held_on: date,
    recorded_on: date | None = None,
    title: str = "活动记录",
    item: str | None = None,
    files: int = 2,
    review: ReviewState = ReviewState.ACCEPTED,
    reason: str | None = None,
    blob: tuple[str, int] | None = None,
) -> EvidenceRecord:
    record = EvidenceRecord(
        task_id=task.id if task else None,
        unit_id=unit.id,
        ledger_item=task.ledger_item if task else (item or ""),
        year=held_on.year,
        title=title,
        held_on=held_on,
        kind=EvidenceKind.MINUTES,
        recorded_by="测试",
        recorded_at=at_noon(recorded_on or held_on),
        review_state=review,
        review_reason=reason,
    )
    record.files = [
        EvidenceFile(
            position=n,
            sha256=blob[0] if blob else f"{n:064x}",
            size=blob[1] if blob else 10,
            media_type="application/pdf",
            original_name=f"材料{n}.pdf",
        )
        for n in range(1, files + 1)
    ]
    session.add(record)
    session.flush()
    return record


def held_day(task: Task) -> date:
    """A plausible activity date: the 9th day of the period, or its last day if shorter."""
    return min(task.period_start + timedelta(days=8), task.period_end, task.due_on)


def fill_year(
    session: Session,
    unit: Organization,
    *,
    skip: Collection[int] = (),
    files: int = 2,
    blob: tuple[str, int] | None = None,
) -> None:
    """Every task whose period overlaps the year done on time (a task's activity may fall in
    the year before, or after ``TODAY``; the re-election falls due in 2028), accepted
    standing evidence of every kind a qualitative item expects, and figures that meet every
    threshold. File rows point to no stored content, unless ``blob`` (a stored object's digest
    and size) is given: then every file row is that object."""
    for task in tasks_of_year(session, unit):
        if task.id in skip or held_day(task) > TODAY or task.rule_id == "re-election":
            continue
        for _ in range(task.min_count):
            add_record(session, task, unit=unit, held_on=held_day(task), files=files, blob=blob)
    expected = {i.item: i.expected_evidence for i in shipped_catalog().indicators}
    for item in shipped_catalog().items:
        if ItemKind.QUALITATIVE in item.kinds:
            for kind in expected.get(item.id) or [f"{item.name}工作材料"]:
                add_record(
                    session,
                    None,
                    unit=unit,
                    held_on=date(YEAR, 5, 20),
                    title=kind,
                    item=item.id,
                    files=min(files, 1),
                    blob=blob,
                )
    set_figures(
        session,
        shipped_catalog(),
        unit_code=UNIT,
        year=YEAR,
        values=GOOD_FIGURES,
        by=operator("测试"),
        now=NOW,
    )


def hours(value: str) -> Decimal:
    return Decimal(value)
