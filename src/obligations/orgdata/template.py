"""Write the empty Excel import workbook: a 说明 sheet, then one sheet per kind of record.

Each record sheet has its headers in row 1 (frozen, required ones in red, each explained in a
comment), the template's example in row 2 (grey, marked in the 备注 column so the import skips
it while it is left as it is), drop-down lists for the enumerations, and columns formatted as
text or dates so Excel does not turn codes into numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped, unused-ignore]
from openpyxl.comments import Comment  # type: ignore[import-untyped, unused-ignore]
from openpyxl.styles import Alignment, Font, PatternFill  # type: ignore[import-untyped, unused-ignore]
from openpyxl.utils.cell import get_column_letter  # type: ignore[import-untyped, unused-ignore]
from openpyxl.worksheet.datavalidation import (  # type: ignore[import-untyped, unused-ignore]
    DataValidation,
)

from obligations.orgdata.sheets import (
    EXAMPLE_NOTE,
    GUIDE_SHEET,
    NOTE_HEADER,
    SHEETS,
    Column,
    Sheet,
)
from obligations.spreadsheet import neutralise_workbook

LAST_ROW = 1_048_576  # Excel's last row: drop-down lists and formats cover the whole column
DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"

_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_HEADER_FONT = Font(bold=True)
_REQUIRED_FONT = Font(bold=True, color="C00000")
_EXAMPLE_FONT = Font(italic=True, color="808080")
_TITLE_FONT = Font(bold=True, size=14)
_WRAP = Alignment(wrap_text=True, vertical="top")

GENERAL_NOTES = (
    "填写后运行：obligations import 文件名.xlsx（可先加 --dry-run 试运行，只检查不写入）。",
    "每个工作表第 1 行为表头，请勿修改表头文字；红色表头为必填列。不需要的工作表可以删除或留空。",
    "第 2 行为示例，“备注”列标有示例标记：原样保留时导入会跳过；请改写（并清空备注）或删除此行。",
    "导入前先检查全部数据，有任何错误都不会写入，并逐条列出错误所在的工作表、行和列。",
    "按编码更新已有数据，不会删除任何数据；同一文件再次导入不会产生变更。",
    "单元格留空表示清空该项（必填项除外）；删除整列则不修改该项。",
    "日期请填写为 2025-09-01 这样的日期；编码列已设为文本格式，以 0 开头的编码也能保留。",
)


def write_template(path: Path) -> None:
    workbook = Workbook()
    _write_guide(workbook.active)
    for sheet in SHEETS:
        _write_sheet(workbook.create_sheet(sheet.name), sheet)
    neutralise_workbook(workbook)
    workbook.save(path)


def _write_sheet(ws: Any, sheet: Sheet) -> None:
    columns = [*sheet.columns, None]  # None: the 备注 column
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        header = ws.cell(row=1, column=index, value=column.header if column else NOTE_HEADER)
        header.fill, header.alignment = _HEADER_FILL, Alignment(vertical="center")
        header.font = _REQUIRED_FONT if column and column.required else _HEADER_FONT
        header.comment = Comment(_explain(column), "obligations") if column else None
        example = ws.cell(row=2, column=index, value=column.example if column else EXAMPLE_NOTE)
        example.font = _EXAMPLE_FONT
        dimension = ws.column_dimensions[letter]
        dimension.width = column.width if column else 44
        if column is not None:
            _format_column(ws, letter, column, example)
    ws.freeze_panes = "A2"
    ws.print_title_rows = "1:1"


def _format_column(ws: Any, letter: str, column: Column, example: Any) -> None:
    number_format = DATE_FORMAT if column.is_date else TEXT_FORMAT if column.is_text else None
    if number_format:
        ws.column_dimensions[letter].number_format = number_format
        example.number_format = number_format
    if column.choices:
        listed = "、".join(column.choices)
        validation = DataValidation(
            type="list",
            formula1=f'"{",".join(column.choices)}"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=f"{column.header}无效",
            error=f"请从下拉列表中选择：{listed}",
            promptTitle=column.header,
            prompt=f"可选：{listed}",
        )
        validation.add(f"{letter}2:{letter}{LAST_ROW}")
        ws.add_data_validation(validation)


def _explain(column: Column) -> str:
    return f"{'必填' if column.required else '选填'}。{column.note}"


def _write_guide(ws: Any) -> None:
    ws.title = GUIDE_SHEET
    ws.append(["组织、人员与校历导入模板"])
    ws["A1"].font = _TITLE_FONT
    for note in GENERAL_NOTES:
        ws.append([note])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=5)
    ws.append([])
    ws.append(["工作表", "列", "必填", "说明", "示例"])
    for cell in ws[ws.max_row]:
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
    for sheet in SHEETS:
        ws.append([sheet.name, "", "", sheet.note, ""])
        ws.cell(row=ws.max_row, column=1).font = _HEADER_FONT
        for column in sheet.columns:
            example = "" if column.example is None else column.example
            ws.append(["", column.header, "是" if column.required else "", column.note, example])
            if column.is_date and column.example is not None:
                ws.cell(row=ws.max_row, column=5).number_format = DATE_FORMAT
        ws.append(["", NOTE_HEADER, "", "备注，导入时不读取", ""])
    for letter, width in zip("ABCDE", (12, 16, 8, 60, 24), strict=True):
        ws.column_dimensions[letter].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = _WRAP
