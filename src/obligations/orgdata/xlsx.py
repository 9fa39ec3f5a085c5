"""Read an Excel workbook (.xlsx) laid out as in :mod:`orgdata_sheets` into a :class:`Batch`.

Excel keeps what people type in its own way, so every cell is turned back into what was meant
before the converters shared with YAML and CSV see it: a code typed as a number (101, or 101.0
from some tools) becomes "101"; a date may arrive as a datetime, a date, a serial day number,
20250901 or text such as 2025年9月1日; a merged range gives its value to every row it covers;
rows with nothing in them (Excel keeps formatted rows after the data) are skipped. A formula
saved without its result is reported by cell, never read as empty; a workbook declaring a DTD
is refused (:mod:`obligations.orgdata.xlsx_xml`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError
from zipfile import BadZipFile

from defusedxml import DefusedXmlException  # type: ignore[import-untyped, unused-ignore]
from openpyxl import load_workbook  # type: ignore[import-untyped, unused-ignore]
from openpyxl.utils.cell import (  # type: ignore[import-untyped, unused-ignore]
    get_column_letter,
    range_boundaries,
)
from openpyxl.utils.datetime import from_excel  # type: ignore[import-untyped, unused-ignore]
from openpyxl.utils.exceptions import InvalidFileException  # type: ignore[import-untyped, unused-ignore]

from obligations.orgdata import fields as f
from obligations.orgdata.fields import Batch, ImportProblem, Place, Record, SheetRef, refused
from obligations.orgdata.parse import check_duplicates
from obligations.orgdata.sheets import (
    EXAMPLE_NOTE,
    GUIDE_SHEET,
    NOTE_HEADER,
    SHEETS_BY_NAME,
    Column,
    Sheet,
)
from obligations.orgdata.xlsx_xml import HostileXml, NoValue, read_sheet, refuse_dtd

Grid = list[list[Any]]  # cell values by row, then column, from row 1 and column A


_UNREADABLE = "无法读取：不是有效的 .xlsx 工作簿；请在 Excel 中另存为 .xlsx 后再导入"
_UNCACHED = (
    "此单元格是公式，但文件中没有保存计算结果（生成此文件的工具未计算公式），无法知道它的值；"
    "请用 Excel 或 WPS 打开此文件、保存后再导入，或把公式改为数值"
)


def parse_xlsx(path: Path) -> Batch:
    """Every record of the workbook at ``path``, and every problem found in it on its own; a
    file that is not a readable workbook, or declares a DTD, gives one problem and no records."""
    try:
        refuse_dtd(path)
        workbook = load_workbook(path, read_only=True, data_only=True)
    except HostileXml as exc:
        return refused(path, str(exc))
    except (BadZipFile, InvalidFileException, KeyError, ValueError, SyntaxError):
        return refused(path, _UNREADABLE)  # SyntaxError: ParseError, lxml's XMLSyntaxError
    batch = Batch(str(path))
    try:
        for worksheet in workbook.worksheets:
            _read_sheet(worksheet, workbook.epoch, batch)
    except (DefusedXmlException, ParseError):  # a DTD was refused above: broken XML
        return refused(path, _UNREADABLE)
    finally:
        workbook.close()
    check_duplicates(batch)
    return batch


def _read_sheet(worksheet: Any, epoch: datetime, batch: Batch) -> None:
    grid = _grid(worksheet)
    filled = [number for number, cells in enumerate(grid, start=1) if any(map(_filled, cells))]
    name = worksheet.title.strip()
    if name == GUIDE_SHEET or not filled:
        return
    sheet = SHEETS_BY_NAME.get(name)
    if sheet is None:
        allowed = "、".join(SHEETS_BY_NAME)
        message = f"无法识别的工作表；可用的工作表：{allowed}（“{GUIDE_SHEET}”表不导入）"
        batch.problems.append(ImportProblem(batch.file, None, "", message, worksheet.title))
        return
    _report_no_value(grid, worksheet.title, batch)
    header_row, *rows = filled
    layout = _Layout.read(sheet, worksheet.title, header_row, grid[header_row - 1], batch)
    if layout is None:
        return
    for number in rows:
        layout.read_row(number, grid[number - 1], epoch, batch)


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _no_value_message(cell: NoValue) -> str:
    formula = f"（公式 ={cell.formula}）" if cell.formula is not None else ""
    if cell.error is None:
        return f"{_UNCACHED}{formula}"
    return (
        f"此单元格的值是错误 {cell.error}{formula}，无法导入；请在 Excel 或 WPS 中改正后保存再导入"
    )


def _report_no_value(grid: Grid, title: str, batch: Batch) -> None:
    """Report each cell without a value (a formula saved without its result, an error value),
    then read it as empty: the problem rejects the import, so no row is skipped in silence."""
    header_row = next((cells for cells in grid if any(map(_filled, cells))), [])
    for number, cells in enumerate(grid, start=1):
        for index, value in enumerate(cells):
            if isinstance(value, NoValue):
                header = _at(header_row, index)
                shown = header.strip() if isinstance(header, str) else ""
                letter = get_column_letter(index + 1)
                message = _no_value_message(value)
                batch.problems.append(
                    ImportProblem(batch.file, number, shown, message, title, letter)
                )
                cells[index] = None


@dataclass
class _Layout:
    """Which column holds which field in one worksheet, read from its header row."""

    sheet: Sheet
    ref: SheetRef
    columns: dict[int, Column]  # column index (0 for A) -> the field it holds
    headed: set[int]  # every column with a header, known or not
    note: int | None  # the 备注 column

    @classmethod
    def read(
        cls, sheet: Sheet, title: str, row: int, header: list[Any], batch: Batch
    ) -> _Layout | None:
        """The layout, or None (its problems reported) if a required column is missing or a
        header repeats: reading the rows then would only repeat the same problem on each."""
        columns: dict[int, Column] = {}
        seen: dict[str, str] = {}  # header -> column letter
        note, fatal = None, False
        for index, value in enumerate(header):
            if not _filled(value):
                continue
            text, letter = str(value).strip(), get_column_letter(index + 1)
            column = sheet.column(text)
            message = None
            if text in seen:
                fatal, message = True, f"表头“{text}”重复，{seen[text]} 列已有"
            elif text == NOTE_HEADER:
                note = index
            elif column is None:
                allowed = "、".join([*(c.header for c in sheet.columns), NOTE_HEADER])
                message = f"无法识别的列；此表可用的列：{allowed}"
            else:
                columns[index] = column
            seen.setdefault(text, letter)
            if message:
                batch.problems.append(ImportProblem(batch.file, row, text, message, title, letter))
        present = {c.field for c in columns.values()}
        missing = [c.header for c in sheet.columns if c.required and c.field not in present]
        if missing:
            fatal = True
            message = f"缺少必填的列：{'、'.join(missing)}（表头应在第一个非空行）"
            batch.problems.append(ImportProblem(batch.file, row, "", message, title))
        if fatal:
            return None
        fields = {c.field: (get_column_letter(i + 1), c.header) for i, c in columns.items()}
        headed = {i for i, value in enumerate(header) if _filled(value)}
        return cls(sheet, SheetRef(title, fields), columns, headed, note)

    def read_row(self, number: int, cells: list[Any], epoch: datetime, batch: Batch) -> None:
        data = [i for i, value in enumerate(cells) if _filled(value) and i != self.note]
        if not data:
            return  # an empty row, or one with only a note
        for index in data:
            if index not in self.headed:
                letter = get_column_letter(index + 1)
                message = "此列没有表头，内容无法导入；请补上表头或删除此列内容"
                batch.problems.append(
                    ImportProblem(batch.file, number, "", message, self.ref.name, letter)
                )
        raw = {c.field: _value(_at(cells, i), c, epoch) for i, c in self.columns.items()}
        shown = {c.field: _shown(_at(cells, i)) for i, c in self.columns.items()}
        written = {k: text for k, text in shown.items() if text is not None and text != raw[k]}
        if self.note is not None and _at(cells, self.note) == EXAMPLE_NOTE:
            self._example_row(number, self.note, raw, epoch, batch)
            return
        place = Place(batch.file, row=number, sheet=self.ref)
        values = f.read_fields(raw, self.sheet.spec, place, batch.problems, written=written)
        record = Record(place, {**values, **self.sheet.fixed})
        if self.sheet.order is not None:
            start, end, what = self.sheet.order
            f.check_order(record, start, end, batch.problems, what)
        getattr(batch, self.sheet.target).append(record)

    def _example_row(
        self, number: int, note: int, raw: dict[str, Any], epoch: datetime, batch: Batch
    ) -> None:
        """The template's example is skipped; an edited one is refused, not silently dropped."""
        example = {c.field: _value(c.example, c, epoch) for c in self.columns.values()}
        if raw == example:
            return
        message = f"此行备注为模板的示例标记，但内容已修改；如要导入此行，请清空“{NOTE_HEADER}”列"
        letter = get_column_letter(note + 1)
        batch.problems.append(
            ImportProblem(batch.file, number, NOTE_HEADER, message, self.ref.name, letter)
        )


def _at(cells: list[Any], index: int) -> Any:
    return cells[index] if index < len(cells) else None


# --- cells -----------------------------------------------------------------------------------


def _grid(worksheet: Any) -> Grid:
    """Every row's values, row 1 first, with merged ranges filled from their top-left cell and
    each cell without a value standing as a :class:`NoValue`."""
    worksheet.reset_dimensions()  # some writers store a wrong size; read what is there
    grid = [list(row) for row in worksheet.iter_rows(values_only=True)]
    with worksheet._get_source() as source:
        found = read_sheet(source)
    for cell in found.no_value:
        grid.extend([] for _ in range(cell.row - len(grid)))
        cells = grid[cell.row - 1]
        cells.extend([None] * (cell.column - len(cells)))
        cells[cell.column - 1] = cell
    for ref in found.merged:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        if min_row > len(grid):
            continue
        value = _at(grid[min_row - 1], min_col - 1)
        for cells in grid[min_row - 1 : max_row]:
            cells.extend([None] * (max_col - len(cells)))
            cells[min_col - 1 : max_col] = [value] * (max_col - min_col + 1)
    return grid


def _value(value: Any, column: Column, epoch: datetime) -> Any:
    """What a cell means to the column's converter: text, a date, or None for an empty cell."""
    if isinstance(value, str):
        text = _unescape(value).strip()
        if column.is_date and (match := _DATE_TEXT.fullmatch(text)):
            return "-".join(match.groups())
        return text or None
    if value is None:
        return None
    if column.is_date:
        return _day(value, epoch)
    if isinstance(value, bool):
        return value  # refused by the converter: TRUE is not a code or a number
    if isinstance(value, int | float):
        return _number_text(value)
    if isinstance(value, datetime) and value.time() == time():
        return value.date().isoformat()
    return str(value)


def _shown(value: Any) -> str | None:
    """A cell as the user sees it in Excel, for messages to quote: TRUE, 101, 2025年9月1日."""
    if value is None:
        return None
    if isinstance(value, str):
        return _unescape(value).strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return _number_text(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else str(value)
    return str(value)


_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(text: str) -> str:
    """Excel's ``_xHHHH_`` escapes (ECMA-376 Part 1, ST_Xstring) back to the characters typed:
    how a workbook holds characters XML cannot (``_x0000_``); ``_x005F_`` is a plain ``_``."""
    return _ESCAPE.sub(lambda match: chr(int(match[1], 16)), text)


_DATE_TEXT = re.compile(r"(\d{4})\s*[年.]\s*(\d{1,2})\s*[月.]\s*(\d{1,2})\s*日?")
_EARLIEST_YEAR = 1950  # a smaller serial number is not a date anyone meant here


def _day(value: Any, epoch: datetime) -> Any:
    """A date cell's date; anything else is passed on for the converter to refuse by name."""
    if isinstance(value, datetime):
        return value.date() if value.time() == time() else value
    if isinstance(value, date):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if float(value).is_integer() and 19000101 <= value <= 29991231:  # 20250901
        number = int(value)
        try:
            return date(number // 10000, number // 100 % 100, number % 100)
        except ValueError:
            return str(number)
    try:
        moment = from_excel(value, epoch)
    except (ValueError, OverflowError):
        return _number_text(value)
    if not isinstance(moment, datetime) or moment.year < _EARLIEST_YEAR:
        return _number_text(value)
    return _day(moment, epoch)


def _number_text(value: int | float) -> str:
    """101 and 101.0 read as "101": Excel keeps codes typed as numbers as floats."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
