"""Render a ledger as Excel (.xlsx) with the Word form's layout.

Rows: 1 附件2, 2 title, 3 period, 4 header fields, 5 column headers (repeated on every printed
page), then one row per item. Columns A-F: 项目 (merged down each section), item name and
standard text (the header 具体标准 spans both), 落实情况, 是否达标, 存在的主要差距及措施.

Excel neither grows a row for wrapped text on opening nor allows one over 409 points, so each
item row is given the height its longest cell needs (lines estimated from the column widths,
a CJK character taking two width units and an ASCII one one) and a 落实情况 or 差距 text that
would need more than 409 points is cut at a sentence boundary with :data:`CUT_NOTE` appended,
citing the evidence catalogue's rows behind the item (（详见佐证材料目录第12—23项）, the
numbers the bundle's catalogue uses). The 是否达标 cells offer a drop-down of
the three verdicts (:class:`~obligations.ledger.document.Verdict`).
"""

from __future__ import annotations

import io
import math
import re

# openpyxl ships no type hints (types-openpyxl is not a dev dependency yet).
from openpyxl import Workbook  # type: ignore[import-untyped, unused-ignore]
from openpyxl.cell.cell import Cell  # type: ignore[import-untyped, unused-ignore]
from openpyxl.styles import (  # type: ignore[import-untyped, unused-ignore]
    Alignment,
    Border,
    Font,
    NamedStyle,
    Side,
)
from openpyxl.worksheet.datavalidation import (  # type: ignore[import-untyped, unused-ignore]
    DataValidation,
)
from openpyxl.worksheet.worksheet import Worksheet  # type: ignore[import-untyped, unused-ignore]

from obligations.ledger.document import (
    GAP_ANNEX,
    GAP_ANNEX_COLUMNS,
    LedgerDocument,
    LedgerRow,
    Verdict,
)
from obligations.ledger.text import cited
from obligations.spreadsheet import neutralise_workbook

BODY_FONT = "宋体"
TITLE_FONT = "黑体"
SHEET_TITLE = "台账"
# Excel column widths are in characters of the default font; a Chinese character takes ~2.
COLUMN_WIDTHS = {"A": 10.0, "B": 12.0, "C": 46.0, "D": 38.0, "E": 9.0, "F": 24.0}
HEADER_ROW = 5
FIRST_ITEM_ROW = HEADER_ROW + 1
# Points per wrapped line at 10.5 pt: Excel's 宋体 needs ~14, LibreOffice's Noto CJK ~15.2.
LINE_HEIGHT = 15.5
ROW_PADDING = 4.0  # points above and below the text
MAX_ROW_HEIGHT = 409.0  # Excel's limit for one row, in points
MAX_LINES = int((MAX_ROW_HEIGHT - ROW_PADDING) // LINE_HEIGHT)
CUT_NOTE = "（详见佐证材料目录）"
VERDICT_COLUMN = "E"
_SENTENCE_ENDS = "。；！？\n"

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP_LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
_WRAP_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_BODY_LEFT, _BODY_CENTER = "台账正文", "台账正文居中"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # openpyxl refuses these
_WIDE = re.compile("[\u2e80-\U0010ffff]")  # two width units from CJK on
_WIDTHS = tuple(COLUMN_WIDTHS.values())


def _body_styles(workbook: Workbook) -> None:
    """Named styles for the item cells: assigning one name per cell is several times faster
    in openpyxl than setting font, alignment and border one by one (each is hashed into the
    workbook's style tables on every assignment)."""
    font = Font(name=BODY_FONT, size=10.5)
    for name, alignment in ((_BODY_LEFT, _WRAP_LEFT), (_BODY_CENTER, _WRAP_CENTER)):
        workbook.add_named_style(
            NamedStyle(name=name, font=font, alignment=alignment, border=_BORDER)
        )


def render_xlsx(document: LedgerDocument) -> bytes:
    """The filled ledger as .xlsx bytes."""
    workbook = Workbook()
    _body_styles(workbook)
    sheet = workbook.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = SHEET_TITLE
    _write_heading(sheet, document)
    _write_column_headers(sheet, document)
    _write_items(sheet, document)
    _add_verdict_choices(sheet, FIRST_ITEM_ROW, FIRST_ITEM_ROW + len(document.rows) - 1)
    _set_page(sheet)
    _write_gap_annex(workbook, document)
    neutralise_workbook(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _write_gap_annex(workbook: Workbook, document: LedgerDocument) -> None:
    """A second sheet, 差距明细, with every gap line of the cells that print a summary."""
    annex = document.gap_annex
    if not annex:
        return
    sheet = workbook.create_sheet(GAP_ANNEX)
    sheet.append(list(GAP_ANNEX_COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(name=TITLE_FONT, bold=True)
    for item, name, line in annex:
        sheet.append([item, name, _clean(line)])
        for cell in sheet[sheet.max_row]:
            cell.alignment = _WRAP_LEFT
    for column, width in zip("ABC", (8, 16, 90), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    print_a4_landscape(sheet, 1)


def _write_heading(sheet: Worksheet, document: LedgerDocument) -> None:
    sheet["A1"] = document.attachment
    sheet["A1"].font = Font(name=TITLE_FONT, size=12)
    _merged(sheet, 2, "A", "F", document.title, Font(name=TITLE_FONT, size=16, bold=True))
    sheet.row_dimensions[2].height = 30
    period = f"（{document.period_label}）" if document.period_label else ""
    _merged(sheet, 3, "A", "F", period, Font(name=BODY_FONT, size=12))
    (school, unit, filled) = (
        f"{label}：{_clean(value)}" for label, value in document.header_values
    )
    font = Font(name=BODY_FONT, size=11)
    for start, end, text in (("A", "C", school), ("D", "D", unit), ("E", "F", filled)):
        cell = _merged(sheet, 4, start, end, text, font)
        cell.alignment = Alignment(horizontal="left", vertical="center")
    sheet.row_dimensions[4].height = 22


def _write_column_headers(sheet: Worksheet, document: LedgerDocument) -> None:
    font = Font(name=TITLE_FONT, size=11, bold=True)
    spans = (("A", "A"), ("B", "C"), ("D", "D"), ("E", "E"), ("F", "F"))
    for (start, end), title in zip(spans, document.columns, strict=True):
        _merged(sheet, HEADER_ROW, start, end, title, font)
    for column in COLUMN_WIDTHS:
        _frame(sheet[f"{column}{HEADER_ROW}"])
    sheet.row_dimensions[HEADER_ROW].height = 30


def _write_items(sheet: Worksheet, document: LedgerDocument) -> None:
    row_number = FIRST_ITEM_ROW
    for section in document.sections:
        first, last = row_number, row_number + len(section.rows) - 1
        # Merged before any cell is styled: openpyxl then has no border to copy to the merged
        # cells one by one (the slowest step of this sheet); each gets the bordered style.
        sheet.merge_cells(start_row=first, start_column=1, end_row=last, end_column=1)
        sheet.cell(row=first, column=1, value=section.section_name)
        for row in section.rows:
            _write_item(sheet, row_number, row)
            row_number += 1


def _write_item(sheet: Worksheet, number: int, row: LedgerRow) -> None:
    note = f"（详见佐证材料{cited(row.cited)}）" if row.cited else CUT_NOTE
    values = (
        (None, _BODY_CENTER),
        (row.item_name, _BODY_CENTER),
        (row.standard_text, _BODY_LEFT),
        (fit_text(_clean(row.implementation), COLUMN_WIDTHS["D"], note=note), _BODY_LEFT),
        (row.verdict.value, _BODY_CENTER),
        (fit_text(_clean(row.gaps), COLUMN_WIDTHS["F"], note=note), _BODY_LEFT),
    )
    lines = 0
    for column, ((value, style), width) in enumerate(zip(values, _WIDTHS, strict=True), 1):
        cell = sheet.cell(row=number, column=column)
        if value is not None:
            cell.value = value
            lines = max(lines, line_count(value, width))
        cell.style = style
    sheet.row_dimensions[number].height = row_height(lines)


def row_height(lines: int) -> float:
    """Points for a row of ``lines`` wrapped lines (at least two), never over Excel's 409."""
    return min(MAX_ROW_HEIGHT, max(2, lines) * LINE_HEIGHT + ROW_PADDING)


def line_count(text: str, width: float) -> int:
    """Wrapped lines ``text`` takes in a column ``width`` units wide (Excel's unit: one digit
    of the default font; a CJK character takes two, an ASCII character one)."""
    usable = max(2.0, width - 2)  # the cell's inner margins
    return sum(max(1, math.ceil(display_width(line) / usable)) for line in text.split("\n"))


def display_width(text: str) -> int:
    """Width units of ``text``: 1 for ASCII and other narrow characters, 2 from CJK on."""
    return 2 * len(text) - len(_WIDE.sub("", text))


def fit_text(text: str, width: float, max_lines: int = MAX_LINES, *, note: str = CUT_NOTE) -> str:
    """``text`` if it fits in ``max_lines`` lines of a column ``width`` units wide; else its
    longest beginning that ends a sentence (。；！？ or a line break) and fits with ``note``
    after it (a beginning cut mid-sentence only when no sentence fits)."""
    if line_count(text, width) <= max_lines:
        return text
    ends = [i + 1 for i, char in enumerate(text) if char in _SENTENCE_ENDS]
    for end in reversed(ends):
        candidate = text[:end].rstrip("\n") + note
        if line_count(candidate, width) <= max_lines:
            return candidate
    low, high = 0, len(text)  # the longest raw beginning that fits
    while low < high:
        middle = (low + high + 1) // 2
        if line_count(text[:middle] + "…" + note, width) <= max_lines:
            low = middle
        else:
            high = middle - 1
    return text[:low] + "…" + note


def _add_verdict_choices(sheet: Worksheet, first: int, last: int) -> None:
    """A drop-down of 达标/未达标/待补充 on the 是否达标 cells of the item rows."""
    choices = ",".join(verdict.value for verdict in Verdict)
    validation = DataValidation(
        type="list",
        formula1=f'"{choices}"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="是否达标",
        error=f"请从下拉列表中选择：{choices.replace(',', '、')}",
        promptTitle="是否达标",
        prompt="请选择：" + choices.replace(",", "、"),
        showInputMessage=True,
    )
    validation.add(f"{VERDICT_COLUMN}{first}:{VERDICT_COLUMN}{last}")
    sheet.add_data_validation(validation)


def _merged(sheet: Worksheet, row: int, start: str, end: str, value: str, font: Font) -> Cell:
    if start != end:
        sheet.merge_cells(f"{start}{row}:{end}{row}")
    cell = sheet[f"{start}{row}"]
    cell.value = value
    cell.font, cell.alignment = font, _WRAP_CENTER
    return cell


def _frame(cell: Cell) -> None:
    cell.border = _BORDER


def _clean(text: str) -> str:
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\t", " ")).strip()


def print_a4_landscape(sheet: Worksheet, header_row: int) -> None:
    """The college's print habit for a table: A4 landscape, one page wide and as many long as
    needed, ``header_row`` repeated on every page, centred, page numbers in the footer."""
    setup = sheet.page_setup
    setup.orientation = "landscape"
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.fitToWidth = 1
    setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.6
    sheet.page_margins.top, sheet.page_margins.bottom = 0.7, 0.7
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"


def _set_page(sheet: Worksheet) -> None:
    for column, width in COLUMN_WIDTHS.items():
        sheet.column_dimensions[column].width = width
    print_a4_landscape(sheet, HEADER_ROW)
    sheet.freeze_panes = f"A{FIRST_ITEM_ROW}"
