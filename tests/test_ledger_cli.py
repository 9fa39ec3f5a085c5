"""`obligations ledger ...` end to end: files written, notes and figures, errors, PDF."""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result
from docx import Document
from sqlalchemy import select
from tests.helpers import shipped_catalog
from tests.ledger_scenarios import build_unit, fill_year, tasks_due
from tests.storage_samples import PDF, png

from obligations.cli.main import cli
from obligations.db import make_engine, session_factory
from obligations.evidence.storage import LocalBlobStore, UploadLimits
from obligations.ledger.render_xlsx import FIRST_ITEM_ROW
from obligations.models import EvidenceRecord, Task
from obligations.settings import Settings
from obligations.tasks.state import refresh_done_on

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "ledger"
YEAR_ARGS = ("--year", "2026", "--today", "2027-01-10")


@dataclass
class Deployment:
    data_dir: Path
    database_url: str

    def run(self, *args: str) -> Result:
        env = {"OBLIGATIONS_DATABASE_URL": self.database_url, "OBLIGATIONS_USER": "组织员"}
        result = CliRunner(env=env).invoke(cli, ["--data-dir", str(self.data_dir), *args])
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result


def deploy(url: str, folder: Path) -> Deployment:
    """A unit with the whole of 2026 recorded except May's central group study."""
    engine = make_engine(url)
    with session_factory(engine).begin() as session:
        unit = build_unit(session)
        may = next(
            t for t in tasks_due(session, unit, "central-group-study") if t.period_key == "2026-05"
        )
        # One stored file behind every record, so that the bundle finds what it packs.
        fill_year(session, unit, skip={may.id}, files=1, blob=_stored_pdf(folder / "data"))
    engine.dispose()
    return Deployment(folder / "data", url)


def _stored_pdf(data_dir: Path) -> tuple[str, int]:
    """A PDF in the data directory's evidence store: its digest and size."""
    writer = LocalBlobStore(Settings(data_dir=data_dir).evidence_dir).begin(
        limits=UploadLimits(), filename="记录.pdf"
    )
    writer.write(PDF)
    blob = writer.commit()
    writer.release()
    return blob.sha256, blob.size


@pytest.fixture
def deployment(database_url: str, tmp_path: Path) -> Deployment:
    return deploy(database_url, tmp_path)


@pytest.fixture
def sqlite_deployment(sqlite_url: str, tmp_path: Path) -> Iterator[Deployment]:
    yield deploy(sqlite_url, tmp_path)


def word_items(path: Path) -> dict[str, list[str]]:
    rows = Document(str(path)).tables[0].rows[1:]
    ids = [item.id for item in shipped_catalog().items]
    return {item: [c.text for c in row.cells] for item, row in zip(ids, rows, strict=True)}


def test_ledger_writes_the_units_word_form_for_the_year(
    deployment: Deployment, tmp_path: Path
) -> None:
    target = tmp_path / "ledger.docx"
    result = deployment.run("ledger", "U10", *YEAR_ARGS, "-o", str(target))
    assert result.exit_code == 0, result.output
    assert f"已生成：{target}" in result.output
    items = word_items(target)
    assert items["2.4"][4:] == ["未达标", "中心组理论学习：5月未开展\n（整改措施待填写）"]
    assert items["5.1"][4] == "达标"


def test_the_xlsx_ledger_merges_each_section_over_its_items(
    deployment: Deployment, tmp_path: Path
) -> None:
    target = tmp_path / "ledger.xlsx"
    result = deployment.run("ledger", "U10", *YEAR_ARGS, "--format", "xlsx", "-o", str(target))
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(target).active
    assert sheet is not None
    merged = sorted(
        (r.min_row - FIRST_ITEM_ROW, r.max_row - FIRST_ITEM_ROW)
        for r in sheet.merged_cells.ranges
        if r.min_col == r.max_col == 1 and r.min_row >= FIRST_ITEM_ROW
    )
    assert merged == [(0, 3), (4, 7), (8, 13), (14, 17), (18, 21), (22, 25), (26, 29)]
    assert sheet.cell(row=FIRST_ITEM_ROW + 7, column=5).value == "未达标"  # 2.4
    assert (
        sheet.cell(row=FIRST_ITEM_ROW + 7, column=6).value
        == "中心组理论学习：5月未开展\n（整改措施待填写）"
    )


def test_notes_and_figures_written_by_the_cli_survive_regeneration(
    deployment: Deployment, tmp_path: Path
) -> None:
    notes = deployment.run(
        "ledger", "notes", "U10", "2.4", "--year", "2026",
        "--narrative", "全年落实中心组学习制度。", "--measures", "5月因迎评漏学，已于6月补学。",
    )  # fmt: skip
    assert notes.exit_code == 0, notes.output
    figures = deployment.run(
        "ledger", "figures", "U10", "--year", "2026",
        "--set", "activists=5", "--set", "development-targets=2",
    )  # fmt: skip
    assert figures.exit_code == 0, figures.output
    assert "入党积极分子人数" in figures.output and "5人" in figures.output
    regenerate = deployment.run("tasks", "generate", "--through", "2026-12-31", "--full")
    assert regenerate.exit_code == 0, regenerate.output
    target = tmp_path / "again.docx"
    assert deployment.run("ledger", "U10", *YEAR_ARGS, "-o", str(target)).exit_code == 0
    items = word_items(target)
    assert items["2.4"][3].endswith("全年落实中心组学习制度。")
    assert items["2.4"][5] == "中心组理论学习：5月未开展\n措施：5月因迎评漏学，已于6月补学。"
    assert items["3.1"][4:] == [
        "未达标",
        "入党积极分子与发展对象人数之比为2.5:1，未达到标准（不低于3:1）\n（整改措施待填写）",
    ]


def test_a_figure_can_point_to_its_evidence_record(deployment: Deployment, tmp_path: Path) -> None:
    engine = make_engine(deployment.database_url)
    with session_factory(engine)() as session:
        record = session.query(EvidenceRecord).filter_by(ledger_item="7.4", task_id=None).first()
        assert record is not None
        record_id, title = record.id, record.title
    engine.dispose()
    result = deployment.run(
        "ledger", "figures", "U10", "--year", "2026",
        "--set", "member-training-hours=40", "--evidence", f"member-training-hours={record_id}",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    target = tmp_path / "ledger.docx"
    assert deployment.run("ledger", "U10", *YEAR_ARGS, "-o", str(target)).exit_code == 0
    assert (
        f"党员年度集中学习培训学时：40学时（标准不低于32学时），佐证：《{title}》"
        in (word_items(target)["3.2"][3])
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ledger", "U99", "--year", "2026"), "没有编号为 U99 的党总支或直属党支部"),
        (("ledger", "U10"), "请用 --year 指定年度"),
        (("ledger", "U10", "--academic-year", "2025-2027"), "学年“2025-2027”格式有误"),
        (
            ("ledger", "U10", "--academic-year", "2025-2026", "--from", "2026-01-01"),
            "只能选一种",
        ),
        (("ledger", "U10", "--from", "2026-01-01"), "--from 与 --to 需同时填写"),
        (("ledger", "U10", "--all", "--year", "2026"), "二者选一"),
        (("ledger", "--all", "--year", "2026"), "-o 指定输出目录"),
        (("ledger", "notes", "U10", "9.9", "--year", "2026", "--measures", "x"), "没有条目 9.9"),
        (("ledger", "notes", "U10", "2.4", "--year", "2026"), "至少填写"),
        (("ledger", "figures", "U10", "--year", "2026", "--set", "ratio=3"), "没有名为 ratio"),
        (("ledger", "figures", "U10", "--year", "2026", "--set", "activists=abc"), "不是数字"),
        (("ledger", "figures", "U10", "--year", "2026", "--set", "activists=2.5"), "应为整数"),
        (
            ("ledger", "figures", "U10", "--year", "2026", "--set", "member-subscription-rate=120"),
            "不能超过100%",
        ),
        (("ledger", "figures", "U10", "--year", "2026", "--set", "activists"), "格式有误"),
    ],
)
def test_bad_input_is_refused_in_chinese_with_exit_status_2(
    deployment: Deployment, args: tuple[str, ...], message: str
) -> None:
    result = deployment.run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_all_units_get_a_ledger_and_the_college_a_summary(
    deployment: Deployment, tmp_path: Path
) -> None:
    engine = make_engine(deployment.database_url)
    with session_factory(engine).begin() as session:  # as the evidence service keeps it
        refresh_done_on(session, session.scalars(select(Task.id)).all())
    engine.dispose()
    out = tmp_path / "all"
    result = deployment.run("ledger", "--all", *YEAR_ARGS, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "U10-机电工程学院直属党支部台账（2026年度）.docx",
        "台账汇总（2026年度）.html",
        "台账汇总（2026年度）.pdf",
        "台账汇总（2026年度）.xlsx",
    ]
    sheet = openpyxl.load_workbook(out / "台账汇总（2026年度）.xlsx").active
    assert sheet is not None
    unit, total = ([c.value for c in row] for row in sheet.iter_rows(min_row=3, max_row=4))
    due = unit[3]
    assert unit[:3] == [1, "U10", "机电工程学院直属党支部"]
    assert unit[4:7] == [round(100 * (due - 1) / due, 1), 0, round(100 / due, 1)]  # May missed
    assert unit[7:] == [29, 1, 0, "2.4自身建设"]
    assert total[2:] == ["合计", *unit[3:10], None]
    html = (out / "台账汇总（2026年度）.html").read_text(encoding="utf-8")
    assert "机电工程学院直属党支部" in html and f"{unit[4]}%" in html


def test_without_libreoffice_all_units_still_get_their_ledgers_and_the_summary(
    deployment: Deployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "no-libreoffice"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    out = tmp_path / "all"
    result = deployment.run("ledger", "--all", *YEAR_ARGS, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "未生成汇总表 PDF" in result.output and "LibreOffice" in result.output
    assert sorted(p.suffix for p in out.iterdir()) == [".docx", ".html", ".xlsx"]


def test_the_bundle_option_writes_a_zip_with_the_ledger_and_index(
    deployment: Deployment, tmp_path: Path
) -> None:
    photo = tmp_path / "活动室.png"
    photo.write_bytes(png())
    added = deployment.run(
        "evidence", "add", str(photo), "--item", "7.2", "--unit", "U10", "--year", "2026",
        "--held-on", "2026-03-02", "--title", "党员活动室照片",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    target = tmp_path / "bundle.zip"
    result = deployment.run("ledger", "U10", *YEAR_ARGS, "--bundle", "-o", str(target))
    assert result.exit_code == 0, result.output
    names = zipfile.ZipFile(target).namelist()
    root = "U10-机电工程学院直属党支部-2026年度"
    assert f"{root}/佐证材料目录.xlsx" in names and f"{root}/佐证材料目录.csv" in names
    picture = f"{root}/7 基本工作保障/7.2 场所保障/2026-03-02 党员活动室照片-活动室.png"
    assert zipfile.ZipFile(target).read(picture) == photo.read_bytes()
    word = zipfile.ZipFile(target).read(f"{root}/U10-机电工程学院直属党支部台账（2026年度）.docx")
    assert Document(io.BytesIO(word)).tables[0].rows[8].cells[4].text == "未达标"  # 2.4


def test_the_pdf_ledger_shows_the_item_names(sqlite_deployment: Deployment) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / "composed-ledger.pdf"
    result = sqlite_deployment.run(
        "ledger", "U10", *YEAR_ARGS, "--format", "pdf", "-o", str(target)
    )
    assert result.exit_code == 0, result.output
    text = subprocess.run(
        ["pdftotext", str(target), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = re.sub(r"\s+", "", text)
    missing = [
        item.name
        for item in shipped_catalog().items
        if not any(
            item.name[:c] in flat and item.name[c:] in flat for c in range(1, len(item.name) + 1)
        )
    ]
    assert missing == []
    assert "中心组理论学习：5月未开展" in flat


def test_writing_the_ledger_into_a_missing_directory_says_so_in_chinese(
    sqlite_deployment: Deployment, tmp_path: Path
) -> None:
    target = tmp_path / "nonexistent" / "x.docx"
    result = sqlite_deployment.run("ledger", "U10", *YEAR_ARGS, "-o", str(target))
    assert result.exit_code == 1, result.output
    assert "目录或文件不存在" in result.output
    assert "No such file" not in result.output
