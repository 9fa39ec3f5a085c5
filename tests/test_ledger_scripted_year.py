"""The scripted year of tests/scripted_year.py read as the organization department reads it: the
Word ledger's text item by item (verdicts, the gaps named, the unit's own activities told by
their topics and attendance, no label said over and over, every cell within its budget),
and the evidence catalogue's 序号 cited alike by every download and by the bundle."""

from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from sqlalchemy.orm import Session, sessionmaker
from tests.helpers import shipped_catalog
from tests.ledger_scenarios import MISSING_WORDS
from tests.scripted_year import TODAY, UNIT, YEAR, build_scripted_year

from obligations.evidence.storage import LocalBlobStore
from obligations.ledger.bundle import INDEX_NAME, bundle_root, write_bundle
from obligations.ledger.items import CELL_BUDGET, GAPS_BUDGET
from obligations.ledger.period import calendar_year
from obligations.ledger.render_docx import render_docx
from obligations.ledger.render_xlsx import FIRST_ITEM_ROW, render_xlsx
from obligations.ledger.service import ComposedLedger, compose_unit_ledger

Row = tuple[str, str, str]  # 落实情况, 是否达标, 存在的主要差距及措施

VERDICTS = {
    **dict.fromkeys(["1.1", "1.2", "1.3", "1.4", "2.1", "2.2", "2.3", "3.1", "3.4", "3.5"], "达标"),
    **dict.fromkeys(["4.1", "4.2", "5.2", "5.3", "5.4", "6.1", "6.3"], "达标"),
    **dict.fromkeys(["7.1", "7.2", "7.3", "7.4"], "达标"),
    "2.4": "未达标",  # March's study missing
    "4.3": "未达标",  # two committee meetings and a party lecture missing
    "3.2": "待补充",  # subscription rates not entered
    "3.3": "待补充",  # July's disclosure not yet reviewed
    "3.6": "待补充",  # two of the three expected kinds of evidence absent
    "4.4": "待补充",  # nothing on file
    "5.1": "待补充",  # November's study not yet reviewed
    "6.2": "待补充",  # a narrative alone
    "6.4": "待补充",  # a record without its file
}
GAPS = {
    "2.4": "班子成员集中培训：材料逾期登记1次：陈明2026年度（截止12月31日，2027年1月5日登记）\n"
    "中心组理论学习：3月未开展\n"
    "中心组理论学习：材料逾期登记1次：5月（截止5月29日，6月20日登记）\n"
    "措施：4月已补学；今后由党总支办公室每月初排定学习安排。",
    "3.2": "班子成员集中培训：见第2.4项\n"
    "党员微信订阅率：尚未填报党员微信订阅率，无法核对（标准不低于60%）\n"
    "党组织负责人微信订阅率：尚未填报党组织负责人微信订阅率，无法核对（标准不低于100%）",
    "3.3": "党费收缴情况公布：7月材料待审核",
    "3.6": "尚未登记佐证材料：走访慰问记录、党内表彰材料",
    "4.3": "支部委员会会议：学生第一党支部7月、8月未开展\n"
    "主题党日（党员活动日）：学生第一党支部6月材料已退回（原因：照片与记录不符），待重新提交\n"
    "班子成员讲党课：刘洋2026年度未完成\n"
    "（整改措施待填写）",
    "4.4": "尚未登记佐证材料：微党课、网上组织生活等创新形式记录",
    "5.1": "教职工政治学习：11月材料待审核",
    "6.2": "尚未登记佐证材料：班子分工文件、党政领导沟通记录",
    "6.4": "《结对帮扶工作情况》未附佐证材料，待补交",
}
# What the department reads about the unit's own meetings: topics, attendance, proof.
OWN_ACTIVITIES = {
    "2.4": "中心组理论学习：应开展12次，实际开展11次（3月未开展），"
    "主题包括学习贯彻党的二十届三中全会精神、学习《中国共产党纪律处分条例》、"
    "深入学习习近平新时代中国特色社会主义思想等，平均参加9人（目录第12—44项）",
    "4.1": "班子成员民主生活会：应开展1次，实际开展1次（12月16日），"
    "主题为严守政治纪律和政治规矩，参加7人（目录第57项）",
    "5.1": "教职工政治学习：应开展11次，实际开展11次（1—7月、9—12月），"
    "主题包括新学期师德师风教育、学习全国两会精神、学习《新时代高校教师职业行为十项准则》等，"
    "平均参加42人，其中1次材料待审核（目录第160—181项）；8月已豁免（暑假）",
}
PEOPLE = ("张慧敏", "李建国", "王芳", "陈明", "刘洋", "孙志远", "赵强", "周红", "吴磊")
BRANCHES = ("教工党支部", "学生第一党支部", "机电工程学院党总支")
# Labels a cell might repeat: dates, months, periods, people, branches, the rules' titles.
LABELS = re.compile(
    "|".join(
        [
            r"(?:\d{4}年)?\d{1,2}月\d{1,2}日",
            r"\d{4}-\d{4}学年第.学期",
            r"\d{4}年度",
            r"(?<![\d—])\d{1,2}月(?!\d)",
            *PEOPLE,
            *BRANCHES,
            *sorted({re.escape(r.rule.title) for r in shipped_catalog().rules}, key=len)[::-1],
        ]
    )
)
CITATION = re.compile(r"目录第([\d、—]+)项")


@pytest.fixture(autouse=True)
def no_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    """The year stores some 200 files; what these tests read is the ledger's text, not the
    store's durability (tested in test_storage.py), so its fsyncs are skipped."""
    monkeypatch.setattr(os, "fsync", lambda _fd: None)


def compose(session: Session) -> ComposedLedger:
    return compose_unit_ledger(
        session, shipped_catalog(), unit_code=UNIT, period=calendar_year(YEAR), today=TODAY
    )


def word_cells(docx: bytes) -> dict[str, Row]:
    """落实情况, 是否达标 and 差距 of each item, read back from the Word table."""
    table = Document(io.BytesIO(docx)).tables[0]
    rows = [[cell.text for cell in row.cells][-3:] for row in table.rows[1:]]
    items = [item.id for item in shipped_catalog().items]
    return {item: (r[0], r[1], r[2]) for item, r in zip(items, rows, strict=True)}


def cited_numbers(text: str) -> set[int]:
    """Every 序号 a text cites: 目录第12—14、20项 gives 12, 13, 14 and 20."""
    numbers: set[int] = set()
    for match in CITATION.finditer(text):
        for part in match[1].split("、"):
            first, _, last = part.partition("—")
            numbers.update(range(int(first), int(last or first) + 1))
    return numbers


def repeated(text: str) -> dict[str, int]:
    """Labels said more than twice in ``text``."""
    counts = Counter(LABELS.findall(text))
    return {label: n for label, n in counts.items() if n > 2}


def test_the_scripted_years_word_ledger_reads_item_by_item_as_the_department_expects(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    with sessions.begin() as session:
        build_scripted_year(session, LocalBlobStore(tmp_path / "blobs"))
    with sessions() as session:
        cells = word_cells(render_docx(compose(session).document))
    assert {item: verdict for item, (_, verdict, _) in cells.items()} == VERDICTS
    assert {item: gaps for item, (_, _, gaps) in cells.items() if gaps} == GAPS
    for item, line in OWN_ACTIVITIES.items():
        assert line in cells[item][0].splitlines(), item
    # The standing record without a file is listed as such, never as proof on file.
    assert cells["6.4"][0].endswith("、《结对帮扶工作情况》（9月16日，未附文件）")
    # A term running at the year's end is the current one, its start said once.
    assert cells["2.2"][0] == (
        "本届任期自2024年6月1日起，4年，2028年6月1日届满\n"
        "班子任期届满换届：本届任期进行中（至2028年6月1日）"
    )
    # The returned 主题党日 was held: reported as returned, never as not held.
    assert "主题党日（党员活动日）：学生第一党支部6月未开展" not in cells["4.3"][2]
    met_yet_missing = {
        item: gaps
        for item, (_, verdict, gaps) in cells.items()
        if verdict == "达标" and any(word in gaps for word in MISSING_WORDS)
    }
    assert met_yet_missing == {}
    over_budget = {
        item: (len(text), len(gaps))
        for item, (text, _, gaps) in cells.items()
        if len(text) > CELL_BUDGET or len(gaps) > GAPS_BUDGET
    }
    assert over_budget == {}
    assert (CELL_BUDGET, GAPS_BUDGET) == (200, 250)
    said_over = {
        (item, column): repeated(text)
        for item, row in cells.items()
        for column, text in zip(("落实情况", "差距"), (row[0], row[2]), strict=True)
        if repeated(text)
    }
    assert said_over == {}


def test_every_download_cites_the_catalogue_rows_the_bundle_numbers(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    with sessions.begin() as session:
        build_scripted_year(session, store)
    with sessions() as session:  # a download, composed on its own
        download = compose(session).document
    with sessions() as session:  # the bundle, composed again
        bundled = compose(session)
        buffer = io.BytesIO()
        write_bundle(buffer, bundled, shipped_catalog(), store, docx=b"docx")
    root = bundle_root(bundled)
    text = zipfile.ZipFile(buffer).read(f"{root}/{INDEX_NAME}.csv").decode("utf-8-sig")
    catalogue = {int(row["序号"]): row for row in csv.DictReader(io.StringIO(text))}
    assert sorted(catalogue) == list(range(1, len(catalogue) + 1))

    word = word_cells(render_docx(download))
    sheet = openpyxl.load_workbook(io.BytesIO(render_xlsx(download))).active
    assert sheet is not None
    items = [item.id for item in shipped_catalog().items]
    excel = {
        item: str(sheet.cell(FIRST_ITEM_ROW + n, 4).value or "") for n, item in enumerate(items)
    }
    cited_anywhere: set[int] = set()
    for item, (implementation, _, _) in word.items():
        numbers = cited_numbers(implementation)
        assert cited_numbers(excel[item]) == numbers, item
        wrong = {n for n in numbers if catalogue[n]["条目"] != item}
        assert wrong == set(), item
        cited_anywhere |= numbers
    assert cited_anywhere == set(catalogue)  # every file of the bundle is cited by its item
    study = next(line for line in word["2.4"][0].splitlines() if line.startswith("中心组理论学习"))
    tasks = {catalogue[n]["所属任务"].split("（")[0] for n in cited_numbers(study)}
    assert tasks == {"中心组理论学习"}
