"""What the importer reads from a workbook's XML itself, with the guard against hostile XML.

An .xlsx file is a ZIP of XML parts, and XML can declare a DTD whose entities expand a few
bytes into gigabytes ("billion laughs") or pull in local files and URLs (XXE). Excel and WPS
never write a DTD, so a part that declares one is refused outright (:func:`refuse_dtd`), before
openpyxl reads anything; openpyxl itself parses through ``defusedxml`` once it is installed
(see ``openpyxl/xml/__init__.py``), and the parsing done here goes through it too, with DTDs
forbidden.

openpyxl's read-only mode does not give two things the importer needs, so :func:`read_sheet`
reads them from the worksheet's XML: the merged ranges, and the cells that hold no value to
import: formulas saved without a computed value (tools that write workbooks without a
spreadsheet engine leave ``<v>`` empty, and openpyxl then reads the cell as empty) and error
values such as ``#REF!`` (which openpyxl reads as that text).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException  # type: ignore[import-untyped, unused-ignore]
from defusedxml.ElementTree import iterparse  # type: ignore[import-untyped, unused-ignore]
from openpyxl.utils.cell import (  # type: ignore[import-untyped, unused-ignore]
    coordinate_to_tuple,
)
from openpyxl.xml.constants import SHEET_MAIN_NS  # type: ignore[import-untyped, unused-ignore]

_NS = f"{{{SHEET_MAIN_NS}}}"
_ROW, _CELL, _MERGE_CELL = f"{_NS}row", f"{_NS}c", f"{_NS}mergeCell"
_FORMULA, _VALUE = f"{_NS}f", f"{_NS}v"


class HostileXml(ValueError):
    """A part of the workbook declares a DTD or entities; ``part`` names it."""

    def __init__(self, part: str) -> None:
        self.part = part
        super().__init__(
            f"工作簿的 {part} 部分含有 DTD 或实体声明（<!DOCTYPE>、<!ENTITY>），"
            "Excel 和 WPS 不会写出这种内容，出于安全考虑拒绝导入；"
            "如确需导入，请用 Excel 或 WPS 打开后另存为 .xlsx 再导入"
        )


def refuse_dtd(path: Path) -> None:
    """Raise :class:`HostileXml` if any part of the workbook at ``path`` declares a DTD.

    A DTD can only stand before the root element, so each part is parsed up to its first
    element and no further. Parts that are not XML (images) fail to parse and are left to
    openpyxl. Raises ``zipfile.BadZipFile`` for a file that is not a ZIP.
    """
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            with archive.open(name) as part:
                try:
                    for _event in iterparse(part, events=("start",), forbid_dtd=True):
                        break
                except DefusedXmlException as exc:
                    raise HostileXml(name) from exc
                except ParseError:
                    continue


@dataclass(frozen=True)
class NoValue:
    """A cell without a value to import, at a 1-based row and column: a formula saved without
    its result (``error`` None), or an error value such as ``#REF!``."""

    row: int
    column: int
    formula: str | None
    error: str | None = None


@dataclass
class SheetXml:
    merged: list[str] = field(default_factory=list)  # "A2:A5"
    no_value: list[NoValue] = field(default_factory=list)


def read_sheet(source: IO[bytes]) -> SheetXml:
    """Merged ranges and cells without a value of one worksheet's XML, in document order.

    Only end events are read (a row's cells end before the row does, so a cell written without
    its ``r`` reference learns its row when the row ends). Raises
    :class:`defusedxml.DefusedXmlException` for a DTD and ``ParseError`` for broken XML.
    """
    found = SheetXml()
    row = 0
    anchor, offset = None, 0  # the row's last cell reference ("B5"), and cells since it
    pending: list[tuple[int, str | None, str | None]] = []  # (column, formula, error) of a row
    for _event, element in iterparse(source, forbid_dtd=True):
        tag = element.tag
        if tag == _CELL:
            ref = element.get("r")
            anchor, offset = (ref, 0) if ref else (anchor, offset + 1)
            # The schema puts <f> first: a cell without it is a plain value, the usual case.
            if element.get("t") == "e" or (len(element) and element[0].tag == _FORMULA):
                column = (coordinate_to_tuple(anchor)[1] if anchor else 0) + offset
                formula = element.findtext(_FORMULA)
                if element.get("t") == "e":
                    pending.append((column, formula, element.findtext(_VALUE) or "#VALUE!"))
                elif _is_uncached(element):
                    pending.append((column, formula or "", None))
            element.clear()
        elif tag == _ROW:
            row, anchor, offset = int(element.get("r") or row + 1), None, 0
            found.no_value.extend(NoValue(row, *cell) for cell in pending)
            pending.clear()
            element.clear()
        elif tag == _MERGE_CELL:
            found.merged.append(element.get("ref"))
            element.clear()
    return found


def _is_uncached(cell: Element) -> bool:
    """A formula whose ``<v>`` is missing or empty; an empty text result (``t="str"``) is a
    value that Excel saved, not a missing one."""
    if cell.find(_FORMULA) is None:
        return False
    value = cell.find(_VALUE)
    if value is not None and value.text:
        return False
    return cell.get("t") != "str" or value is None
