"""The college summary as Excel (a ranked table and a bar chart of on-time shares) and as PDF
(that workbook printed by LibreOffice with its own page setup: A4 landscape, one page wide,
the column headers repeated, page numbers in the footer)."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook  # type: ignore[import-untyped, unused-ignore]
from openpyxl.chart import BarChart, Reference  # type: ignore[import-untyped, unused-ignore]
from openpyxl.styles import (  # type: ignore[import-untyped, unused-ignore]
    Alignment,
    Border,
    Font,
    Side,
)
from openpyxl.worksheet.worksheet import Worksheet  # type: ignore[import-untyped, unused-ignore]

from obligations.ledger.render_pdf import office_to_pdf
from obligations.ledger.render_xlsx import print_a4_landscape
from obligations.ledger.summary import CollegeSummary, UnitStanding
from obligations.spreadsheet import neutralise_workbook

SHEET_TITLE = "汇总"
# (header, width in Excel units)
COLUMNS = (
    ("名次", 6.0),
    ("单位编号", 9.0),
    ("单位名称", 28.0),
    ("应完成任务数", 9.0),
    ("按时完成率", 10.0),
    ("逾期完成率", 10.0),
    ("未完成率", 10.0),
    ("达标条目", 9.0),
    ("未达标条目", 9.0),
    ("待补充条目", 9.0),
    ("未达标条目明细", 40.0),
)
HEADER_ROW = 2
FIRST_UNIT_ROW = 3
ON_TIME_COLUMN = 5  # E, the chart's values
PERCENT_FORMAT = '0.0"%"'
CHART_TITLE = "各单位任务按时完成率（%）"

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


def summary_xlsx(summary: CollegeSummary) -> bytes:
    """The summary as .xlsx bytes: title (row 1), headers (row 2), one row per unit in rank
    order, a 合计 row, then the chart below the table."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = SHEET_TITLE
    _write_table(sheet, summary)
    if summary.standings:
        _add_chart(sheet, len(summary.standings))
    _set_page(sheet)
    neutralise_workbook(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def summary_pdf(summary: CollegeSummary, *, scratch: Path | None = None) -> bytes:
    """The summary workbook as PDF bytes (LibreOffice; working files in ``scratch``). Raises
    :class:`~obligations.ledger.errors.LedgerRenderError` when no PDF can be made."""
    return office_to_pdf(summary_xlsx(summary), "xlsx", scratch=scratch)


def unit_values(standing: UnitStanding) -> list[object]:
    """A unit's (or the 合计 row's) cells in :data:`COLUMNS` order; a share is a number of
    percent (85.0), or "—" when no task was due."""
    outcomes = standing.outcomes
    return [
        standing.rank or "",
        standing.unit_code,
        standing.unit_name,
        outcomes.due,
        *(_percent(value) for value in _shares(standing)),
        standing.met,
        standing.not_met,
        standing.pending,
        "、".join(standing.failing),
    ]


def _shares(standing: UnitStanding) -> tuple[Decimal | None, ...]:
    o = standing.outcomes
    return (o.on_time_share, o.late_share, o.missed_share)


def _percent(value: Decimal | None) -> object:
    return float(value) if value is not None else "—"


def _write_table(sheet: Worksheet, summary: CollegeSummary) -> None:
    last_column = len(COLUMNS)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=last_column)
    sheet["A1"] = summary.title
    sheet["A1"].font = Font(name="黑体", size=14, bold=True)
    sheet["A1"].alignment = Alignment(horizontal="center", vertical="center")
    sheet.row_dimensions[1].height = 28
    sheet.append([header for header, _ in COLUMNS])
    header_font = Font(name="黑体", size=10.5, bold=True)
    for cell in sheet[HEADER_ROW]:
        cell.font, cell.border = header_font, _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.row_dimensions[HEADER_ROW].height = 30
    for standing in (*summary.standings, summary.total):
        sheet.append(unit_values(standing))
    body = Font(name="宋体", size=10.5)
    for row in sheet.iter_rows(min_row=FIRST_UNIT_ROW, max_row=sheet.max_row):
        for cell in row:
            cell.font, cell.border = body, _BORDER
            wide = cell.column in (3, last_column)
            cell.alignment = Alignment(
                horizontal="left" if wide else "center", vertical="center", wrap_text=True
            )
            if ON_TIME_COLUMN <= cell.column < ON_TIME_COLUMN + 3:
                cell.number_format = PERCENT_FORMAT
    for index, (_, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[
            sheet.cell(row=HEADER_ROW, column=index).column_letter
        ].width = width
    sheet.freeze_panes = f"A{FIRST_UNIT_ROW}"


def _add_chart(sheet: Worksheet, units: int) -> None:
    """Horizontal bars of the units' on-time shares (0-100 %), in rank order top down."""
    last = FIRST_UNIT_ROW + units - 1
    chart = BarChart()
    chart.type = "bar"
    chart.style = 10
    chart.title = CHART_TITLE
    chart.legend = None
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 100
    chart.y_axis.majorUnit = 20
    chart.y_axis.numFmt = "0"
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    chart.x_axis.scaling.orientation = "maxMin"  # the first ranked unit on top
    values = Reference(sheet, min_col=ON_TIME_COLUMN, min_row=FIRST_UNIT_ROW, max_row=last)
    names = Reference(sheet, min_col=3, min_row=FIRST_UNIT_ROW, max_row=last)
    chart.add_data(values, titles_from_data=False)
    chart.set_categories(names)
    chart.width = 26.0  # cm
    chart.height = max(7.0, 0.7 * units + 3)
    sheet.add_chart(chart, f"A{last + 3}")


def _set_page(sheet: Worksheet) -> None:
    print_a4_landscape(sheet, HEADER_ROW)
