"""Workbooks as hostile or careless tools write them, built by rewriting one XML part."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

SHEET = "xl/worksheets/sheet1.xml"

# (part, declaration put before its root element, text to replace in that part, by what)
DOCTYPES: dict[str, tuple[str, str, tuple[str, str] | None]] = {
    "plain DTD": (SHEET, "<!DOCTYPE worksheet [<!ELEMENT worksheet ANY>]>", None),
    "billion laughs": (
        SHEET,
        '<!DOCTYPE worksheet [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>',
        ("<t>P1</t>", "<t>&c;</t>"),
    ),
    "external entity": (
        SHEET,
        '<!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
        ("<t>P1</t>", "<t>&x;</t>"),
    ),
    "external DTD in the workbook part": (
        "xl/workbook.xml",
        '<!DOCTYPE workbook SYSTEM "http://127.0.0.1:9/evil.dtd">',
        None,
    ),
    "parameter entity in the content types": (
        "[Content_Types].xml",
        '<!DOCTYPE Types [<!ENTITY % p SYSTEM "file:///etc/hostname"> %p;]>',
        None,
    ),
}


def people_workbook(rows: Sequence[Sequence[Any]] = (("P1", "张三"),)) -> bytes:
    """A one-sheet workbook of people, as openpyxl writes it (strings inline in the sheet)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "人员"
    sheet.append(["编号", "姓名"])
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rewrite(content: bytes, part: str, change: Any) -> bytes:
    """``content`` with the text of ``part`` passed through ``change``."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == part:
                data = change(data.decode("utf-8")).encode("utf-8")
            target.writestr(info, data)
    return out.getvalue()


def with_doctype(name: str) -> bytes:
    part, doctype, replace = DOCTYPES[name]

    def change(text: str) -> str:
        if text.startswith("<?xml"):
            declaration, end, rest = text.partition("?>")
            text = declaration + end + doctype + rest
        else:
            text = doctype + text
        return text.replace(*replace) if replace else text

    return rewrite(people_workbook(), part, change)
