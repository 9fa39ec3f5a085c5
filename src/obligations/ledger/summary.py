"""The college summary: one row per unit with items met / not met and overdue counts (XLSX)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook  # type: ignore[import-untyped, unused-ignore]
from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped, unused-ignore]

from obligations.ledger.document import Verdict
from obligations.ledger.service import ComposedLedger
from obligations.spreadsheet import neutralise_workbook

SUMMARY_COLUMNS = (
    "序号",
    "单位编号",
    "单位名称",
    "达标条目",
    "未达标条目",
    "待补充条目",
    "逾期未完成任务",
    "逾期完成任务",
    "未达标条目明细",
)


def summary_rows(ledgers: Sequence[ComposedLedger]) -> list[list[object]]:
    rows: list[list[object]] = []
    for number, ledger in enumerate(ledgers, start=1):
        failing = [
            f"{row.item_id}{row.item_name}"
            for row in ledger.document.rows
            if row.verdict is Verdict.NOT_MET
        ]
        rows.append(
            [
                number,
                ledger.unit_code,
                ledger.unit_name,
                ledger.count(Verdict.MET),
                ledger.count(Verdict.NOT_MET),
                ledger.count(Verdict.PENDING),
                ledger.overdue,
                ledger.late,
                "、".join(failing),
            ]
        )
    return rows


def summary_xlsx(ledgers: Sequence[ComposedLedger], *, title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = "汇总"
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(SUMMARY_COLUMNS))
    sheet["A1"] = title
    sheet["A1"].font = Font(name="黑体", size=14, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append(list(SUMMARY_COLUMNS))
    for cell in sheet[2]:
        cell.font = Font(name="黑体", bold=True)
    rows = summary_rows(ledgers)
    for row in rows:
        sheet.append(row)
    totals = [
        sum(ledger.count(Verdict.MET) for ledger in ledgers),
        sum(ledger.count(Verdict.NOT_MET) for ledger in ledgers),
        sum(ledger.count(Verdict.PENDING) for ledger in ledgers),
        sum(ledger.overdue for ledger in ledgers),
        sum(ledger.late for ledger in ledgers),
    ]
    sheet.append(["", "", "合计", *totals, ""])
    for column, width in zip("ABCDEFGHI", (6, 10, 30, 10, 10, 10, 14, 12, 60), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A3"
    neutralise_workbook(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
