"""The overview's table (each unit's standing, :mod:`obligations.tasks.ranking`) as an XLSX
workbook, printed as the college prints its tables (A4 landscape, one page wide, the column
headers repeated on every page)."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook  # type: ignore[import-untyped, unused-ignore]
from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped, unused-ignore]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped, unused-ignore]

from obligations.ledger.render_xlsx import print_a4_landscape
from obligations.spreadsheet import neutralise_workbook
from obligations.tasks.ranking import Direction, SortKey, Standing

SHEET_TITLE = "各单位完成情况"
HEADER_ROW = 3
# (header, width in Excel units)
COLUMNS = (
    ("排名", 6.0),
    ("单位编号", 10.0),
    ("单位名称", 28.0),
    ("截至昨日应完成", 12.0),
    ("按时完成", 9.0),
    ("逾期完成", 9.0),
    ("逾期未完成", 10.0),
    ("按时率", 9.0),
    ("完成率", 9.0),
    ("即将到期", 9.0),
)
PERCENT = "0.0%"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _row(standing: Standing) -> list[object]:
    outcomes = standing.so_far
    return [
        standing.rank,  # None: an empty cell (nothing due yet)
        standing.code,
        standing.name,
        outcomes.due,
        outcomes.on_time,
        outcomes.late,
        outcomes.missed,
        outcomes.on_time_rate,
        outcomes.completion_rate,
        standing.due_soon,
    ]


def overview_workbook(
    standings: list[Standing], *, year: int, today: date, sorted_by: tuple[SortKey, Direction]
) -> bytes:
    """The workbook's bytes: a title, a line saying what is counted and in which order, the
    header row and a row per unit in the order of ``standings``. Shares are numbers in
    percent format; unit codes and names (imported text) are neutralised
    (:func:`obligations.spreadsheet.neutralise_workbook`)."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_TITLE
    key, direction = sorted_by
    order = "升序" if direction is Direction.ASC else "降序"
    sheet.append([f"{year}年度各单位完成情况"])
    sheet.append(
        [
            f"统计截至 {today.year}年{today.month}月{today.day}日："
            f"截止日期在 {year} 年内且已过的任务（不含已豁免、不再要求的任务）；"
            f"按“{key.label}”{order}排列。"
        ]
    )
    sheet.append([header for header, _ in COLUMNS])
    for standing in standings:
        sheet.append(_row(standing))
    sheet["A1"].font = Font(bold=True, size=14)
    for n, (_, width) in enumerate(COLUMNS, start=1):
        letter = get_column_letter(n)
        sheet.column_dimensions[letter].width = width
        header = sheet.cell(row=HEADER_ROW, column=n)
        header.font = Font(bold=True)
        header.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for row in sheet.iter_rows(min_row=HEADER_ROW + 1, min_col=8, max_col=9):
        for cell in row:
            cell.number_format = PERCENT
    sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 1, column=1)
    last = get_column_letter(len(COLUMNS))
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{last}{HEADER_ROW + len(standings)}"
    print_a4_landscape(sheet, HEADER_ROW)
    neutralise_workbook(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
