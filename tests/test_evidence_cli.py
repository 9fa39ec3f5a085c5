"""Evidence through the CLI on a demo data directory, `verify`, `audit`, and a killed upload."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from freezegun import freeze_time
from freezegun.api import TickingDateTimeFactory
from sqlalchemy import func, select
from tests.storage_samples import EXE, PDF

from obligations.cli.main import cli
from obligations.db import make_engine, session_factory
from obligations.evidence.storage import LocalBlobStore, UploadLimits
from obligations.models import EvidenceFile, EvidenceRecord
from obligations.safety.verify import verify
from obligations.timeutil import LOCAL_TZ

OBLIGATIONS = Path(sys.executable).parent / "obligations"


def run(data_dir: Path, *args: str | Path, user: str = "王书记") -> Result:
    result = CliRunner(env={"OBLIGATIONS_USER": user}).invoke(
        cli, ["--data-dir", str(data_dir), *map(str, args)]
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def records(data_dir: Path) -> int:
    engine = make_engine(f"sqlite:///{data_dir / 'obligations.sqlite3'}")
    try:
        with session_factory(engine)() as session:
            return session.scalar(select(func.count()).select_from(EvidenceRecord)) or 0
    finally:
        engine.dispose()


# The in-process CLI runs at a fixed instant: the last evening of a month in UTC, which is already
# the first of the next month in Asia/Shanghai (where the product keeps its dates).
NOW = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)
# (pytest keeps real time, so its --durations stay true.)


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[TickingDateTimeFactory]:
    with freeze_time(NOW, tick=True, ignore=["_pytest"]) as clock:
        yield clock


@pytest.fixture
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo college without its recorded year: these tests count the records they make."""
    data = tmp_path_factory.mktemp("data")
    assert run(data, "init", "--demo", "--without-history").exit_code == 0
    return data


def current_month_task(data_dir: Path) -> dict[str, object]:
    """U01's central-group study of the month of :data:`NOW` in the college's own time zone."""
    month = NOW.astimezone(LOCAL_TZ).strftime("%Y-%m")
    listed = run(data_dir, "tasks", "list", "--json", "--unit", "U01", "--rule",
                 "central-group-study")  # fmt: skip
    (task,) = [t for t in json.loads(listed.stdout) if t["period_key"] == month]
    return task  # type: ignore[no-any-return]


def held_on(task: dict[str, object]) -> str:
    return str(task["period_start"])


def write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def test_adding_evidence_closes_the_task_and_lists_shows_and_returns_the_file(
    data_dir: Path, tmp_path: Path
) -> None:
    task = current_month_task(data_dir)
    minutes = write(tmp_path / "党委中心组学习记录.pdf", PDF)
    added = run(data_dir, "evidence", "add", str(task["id"]), minutes, "--held-on",
                held_on(task), "--title", "中心组学习", "--participants", "9")  # fmt: skip
    assert added.exit_code == 0, added.output
    assert added.stdout.startswith("已登记材料 1：中心组学习，文件 1 个")
    after = current_month_task(data_dir)
    assert (after["status"], after["done_count"]) == ("done", 1)
    listed = json.loads(run(data_dir, "evidence", "list", "--task", str(task["id"]),
                            "--json").stdout)  # fmt: skip
    assert [(r["title"], r["recorded_by"], r["files"][0]["name"]) for r in listed] == [
        ("中心组学习", "王书记", "党委中心组学习记录.pdf")
    ]
    shown = run(data_dir, "evidence", "show", "1")
    assert "1. 党委中心组学习记录.pdf" in shown.stdout and "待审核" in shown.stdout
    fetched = tmp_path / "copy.pdf"
    got = run(data_dir, "evidence", "get", "1", "党委中心组学习记录.pdf", "-o", fetched)
    assert got.exit_code == 0 and fetched.read_bytes() == PDF


def test_review_withdraw_waive_and_the_audit_trail_through_the_cli(
    data_dir: Path, tmp_path: Path
) -> None:
    task = current_month_task(data_dir)
    minutes = write(tmp_path / "记录.pdf", PDF)
    run(data_dir, "evidence", "add", str(task["id"]), minutes, "--held-on", held_on(task),
        "--title", "学习")  # fmt: skip
    rejected = run(data_dir, "evidence", "review", "1", "--reject", "--reason", "缺签到表",
                   user="组织部")  # fmt: skip
    assert rejected.exit_code == 0 and current_month_task(data_dir)["status"] != "done"
    no_reason = run(data_dir, "evidence", "review", "1", "--reject")
    assert (no_reason.exit_code, no_reason.stderr) == (2, "错误：退回原因不能为空\n")
    run(data_dir, "evidence", "withdraw", "1", "--reason", "重新上传")
    waived = run(
        data_dir, "tasks", "waive", str(task["id"]), "--reason", "本月集中学习", user="组织部"
    )
    assert waived.exit_code == 0 and current_month_task(data_dir)["status"] == "waived"
    assert run(data_dir, "tasks", "unwaive", str(task["id"])).exit_code == 0
    trail = json.loads(run(data_dir, "audit", "--unit", "U01", "--json").stdout)
    assert [(e["action"], e["actor"]) for e in trail] == [
        ("evidence.add", "王书记"),
        ("evidence.review", "组织部"),
        ("evidence.withdraw", "王书记"),
        ("task.waive", "组织部"),
        ("task.unwaive", "王书记"),
    ]
    table = run(data_dir, "audit", "--unit", "U01", "--since", held_on(task)).stdout
    assert "review_state: pending → rejected" in table and "登记佐证材料" in table


def test_bad_input_is_refused_with_exit_status_2_and_nothing_stored(
    data_dir: Path, tmp_path: Path
) -> None:
    task = current_month_task(data_dir)
    start = str(task["period_start"])
    disguised = write(tmp_path / "会议记录.pdf", EXE)
    outside = (datetime.fromisoformat(start) - timedelta(days=1)).date().isoformat()
    attempts = {
        "disguised": ("evidence", "add", str(task["id"]), disguised, "--held-on", start,
                      "--title", "x"),
        "outside": ("evidence", "add", str(task["id"]), "--held-on", outside, "--title", "x"),
        "no task": ("evidence", "add", "99999999", "--held-on", start, "--title", "x"),
        "bad date": ("evidence", "add", str(task["id"]), "--held-on", "2026-02-30",
                     "--title", "x"),
        "not a number": ("evidence", "add", "第一个", "--held-on", start, "--title", "x"),
        "no file": ("evidence", "add", str(task["id"]), tmp_path / "none.pdf", "--held-on",
                    start, "--title", "x"),
    }  # fmt: skip
    results = {name: run(data_dir, *args) for name, args in attempts.items()}
    assert {name: r.exit_code for name, r in results.items()} == dict.fromkeys(attempts, 2)
    assert "实际类型为 exe" in results["disguised"].stderr
    assert f"不在该任务的周期内（{start} 至" in results["outside"].stderr
    assert "没有编号为 99999999 的任务" in results["no task"].stderr
    assert "2026-02-30" in results["bad date"].stderr
    assert "任务编号应为数字" in results["not a number"].stderr
    assert "文件不存在" in results["no file"].stderr
    assert records(data_dir) == 0
    assert list((data_dir / "evidence" / "objects").rglob("*.*")) == []


def test_a_record_without_a_file_is_refused_with_exit_status_2_naming_the_allowed_types(
    data_dir: Path,
) -> None:
    task = current_month_task(data_dir)
    added = run(data_dir, "evidence", "add", str(task["id"]), "--held-on", held_on(task),
                "--title", "中心组学习")  # fmt: skip
    assert added.exit_code == 2
    assert "该任务须附佐证材料文件" in added.stderr
    assert "允许的文件类型：pdf、docx" in added.stderr and "Traceback" not in added.output
    assert records(data_dir) == 0
    assert current_month_task(data_dir)["status"] != "done"


def test_standing_evidence_goes_to_an_item_of_a_unit_for_a_year(
    data_dir: Path, tmp_path: Path
) -> None:
    photo = write(tmp_path / "活动室.pdf", PDF)
    added = run(data_dir, "evidence", "add", photo, "--item", "1.3", "--unit", "U01", "--year",
                "2026", "--held-on", "2026-03-01", "--title", "活动室",
                "--kind", "photos")  # fmt: skip
    assert added.exit_code == 0, added.output
    listed = json.loads(run(data_dir, "evidence", "list", "--unit", "U01", "--json").stdout)
    assert [(r["task_id"], r["ledger_item"], r["kind"]) for r in listed] == [
        (None, "1.3", "photos")
    ]


def test_verify_reports_a_missing_and_a_corrupt_file_and_exits_1(
    data_dir: Path, tmp_path: Path
) -> None:
    task = current_month_task(data_dir)
    for name, content in (("a.pdf", PDF), ("b.pdf", PDF + b"%b")):
        run(data_dir, "evidence", "add", str(task["id"]), write(tmp_path / name, content),
            "--held-on", held_on(task), "--title", name)  # fmt: skip
    assert run(data_dir, "verify").exit_code == 0
    objects = sorted(p for p in (data_dir / "evidence" / "objects").rglob("*") if p.is_file())
    objects[0].chmod(0o644)
    objects[0].write_bytes(b"tampered")
    objects[1].unlink()

    result = run(data_dir, "verify")

    assert result.exit_code == 1
    assert f"损坏：{objects[0].name}" in result.stdout
    assert f"缺失：{objects[1].name}" in result.stdout


def test_verify_removes_an_old_orphan_and_keeps_a_recent_one(
    data_dir: Path,
) -> None:
    store = LocalBlobStore(data_dir / "evidence")
    orphan = store.put(io.BytesIO(PDF + b"%orphan"), limits=UploadLimits(), filename="o.pdf")
    engine = make_engine(f"sqlite:///{data_dir / 'obligations.sqlite3'}")
    try:
        with session_factory(engine)() as session:
            stored = store.stored_at(orphan.sha256)  # the file system's clock, never frozen
            recent = verify(session, store, now=stored)
            old = verify(session, store, now=stored + timedelta(hours=2))
            referenced = session.scalar(select(func.count()).select_from(EvidenceFile))
    finally:
        engine.dispose()
    assert (recent.orphans_recent, recent.orphans_removed, recent.ok) == ([orphan.sha256], [], True)
    assert (old.orphans_removed, old.ok) == ([orphan.sha256], True)
    assert not store.exists(orphan.sha256) and referenced == 0


def test_an_upload_killed_mid_stream_leaves_no_record_and_verify_cleans_up(
    data_dir: Path, tmp_path: Path, frozen_clock: TickingDateTimeFactory
) -> None:
    task = current_month_task(data_dir)
    pipe = tmp_path / "大文件.pdf"
    os.mkfifo(pipe)
    upload = subprocess.Popen(
        [OBLIGATIONS, "--data-dir", data_dir, "evidence", "add", str(task["id"]), pipe,
         "--held-on", held_on(task), "--title", "大文件"],
        env={**os.environ, "OBLIGATIONS_MAX_UPLOAD_MB": "500"},
    )  # fmt: skip
    temporary = data_dir / "evidence" / "tmp"
    with pipe.open("wb") as writer:
        writer.write(PDF + bytes(8 * 1024 * 1024))
        writer.flush()
        deadline = time.monotonic() + 30
        while not any(f.stat().st_size > 0 for f in temporary.glob("*")):
            assert time.monotonic() < deadline, "the upload never started writing"
            time.sleep(0.05)
        upload.send_signal(signal.SIGKILL)
        assert upload.wait(timeout=30) == -signal.SIGKILL
    assert records(data_dir) == 0
    assert [f for f in temporary.iterdir()] != []  # the partial upload's temporary file

    # The killed process wrote on the real clock: move the frozen one past the file's time.
    written = max(f.stat().st_mtime for f in temporary.iterdir())
    frozen_clock.move_to(datetime.fromtimestamp(written + 1, UTC))
    result = run(data_dir, "verify", "--grace-minutes", "0")

    assert result.exit_code == 0, result.output
    assert "已清理中断上传的临时文件" in result.stdout
    assert list(temporary.iterdir()) == []
    assert list((data_dir / "evidence" / "objects").rglob("*.*")) == []
    assert records(data_dir) == 0


def test_the_same_file_added_twice_to_a_task_is_refused_with_exit_status_2(
    data_dir: Path, tmp_path: Path
) -> None:
    task = current_month_task(data_dir)
    minutes = write(tmp_path / "党委中心组学习记录.pdf", PDF)
    args = ("evidence", "add", str(task["id"]), minutes, "--held-on", held_on(task),
            "--title", "中心组学习")  # fmt: skip
    assert run(data_dir, *args).exit_code == 0
    again = run(data_dir, *args)
    assert again.exit_code == 2 and "该任务已登记过相同的文件" in again.output
    listed = json.loads(run(data_dir, "evidence", "list", "--task", str(task["id"]),
                            "--json").stdout)  # fmt: skip
    assert len(listed) == 1
