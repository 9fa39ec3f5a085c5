"""The demo college's recorded year: planned deterministically from its tasks and the day,
recorded through the real services, so states, tallies, files, the ledger and the audit agree."""

from __future__ import annotations

import io
import shutil
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import docx
from click.testing import CliRunner
from freezegun import freeze_time
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.demo_support import DEMO_NOW, init_demo
from tests.test_backup import evidence_of, states
from tests.test_task_tally import recount, tally

from obligations.cli.main import cli
from obligations.db import make_engine, session_factory
from obligations.demo.plan import (
    PENDING_DAYS,
    RETURN_REASON,
    WAIVER_REASON,
    TaskFacts,
    plan_history,
)
from obligations.demo.samples import sample_files
from obligations.models import EvidenceRecord, Task
from obligations.models.tasks import TaskItemTally, TaskTally
from obligations.tasks.state import recorded_on_by_task
from obligations.tasks.status import completed_on
from obligations.timeutil import local_date
from obligations.vocabulary import EvidenceKind, ReviewState

TODAY = local_date(DEMO_NOW)


def monthly(org: str, months: int, first_id: int = 1) -> list[TaskFacts]:
    """A branch's monthly 主题党日 tasks from 2025-09 on."""
    tasks = []
    for n in range(months):
        start = date(2025 + (8 + n) // 12, (8 + n) % 12 + 1, 1)
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        tasks.append(
            TaskFacts(
                first_id + n,
                "theme-party-day",
                "主题党日（党员活动日）",
                org,
                org,
                start.strftime("%Y-%m"),
                start,
                end,
                end,
                1,
                (EvidenceKind.MINUTES, EvidenceKind.SIGN_IN, EvidenceKind.PHOTOS),
            )
        )
    return tasks


def test_the_same_tasks_on_the_same_day_get_the_same_history() -> None:
    tasks = monthly("U02-B01", 18) + monthly("U01-B01", 18, first_id=100)
    assert plan_history(tasks, TODAY, returned_in="U01-B01") == plan_history(
        tasks, TODAY, returned_in="U01-B01"
    )


def test_a_tasks_records_do_not_depend_on_which_other_tasks_exist() -> None:
    mine = monthly("U03-B02", 18, first_id=500)
    alone = plan_history(mine, TODAY, returned_in="U01-B01").records
    among = plan_history(monthly("U02-B01", 18) + mine, TODAY, returned_in="U01-B01").records
    assert alone and [r for r in among if r.task_id >= 500] == alone


def test_records_are_held_in_their_period_made_before_today_and_reviewed_after() -> None:
    tasks = {t.task_id: t for t in monthly("U02-B01", 18)}
    plan = plan_history(list(tasks.values()), TODAY, returned_in="U01-B01")
    for r in plan.records:
        task = tasks[r.task_id]
        assert task.period_start <= r.held_on <= min(task.period_end, r.recorded_on)
        assert r.recorded_on < TODAY
        if r.reviewed_on is None:
            assert r.recorded_on >= TODAY - timedelta(days=PENDING_DAYS)
        else:
            assert r.recorded_on < r.reviewed_on <= TODAY
        assert r.title.startswith(f"{r.held_on.year}年{r.held_on.month}月主题党日：")
    assert all(t.period_start < TODAY for t in tasks.values() if t.task_id in plan_ids(plan))


def plan_ids(plan: object) -> set[int]:
    return {r.task_id for r in plan.records}  # type: ignore[attr-defined]


def test_the_sample_files_are_real_documents_and_pictures() -> None:
    files = sample_files()
    minutes = files[EvidenceKind.MINUTES][0]
    assert minutes.name.endswith(".docx")
    assert docx.Document(io.BytesIO(minutes.content)).paragraphs[0].text == "会议记录"
    assert Image.open(io.BytesIO(files[EvidenceKind.SIGN_IN][0].content)).format == "PNG"
    assert Image.open(io.BytesIO(files[EvidenceKind.PHOTOS][0].content)).format == "JPEG"
    assert files[EvidenceKind.DOCUMENT][0].content.startswith(b"%PDF-")
    assert sample_files() == files  # the same bytes every time


# --- the demo as `init --demo` makes it -------------------------------------------------


def session_of(data: Path) -> Session:
    return session_factory(make_engine(f"sqlite:///{data / 'obligations.sqlite3'}"))()


def test_init_says_what_the_year_holds(demo_with_history: tuple[Path, list[str]]) -> None:
    data, output = demo_with_history
    with session_of(data) as db:
        records = db.scalars(select(EvidenceRecord)).all()
    states = Counter(r.review_state for r in records if r.task_id is not None)
    line = next(line for line in output if line.startswith("示例学院过去一年的记录"))
    with_task = states.total()
    assert line == (
        f"示例学院过去一年的记录：材料 {with_task} 份（待审核 {states[ReviewState.PENDING]}，"
        f"已退回 {states[ReviewState.REJECTED]}），豁免 1 项，"
        f"常规材料 {len(records) - with_task} 份"
    )


def test_most_past_tasks_were_done_on_time_some_late_some_missed_one_waived(
    demo_with_history: tuple[Path, list[str]],
) -> None:
    data, _ = demo_with_history
    with session_of(data) as db:
        past = db.scalars(select(Task).where(Task.due_on < TODAY)).all()
    on_time = sum(
        1 for t in past if t.done_on and t.done_on <= max(t.due_on, t.nominal_due_on or t.due_on)
    )
    late = sum(
        1 for t in past if t.done_on and t.done_on > max(t.due_on, t.nominal_due_on or t.due_on)
    )
    waived = [t for t in past if t.waived_at is not None]
    missed = len(past) - on_time - late - len(waived)
    assert 0.75 < on_time / len(past) < 0.9
    assert 0.03 < late / len(past) < 0.12
    assert 0.03 < missed / len(past) < 0.15
    assert [(t.rule_id, t.waived_reason, t.done_on) for t in waived] == [
        ("party-group-meeting", WAIVER_REASON, None)
    ]


def test_one_record_of_the_demo_branch_was_returned_and_its_task_reopened(
    demo_with_history: tuple[Path, list[str]],
) -> None:
    data, _ = demo_with_history
    with session_of(data) as db:
        returned = db.scalars(
            select(EvidenceRecord).where(EvidenceRecord.review_state == ReviewState.REJECTED)
        ).all()
        assert [(r.review_reason, r.reviewed_by) for r in returned] == [
            (RETURN_REASON, "web:admin")
        ]
        task = db.get(Task, returned[0].task_id)
        assert task is not None and task.done_on is None
        assert returned[0].recorded_by == "web:u01-b01"


def test_records_of_the_last_week_wait_for_review_and_older_ones_were_accepted(
    demo_with_history: tuple[Path, list[str]],
) -> None:
    data, _ = demo_with_history
    with session_of(data) as db:
        records = db.scalars(
            select(EvidenceRecord).where(EvidenceRecord.task_id.is_not(None))
        ).all()
    week_ago = TODAY - timedelta(days=PENDING_DAYS)
    pending = {r.id for r in records if r.review_state is ReviewState.PENDING}
    assert pending and pending == {r.id for r in records if local_date(r.recorded_at) >= week_ago}
    assert all(
        r.reviewed_at is not None and r.reviewed_at > r.recorded_at
        for r in records
        if r.id not in pending
    )


def test_every_task_state_and_tally_agrees_with_the_records(
    demo_with_history: tuple[Path, list[str]],
) -> None:
    data, _ = demo_with_history
    with session_of(data) as db:
        tasks = list(db.scalars(select(Task)))
        recorded = recorded_on_by_task(db, [t.id for t in tasks])
        assert all(t.done_on == completed_on(recorded.get(t.id, []), t.min_count) for t in tasks)
        assert sum(1 for t in tasks if t.done_on) > 1500
        assert tally(db, TaskTally) == recount(tasks, item=False)
        assert tally(db, TaskItemTally) == recount(tasks, item=True)


def run(data: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--data-dir", str(data), *args])
    return result.exit_code, result.output


def test_every_stored_file_is_whole(demo_with_history: tuple[Path, list[str]]) -> None:
    assert run(demo_with_history[0], "verify")[0] == 0


def test_a_backup_of_the_demo_year_restores_every_state_record_and_file(
    demo_with_history: tuple[Path, list[str]], tmp_path: Path
) -> None:
    data, _ = demo_with_history
    assert run(data, "backup", "-o", str(tmp_path / "demo.tar"))[0] == 0
    restored = tmp_path / "restored"
    assert run(restored, "restore", str(tmp_path / "demo.tar"))[0] == 0
    assert run(restored, "verify")[0] == 0
    with freeze_time(DEMO_NOW):
        assert states(restored) == states(data)
    assert evidence_of(restored) == evidence_of(data)


def test_the_u01_ledger_shows_what_was_done_the_returned_record_and_the_notes(
    demo_with_history: tuple[Path, list[str]], tmp_path: Path
) -> None:
    out = tmp_path / "U01.html"
    code, output = run(
        demo_with_history[0], "ledger", "U01", "--year", "2026", "--format", "html", "-o", str(out)
    )
    assert code == 0, output
    html = out.read_text(encoding="utf-8")
    assert "中心组理论学习应开展12次" in html and "主题包括" in html and "平均参加" in html
    assert "已退回" in html and RETURN_REASON in html
    assert "建立困难党员台账" in html and "下一年度将慰问范围扩大到退休教职工党员" in html
    assert html.count("达标") > html.count("未达标")


def test_the_unit_with_a_short_subscription_rate_fails_that_item(
    demo_with_history: tuple[Path, list[str]], tmp_path: Path
) -> None:
    out = tmp_path / "U05.html"
    code, output = run(
        demo_with_history[0], "ledger", "U05", "--year", "2026", "--format", "html", "-o", str(out)
    )
    assert code == 0, output
    html = out.read_text(encoding="utf-8")
    assert "党员微信订阅率" in html and "52%" in html and "未达标" in html


def test_init_again_records_the_year_only_once(
    demo_with_history: tuple[Path, list[str]], tmp_path: Path
) -> None:
    data = tmp_path / "again"
    shutil.copytree(demo_with_history[0], data)
    with session_of(data) as db:
        before = db.scalars(select(EvidenceRecord.id)).all()
    output = init_demo(data)
    assert "数据目录中已有佐证材料，未再补录示例学院过去一年的记录" in output
    with session_of(data) as db:
        assert db.scalars(select(EvidenceRecord.id)).all() == before


def test_a_demo_without_history_has_no_records(tmp_path: Path) -> None:
    output = init_demo(tmp_path / "bare", "--without-history")
    assert not any(line.startswith("示例学院过去一年的记录") for line in output)
    with session_of(tmp_path / "bare") as db:
        assert db.scalars(select(EvidenceRecord)).first() is None
