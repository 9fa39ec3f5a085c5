"""Benchmark: rendering year-end ledgers as Word and Excel.

A full synthetic ledger (all 30 items, long implementation and gap texts) for one unit, then
for 30 units. Baseline, measured in the same run: a table of the same size (31 rows x 5
columns, same texts) written with python-docx directly, no template and no styling.
Targets: one unit's DOCX and XLSX each within 1 s and within 3x the baseline; all 30 units
(DOCX and XLSX) within 30 s.

    python -m benchmarks.bench_ledger_render [--repeat 5] [--units 30]
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import statistics
import time
from collections.abc import Callable
from datetime import date

from docx import Document

from obligations.ledger.document import LedgerDocument, Verdict, empty_document
from obligations.ledger.render_docx import render_docx
from obligations.ledger.render_xlsx import render_xlsx
from obligations.paths import shipped_dir
from obligations.rules.catalog import load_catalog

FILLED_ON = date(2026, 12, 20)
PARAGRAPH = (
    "本年度严格按照标准要求组织实施，{n}月召开专题会议研究部署，形成会议纪要和签到表，"
    "相关佐证材料已上传系统并经组织部审核通过；支部书记带头落实，党员参与率达到96%以上。"
)
GAPS = "部分支部记录不够规范，佐证材料归档不及时。措施：建立每月归档提醒，由组织员逐项核对。"


def synthetic_document(unit: int) -> LedgerDocument:
    catalog = load_catalog([shipped_dir("calendar_rules")])
    skeleton = empty_document(
        catalog.ledger,
        school_name="安徽职业技术学院",
        unit_name=f"第{unit + 1}党总支",
        filled_on=FILLED_ON,
        period_label="2026年度",
    )
    verdicts = (Verdict.MET, Verdict.NOT_MET, Verdict.PENDING)
    rows = [
        dataclasses.replace(
            row,
            # about 330 characters in three paragraphs: a long, realistic entry
            implementation="\n".join(PARAGRAPH.format(n=(index + k) % 12 + 1) for k in range(3)),
            verdict=verdicts[index % 3],
            gaps=GAPS,
        )
        for index, row in enumerate(skeleton.rows)
    ]
    return dataclasses.replace(skeleton, rows=rows)


def baseline_docx(document: LedgerDocument) -> bytes:
    """The same 31 x 5 table written cell by cell with python-docx, saved to memory."""
    word = Document()
    table = word.add_table(rows=len(document.rows) + 1, cols=5)
    for cell, title in zip(table.rows[0].cells, document.columns, strict=True):
        cell.text = title
    for row, item in zip(table.rows[1:], document.rows, strict=True):
        values = (
            item.section_name,
            f"{item.item_name}\n{item.standard_text}",
            item.implementation,
            item.verdict.value,
            item.gaps,
        )
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def timed(render: Callable[[LedgerDocument], bytes], document: LedgerDocument) -> float:
    started = time.perf_counter()
    render(document)
    return time.perf_counter() - started


def median_of(
    repeat: int, render: Callable[[LedgerDocument], bytes], document: LedgerDocument
) -> float:
    return statistics.median(timed(render, document) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--units", type=int, default=30)
    args = parser.parse_args()
    documents = [synthetic_document(unit) for unit in range(args.units)]
    one = documents[0]
    render_docx(one)  # warm up: imports, the template's first read
    render_xlsx(one)
    baseline_docx(one)
    base = median_of(args.repeat, baseline_docx, one)
    docx = median_of(args.repeat, render_docx, one)
    xlsx = median_of(args.repeat, render_xlsx, one)
    started = time.perf_counter()
    for document in documents:
        render_docx(document)
        render_xlsx(document)
    every_unit = time.perf_counter() - started
    characters = sum(len(r.implementation) + len(r.gaps) for r in one.rows)
    print(f"one unit: {len(one.rows)} items, {characters} characters reported")
    print(f"baseline python-docx table:  {base:.3f} s")
    target = "target <= 1 s and <= 3x"
    print(f"DOCX (docxtpl template):     {docx:.3f} s  ({docx / base:.2f}x baseline; {target})")
    print(f"XLSX (openpyxl):             {xlsx:.3f} s  ({xlsx / base:.2f}x baseline; {target})")
    print(f"{args.units} units, DOCX + XLSX:     {every_unit:.3f} s  (target <= 30 s)")


if __name__ == "__main__":
    main()
