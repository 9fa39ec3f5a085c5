"""One activity, one record: the minutes, sign-in sheet and photos of one meeting become one
record holding all of them (so a rule asking for two meetings needs two meetings), shown as
one group in the proposals; a file whose date is corrected leaves its group (both databases)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from benchmarks.intake_files import docx_bytes, jpeg_bytes, sign_in_sheet
from sqlalchemy import func, select, update
from tests.test_intake_cli import Deployment, deployment, frozen_clock

from obligations.db import make_engine, session_factory
from obligations.evidence.bulk import grouping
from obligations.evidence.bulk.matching import Proposal
from obligations.models import EvidenceFile, EvidenceRecord, Task
from obligations.timeutil import LOCAL_TZ
from obligations.vocabulary import EvidenceKind

__all__ = ["deployment", "frozen_clock"]

BRANCH = "机电工程学院教工第一党支部"


def meeting(folder: Path, day: date, *, photo: bool = True, sign_in: bool = True) -> None:
    """The files one theme party day of the first staff branch leaves behind."""
    month = folder / f"{day.month}月"
    month.mkdir(parents=True, exist_ok=True)
    (month / f"主题党日记录{day.day}日.docx").write_bytes(
        docx_bytes([f"{BRANCH}主题党日活动记录", f"时间：{day.year}年{day.month}月{day.day}日"])
    )
    if sign_in:
        (month / f"{day:%Y%m%d}教工第一党支部主题党日签到表.xlsx").write_bytes(
            sign_in_sheet("主题党日签到表", ["张三", "李四", "王五", "赵六"])
        )
    if photo:
        taken = datetime(day.year, day.month, day.day, 15, 0, tzinfo=LOCAL_TZ)
        (month / f"{day:%Y%m%d}教工第一党支部主题党日照片.jpg").write_bytes(jpeg_bytes(taken))


def theme_task(deployment: Deployment, period: str) -> int:
    engine = make_engine(deployment.database_url)
    try:
        with session_factory(engine)() as db:
            from obligations.models import Organization

            branch = db.scalars(select(Organization).where(Organization.code == "U01-B01")).one()
            return db.scalars(
                select(Task.id).where(Task.rule_id == "theme-party-day",
                                      Task.organization_id == branch.id,
                                      Task.period_key == period)
            ).one()  # fmt: skip
    finally:
        engine.dispose()


def task_records(deployment: Deployment, task_id: int) -> list[tuple[str, str, int | None, int]]:
    """(title, kind, participants, number of files) of each record of the task."""
    engine = make_engine(deployment.database_url)
    try:
        with session_factory(engine)() as db:
            files = (
                select(func.count())
                .where(EvidenceFile.record_id == EvidenceRecord.id)
                .scalar_subquery()
            )
            rows = db.execute(
                select(EvidenceRecord.title, EvidenceRecord.kind, EvidenceRecord.participants,
                       files).where(EvidenceRecord.task_id == task_id).order_by(EvidenceRecord.id)
            ).all()  # fmt: skip
            return [(t, EvidenceKind(k).value, p, n) for t, k, p, n in rows]
    finally:
        engine.dispose()


def set_min_count(deployment: Deployment, task_id: int, count: int) -> None:
    engine = make_engine(deployment.database_url)
    try:
        with session_factory(engine).begin() as db:
            db.execute(update(Task).where(Task.id == task_id).values(min_count=count))
    finally:
        engine.dispose()


def test_the_three_files_of_one_meeting_become_one_record_with_three_files(
    deployment: Deployment, tmp_path: Path
) -> None:
    folder = tmp_path / "材料"
    meeting(folder, date(2026, 3, 12))
    task = theme_task(deployment, "2026-03")
    shown = deployment.run("evidence", "intake", folder, "--unit", "U01", "--json")
    found = json.loads(shown.stdout)
    assert [(p["task_id"], p["held_on"], p["group"]) for p in found] == [
        (task, "2026-03-12", 1)
    ] * 3, found
    before = task_records(deployment, task)
    result = deployment.run("evidence", "intake", folder, "--unit", "U01", "--accept-above", "0")
    assert result.exit_code == 0, result.output
    assert "共登记 3 个文件（1 条记录），未登记 0 个" in result.output
    after = task_records(deployment, task)
    assert len(after) == len(before) + 1
    assert after[-1] == (f"{BRANCH}主题党日活动记录", "minutes", 4, 3)
    assert deployment.done_on(task) is not None


def test_two_meetings_on_different_dates_make_two_records_for_a_rule_asking_for_two(
    deployment: Deployment, tmp_path: Path
) -> None:
    folder = tmp_path / "材料"
    meeting(folder, date(2026, 3, 5), sign_in=False)
    meeting(folder, date(2026, 3, 26), photo=False)
    task = theme_task(deployment, "2026-03")
    set_min_count(deployment, task, 2)
    result = deployment.run("evidence", "intake", folder, "--unit", "U01", "--accept-above", "0")
    assert "共登记 4 个文件（2 条记录），未登记 0 个" in result.output, result.output
    assert [files for *_, files in task_records(deployment, task)] == [2, 2]
    assert deployment.done_on(task) is not None


def test_one_meeting_alone_does_not_meet_a_rule_asking_for_two(
    deployment: Deployment, tmp_path: Path
) -> None:
    folder = tmp_path / "材料"
    meeting(folder, date(2026, 3, 12))
    task = theme_task(deployment, "2026-03")
    set_min_count(deployment, task, 2)
    result = deployment.run("evidence", "intake", folder, "--unit", "U01", "--accept-above", "0")
    assert "（1 条记录）" in result.output, result.output
    assert deployment.done_on(task) is None  # three files of one meeting count once


def test_a_file_whose_date_is_corrected_in_the_sheet_leaves_its_group(
    deployment: Deployment, tmp_path: Path
) -> None:
    import openpyxl

    folder = tmp_path / "材料"
    meeting(folder, date(2026, 3, 12))
    task = theme_task(deployment, "2026-03")
    sheet = tmp_path / "建议.xlsx"
    assert deployment.run("evidence", "intake", folder, "--unit", "U01", "-o", sheet).exit_code == 0
    workbook = openpyxl.load_workbook(sheet)
    rows = workbook.active
    assert rows is not None
    header = [c.value for c in rows[1]]
    assert [rows.cell(r, header.index("记录组") + 1).value for r in (2, 3, 4)] == [1, 1, 1]
    for r in (2, 3, 4):
        rows.cell(r, 1).value = "是"
        if str(rows.cell(r, 2).value).endswith(".jpg"):
            rows.cell(r, header.index("活动日期") + 1).value = "2026-03-20"
    workbook.save(sheet)
    applied = deployment.run("evidence", "intake", "--apply", sheet)
    assert "共登记 3 个文件（2 条记录）" in applied.output, applied.output
    assert sorted(files for *_, files in task_records(deployment, task)) == [1, 2]


def test_the_lead_file_is_the_minutes_and_the_count_comes_from_whichever_file_gave_one() -> None:
    day = date(2026, 3, 12)
    photo = Proposal("a.jpg", task_id=7, held_on=day, title="照片", kind=EvidenceKind.PHOTOS,
                     confidence=0.95)  # fmt: skip
    sign = Proposal("b.xlsx", task_id=7, held_on=day, title="签到表", kind=EvidenceKind.SIGN_IN,
                    participants=23, confidence=0.9)  # fmt: skip
    minutes = Proposal("c.docx", task_id=7, held_on=day, title="记录", confidence=0.8,
                       kind=EvidenceKind.MINUTES)  # fmt: skip
    other_day = Proposal("d.docx", task_id=7, held_on=date(2026, 3, 20), kind=EvidenceKind.MINUTES)
    duplicate = Proposal("e.docx", task_id=7, held_on=day, duplicate="本批文件“c.docx”")
    rows = [photo, sign, minutes, other_day, duplicate]
    groups = grouping.activities(rows)
    assert [[p.file for p in g] for g in groups] == [["a.jpg", "b.xlsx", "c.docx"], ["d.docx"],
                                                      ["e.docx"]]  # fmt: skip
    assert grouping.lead(groups[0]) is minutes and grouping.participants(groups[0]) == 23
    grouping.number_groups(rows)
    assert [p.group for p in rows] == [1, 1, 1, 2, None]
    assert grouping.group_sizes(rows) == {1: 3, 2: 1}
    later = Proposal("0.jpg", task_id=7, held_on=date(2026, 3, 20), kind=EvidenceKind.PHOTOS)
    rows.insert(0, later)
    grouping.number_groups(rows)
    assert [p.file for p in grouping.in_record_order(rows)] == [
        "0.jpg",
        "d.docx",
        "a.jpg",
        "b.xlsx",
        "c.docx",
        "e.docx",
    ]
