"""`obligations evidence intake` on a small folder of the demo college's files: proposals as
JSON and as a reviewable sheet, --apply and --accept-above recording through the two intake
steps, duplicates flagged, and hostile archives refused with nothing stored (both databases)."""

from __future__ import annotations

import csv
import io
import json
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg  # noqa: F401  (its C module must load before freezegun replaces datetime)
import pytest
from benchmarks.intake_files import docx_bytes, jpeg_bytes, pdf_bytes, sign_in_sheet
from click.testing import CliRunner, Result
from freezegun import freeze_time
from sqlalchemy import func, select

from obligations.cli.main import cli
from obligations.db import make_engine, session_factory
from obligations.models import EvidenceRecord, Task
from obligations.timeutil import LOCAL_TZ

NOW = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)  # 1 December in Asia/Shanghai


@pytest.fixture(autouse=True)
def frozen_clock() -> Iterator[None]:
    with freeze_time(NOW, tick=True, ignore=["_pytest"]):
        yield


@dataclass
class Deployment:
    data_dir: Path
    database_url: str

    def run(self, *args: str | Path) -> Result:
        env = {"OBLIGATIONS_DATABASE_URL": self.database_url, "OBLIGATIONS_USER": "组织员"}
        result = CliRunner(env=env).invoke(cli, ["--data-dir", str(self.data_dir), *map(str, args)])
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result

    def records(self) -> int:
        engine = make_engine(self.database_url)
        try:
            with session_factory(engine)() as session:
                return session.scalar(select(func.count()).select_from(EvidenceRecord)) or 0
        finally:
            engine.dispose()

    def done_on(self, task_id: int) -> object:
        engine = make_engine(self.database_url)
        try:
            with session_factory(engine)() as session:
                return session.scalar(select(Task.done_on).where(Task.id == task_id))
        finally:
            engine.dispose()

    def stored_objects(self) -> list[Path]:
        evidence = self.data_dir / "evidence"
        return [p for p in evidence.rglob("*") if p.is_file()] if evidence.exists() else []


def _deploy(url: str, folder: Path) -> Deployment:
    deployment = Deployment(folder / "data", url)
    assert deployment.run("init", "--demo").exit_code == 0
    return deployment


@pytest.fixture
def deployment(database_url: str, tmp_path: Path) -> Deployment:
    return _deploy(database_url, tmp_path)


@pytest.fixture
def sqlite_deployment(sqlite_url: str, tmp_path: Path) -> Deployment:
    return _deploy(sqlite_url, tmp_path)


def year_folder(root: Path) -> Path:
    """Four files of U01: minutes of a theme party day, the central group's minutes as a PDF,
    a sign-in sheet, and a photo that names nothing."""
    folder = root / "2026台账材料"
    (folder / "3月").mkdir(parents=True)
    (folder / "3月" / "主题党日记录.docx").write_bytes(
        docx_bytes(
            ["机电工程学院教工第一党支部主题党日活动记录", "时间：2026年3月12日", "实到 14 人"]
        )
    )
    (folder / "2026.4.8 中心组学习.pdf").write_bytes(
        pdf_bytes(["中心组理论学习记录", "时间：2026年4月8日", "参会人数：9"])
    )
    (folder / "学生第一党支部支委会签到表20260520.xlsx").write_bytes(
        sign_in_sheet("支部委员会会议签到表", ["张三", "李四", "王五", "赵六", "钱七"])
    )
    (folder / "IMG_0423.jpg").write_bytes(jpeg_bytes(datetime(2026, 4, 23, 10, 0, tzinfo=LOCAL_TZ)))
    return folder


def proposals(deployment: Deployment, *args: str | Path) -> dict[str, dict[str, object]]:
    result = deployment.run("evidence", "intake", *args, "--unit", "U01", "--json")
    assert result.exit_code == 0, result.output
    return {p["file"]: p for p in json.loads(result.stdout)}


def test_json_gives_each_file_its_task_period_date_confidence_and_reasons(
    sqlite_deployment: Deployment, tmp_path: Path
) -> None:
    found = proposals(sqlite_deployment, year_folder(tmp_path))
    assert set(found) == {"3月/主题党日记录.docx", "2026.4.8 中心组学习.pdf",
                          "学生第一党支部支委会签到表20260520.xlsx", "IMG_0423.jpg"}  # fmt: skip
    theme = found["3月/主题党日记录.docx"]
    assert {k: theme[k] for k in ("rule_id", "branch_code", "period_key", "held_on")} == {
        "rule_id": "theme-party-day", "branch_code": "U01-B01", "period_key": "2026-03",
        "held_on": "2026-03-12",
    }  # fmt: skip
    assert isinstance(theme["task_id"], int) and theme["confidence"] >= 0.9
    assert {"file", "task_id", "rule_id", "branch_code", "period_key", "held_on",
            "confidence", "reasons"} <= set(theme)  # fmt: skip
    sign_in = found["学生第一党支部支委会签到表20260520.xlsx"]
    assert (sign_in["rule_id"], sign_in["kind"], sign_in["participants"]) == (
        "branch-committee-meeting", "sign_in", 5,
    )  # fmt: skip
    photo = found["IMG_0423.jpg"]
    assert (photo["task_id"], photo["confidence"]) == (None, 0.0)
    assert photo["reasons"][0] == "未找到对应的规则"
    assert sqlite_deployment.records() == 0  # nothing recorded by proposing


def test_a_reviewed_sheet_records_the_confirmed_rows_and_their_tasks_are_done(
    deployment: Deployment, tmp_path: Path
) -> None:
    folder = year_folder(tmp_path)
    sheet = tmp_path / "建议.xlsx"
    made = deployment.run("evidence", "intake", folder, "--unit", "U01", "-o", sheet)
    assert made.exit_code == 0, made.output
    assert "已保存建议表" in made.output and deployment.records() == 0
    import openpyxl

    workbook = openpyxl.load_workbook(sheet)
    rows = workbook.active
    assert rows is not None
    header = [c.value for c in rows[1]]
    confirmed = {rows.cell(r, 2).value: rows.cell(r, 1).value for r in range(2, rows.max_row + 1)}
    assert confirmed["IMG_0423.jpg"] is None and confirmed["3月/主题党日记录.docx"] == "是"
    task_ids = [rows.cell(r, header.index("任务编号") + 1).value for r in range(2, rows.max_row + 1)
                if rows.cell(r, 1).value == "是"]  # fmt: skip
    workbook.save(sheet)
    applied = deployment.run("evidence", "intake", "--apply", sheet)
    assert applied.exit_code == 0, applied.output
    assert "共登记 3 个文件，未登记 0 个" in applied.output
    assert deployment.records() == 3
    assert all(deployment.done_on(int(t)) is not None for t in task_ids)
    again = proposals(deployment, folder)
    assert again["3月/主题党日记录.docx"]["duplicate"].startswith("已登记材料（编号 ")
    reapplied = deployment.run("evidence", "intake", "--apply", sheet)
    assert reapplied.exit_code == 1 and deployment.records() == 3
    assert "不重复登记" in reapplied.output


def test_accept_above_records_only_the_confident_proposals(
    sqlite_deployment: Deployment, tmp_path: Path
) -> None:
    folder = year_folder(tmp_path)
    (folder / "副本").mkdir()
    (folder / "副本" / "主题党日记录.docx").write_bytes(
        (folder / "3月" / "主题党日记录.docx").read_bytes()
    )
    result = sqlite_deployment.run(
        "evidence", "intake", folder, "--unit", "U01", "--accept-above", "0.9"
    )
    assert result.exit_code == 0, result.output
    assert "内容与本批文件“3月/主题党日记录.docx”相同，不会重复登记" in result.output
    assert "共登记 3 个文件，未登记 0 个" in result.output
    assert sqlite_deployment.records() == 3


def test_a_csv_sheet_neutralises_formula_like_titles_and_reads_them_back(
    sqlite_deployment: Deployment, tmp_path: Path
) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "2026-03-18 中心组学习.docx").write_bytes(docx_bytes(["=HYPERLINK(1) 中心组学习"]))
    sheet = tmp_path / "建议.csv"
    assert (
        sqlite_deployment.run("evidence", "intake", folder, "--unit", "U01", "-o", sheet).exit_code
        == 0
    )
    (row,) = list(csv.DictReader(io.StringIO(sheet.read_text(encoding="utf-8-sig"))))
    assert row["标题"] == "'=HYPERLINK(1) 中心组学习" and row["确认"] == "是"
    assert sqlite_deployment.run("evidence", "intake", "--apply", sheet).exit_code == 0
    listed = json.loads(sqlite_deployment.run("evidence", "list", "--json").stdout)
    assert [r["title"] for r in listed] == ["=HYPERLINK(1) 中心组学习"]


def test_bad_input_is_refused_in_chinese_with_exit_2(
    sqlite_deployment: Deployment, tmp_path: Path
) -> None:
    folder = year_folder(tmp_path)
    cases = [
        (("evidence", "intake", folder), "请给出文件夹或 .zip 压缩包，以及 --unit"),
        (("evidence", "intake", folder, "--unit", "U99"), "没有编号为 U99 的单位"),
        (
            ("evidence", "intake", folder, "--unit", "U01", "--branch", "U02-B01"),
            "支部 U02-B01 不属于 U01",
        ),
        (("evidence", "intake", tmp_path / "无.zip", "--unit", "U01"), "找不到"),
        (("evidence", "intake", folder / "IMG_0423.jpg", "--unit", "U01"), "不是 ZIP 压缩包"),
        (
            ("evidence", "intake", folder, "--unit", "U01", "-o", tmp_path / "x.txt"),
            "只能保存为 .csv 或 .xlsx",
        ),
    ]
    for args, message in cases:
        result = sqlite_deployment.run(*args)
        assert (result.exit_code, message in result.output) == (2, True), result.output


def _zip(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in entries:
            archive.writestr(info, data)
    return path


def _symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def test_hostile_archives_are_refused_whole_with_nothing_stored(
    deployment: Deployment, tmp_path: Path
) -> None:
    good = ("2026-03-18 中心组学习.docx", docx_bytes(["中心组理论学习"]))
    hostile = {
        "穿越.zip": ("指向压缩包之外", [good, ("../../etc/2026-03-19 中心组学习.docx", good[1])]),
        "绝对.zip": ("是绝对路径", [good, ("/tmp/2026-03-19 中心组学习.docx", good[1])]),
        "盘符.zip": ("是绝对路径", [good, ("C:\\2026-03-19 中心组学习.docx", good[1])]),
        "链接.zip": (
            "是符号链接",
            [good, (_symlink("2026-03-19 中心组学习.docx"), b"/etc/passwd")],
        ),
        "长名.zip": ("名称过长", [good, ("中" * 86 + ".docx", good[1])]),
        "炸弹.zip": (
            "疑似压缩炸弹",
            [good, ("2026-03-19 中心组学习.docx", b"\0" * 60 * 1024 * 1024)],
        ),
    }
    for name, (why, entries) in hostile.items():
        archive = _zip(tmp_path / name, entries)  # type: ignore[arg-type]
        result = deployment.run(
            "evidence", "intake", archive, "--unit", "U01", "--accept-above", "0"
        )
        assert result.exit_code == 2, (name, result.output)
        assert why in result.output and "已拒绝整个压缩包" in result.output, result.output
    assert deployment.records() == 0 and deployment.stored_objects() == []
    fine = _zip(tmp_path / "正常.zip", [good])
    accepted = deployment.run("evidence", "intake", fine, "--unit", "U01", "--accept-above", "0.9")
    assert accepted.exit_code == 0, accepted.output
    assert deployment.records() == 1
