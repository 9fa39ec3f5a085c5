"""Cells that a spreadsheet program never runs: the one guard every CSV and XLSX writer uses.

Text typed by users (a record's title, a file name, notes) ends up in CSV and XLSX files that
people open in Excel or WPS. A cell starting with ``=``, ``+``, ``-`` or ``@`` is read there as
a formula (``=cmd|' /C calc'!A0`` runs a program, ``=HYPERLINK(...)`` leaks data), and a
leading tab or carriage return hides such a start from naive checks. Following OWASP's
"CSV Injection" advice:

- in CSV such a text field is prefixed with a single quote ``'``, which Excel shows and never
  evaluates;
- in XLSX such a text is written as a plain string (never a formula) and marked with Excel's
  own "quote prefix" (what typing ``'`` before it does), so it stays text even when edited.

Only text is touched: a number (a negative count, a size) is a number, not a formula.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# The characters that make Excel, LibreOffice or WPS read a cell as a formula (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: object) -> bool:
    """True for text that a spreadsheet program would read as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_value(value: object) -> object:
    """The value to write in a CSV field: formula-like text prefixed with ``'``, else as is."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


def csv_row(values: Iterable[object]) -> list[object]:
    """A CSV row with every field passed through :func:`csv_value`."""
    return [csv_value(value) for value in values]


def csv_record(row: dict[str, Any]) -> dict[str, Any]:
    """A ``csv.DictWriter`` row with every value passed through :func:`csv_value`."""
    return {key: csv_value(value) for key, value in row.items()}


def neutralise_cell(cell: Any) -> None:
    """Make an openpyxl cell holding formula-like text a plain, quote-prefixed string.

    Call it after the cell's value and style are set (assigning a named style resets the
    quote prefix). A cell that is not text (a number, a date, empty) is left as it is."""
    if is_formula_like(cell.value):
        cell.data_type = "s"  # openpyxl made it a formula ("f") on assignment if it began with =
        cell.quotePrefix = True


def neutralise_workbook(workbook: Any) -> None:
    """Apply :func:`neutralise_cell` to every cell of every worksheet of an openpyxl workbook;
    every XLSX writer calls it just before saving."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                neutralise_cell(cell)
