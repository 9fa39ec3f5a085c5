"""Print layout of a filled Word ledger, whatever template (shipped or a college's) it came from.

Two rules of the printed form (issue 12), applied to every table of the rendered document:

- **No justified text in a narrow column.** A justified (两端对齐) or distributed (分散对齐) line
  that is not full is stretched: in a cell a few characters wide "张慧敏2026年度" prints as
  "张 慧 敏 2026 年 度". A paragraph whose cell holds fewer than :data:`NARROW_CHARACTERS`
  characters a line is set left-aligned when its own or its style's alignment is justified
  (what a justified paragraph's last line looks like) and centred when it is distributed;
  left and centred text stay as they are. In a wide cell, distributed becomes justified (a
  distributed last line is stretched too).
- **A row is not split across pages unless it is longer than a page.** Each row's height is
  estimated from its cells' text, the width of their grid columns and the font size, erring
  on the tall side (:func:`_lines`); a row that fits on a page below the repeated header
  rows gets ``w:cantSplit``, a longer one must be allowed to split (Word and LibreOffice would
  cut it off at the page's foot otherwise) and loses it.

Works on the plain lxml tree docxtpl leaves after rendering; sizes are read from the
document's styles (``w:sz``, ``w:jc``, ``w:spacing`` through ``w:basedOn``) and from its last
section's page size and margins. Units: twentieths of a point (twips) in the XML, points here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from docx.oxml.ns import qn

NARROW_CHARACTERS = 20  # fewer characters a line than this: a narrow column
LINE_FACTOR = 1.45  # line height per point of font size (Noto CJK, LibreOffice's 宋体 stand-in)
LATIN_WIDTH = 0.6  # width of a character below U+2E80 in ems (Times New Roman averages ~0.5)
ROW_PADDING = 2.0  # points per row for borders
DEFAULT_CELL_MARGIN = 108  # twips: Word's left and right cell margin (0.19 cm)
DEFAULT_SIZE = 10.0  # points when no style names one (Word's own default is 10 pt)
DISTRIBUTED = frozenset({"distribute", "thaiDistribute"})
JUSTIFIED = DISTRIBUTED | {"both", "lowKashida", "mediumKashida", "highKashida"}
# Children of w:pPr that the schema puts after w:jc (w:jc must precede them).
_AFTER_JC = frozenset(
    qn(f"w:{tag}")
    for tag in (
        "textDirection",
        "textAlignment",
        "textboxTightWrap",
        "outlineLvl",
        "divId",
        "cnfStyle",
        "rPr",
        "sectPr",
        "pPrChange",
    )
)
_W_VAL = qn("w:val")
_P, _T, _BR, _CR, _TAB = qn("w:p"), qn("w:t"), qn("w:br"), qn("w:cr"), qn("w:tab")
_P_PR, _P_STYLE, _JC, _SZ = qn("w:pPr"), qn("w:pStyle"), qn("w:jc"), qn("w:sz")
_TBL, _TBL_PR, _TBL_GRID, _TR, _TR_PR = (
    qn(f"w:{tag}") for tag in ("tbl", "tblPr", "tblGrid", "tr", "trPr")
)
_TC, _TC_PR, _GRID_SPAN, _GRID_BEFORE = (
    qn(f"w:{tag}") for tag in ("tc", "tcPr", "gridSpan", "gridBefore")
)
_CANT_SPLIT, _W_TYPE = qn("w:cantSplit"), qn("w:type")
_NS = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
_WIDE = re.compile("[\u2e80-\U0010ffff]")  # CJK and beyond: one em wide


@dataclass(frozen=True)
class ParagraphLook:
    """What a paragraph's style gives it: alignment, font size (pt), line height (pt) and the
    space before plus after it (pt)."""

    jc: str | None
    size: float
    line: float
    spacing: float


class Styles:
    """Paragraph properties resolved through ``w:basedOn`` from a ``w:styles`` element."""

    def __init__(self, styles: Any) -> None:
        self._by_id = {s.get(qn("w:styleId")): s for s in styles.iterfind(qn("w:style"))}
        default = next(
            (
                s.get(qn("w:styleId"))
                for s in self._by_id.values()
                if s.get(qn("w:type")) == "paragraph" and s.get(qn("w:default")) in ("1", "true")
            ),
            None,
        )
        self.default_id = default
        defaults = styles.find(qn("w:docDefaults"))
        self._defaults = [] if defaults is None else [defaults]
        self._resolved: dict[str | None, ParagraphLook] = {}

    def look(self, style_id: str | None) -> ParagraphLook:
        """The look of paragraphs of ``style_id`` (None: the default paragraph style)."""
        key = style_id if style_id in self._by_id else self.default_id
        if key not in self._resolved:
            self._resolved[key] = self._resolve(key)
        return self._resolved[key]

    def _chain(self, style_id: str | None) -> list[Any]:
        """The style, then what it is based on, then the document defaults."""
        chain, seen = [], set()
        while style_id in self._by_id and style_id not in seen:
            seen.add(style_id)
            style = self._by_id[style_id]
            chain.append(style)
            based = style.find(qn("w:basedOn"))
            style_id = None if based is None else based.get(_W_VAL)
        return chain + self._defaults

    def _resolve(self, style_id: str | None) -> ParagraphLook:
        chain = self._chain(style_id)
        jc = _first(chain, ".//w:pPr/w:jc", _W_VAL)
        half_points = _first(chain, ".//w:rPr/w:sz", _W_VAL)
        size = int(half_points) / 2 if half_points and half_points.isdigit() else DEFAULT_SIZE
        spacing = [s for element in chain for s in element.iterfind(".//w:pPr/w:spacing", _NS)]
        return ParagraphLook(jc, size, *_line_and_space(spacing, size))


def _first(chain: list[Any], path: str, attribute: str) -> str | None:
    for element in chain:
        for found in element.iterfind(path, _NS):
            value = found.get(attribute)
            if value is not None:
                return str(value)
    return None


def _line_and_space(spacings: list[Any], size: float) -> tuple[float, float]:
    """Line height and space before + after (points) from ``w:spacing`` elements, nearest
    first (each attribute from the first element that has it)."""

    def attribute(name: str) -> str | None:
        return next((s.get(qn(f"w:{name}")) for s in spacings if s.get(qn(f"w:{name}"))), None)

    single = size * LINE_FACTOR
    line, rule = attribute("line"), attribute("lineRule") or "auto"
    if line is None or not line.lstrip("-").isdigit():
        height = single
    elif rule == "auto":
        height = single * int(line) / 240
    else:  # exact or atLeast, in twips
        height = max(single, int(line) / 20) if rule == "atLeast" else int(line) / 20
    space = sum(
        int(value) / 20
        for value in (attribute("before"), attribute("after"))
        if value and value.isdigit()
    )
    return height, space


@dataclass(frozen=True)
class Page:
    """The printable height of a page (points)."""

    body_height: float

    @classmethod
    def of(cls, body: Any) -> Page:
        """From the body's last ``w:sectPr`` (A4 portrait with Word's margins if absent)."""
        sections = list(body.iter(qn("w:sectPr")))
        height, top, bottom = 16838, 1440, 1440
        if sections:
            size = sections[-1].find(qn("w:pgSz"))
            margins = sections[-1].find(qn("w:pgMar"))
            height = _twips(size, "h", height)
            top = abs(_twips(margins, "top", top))
            bottom = abs(_twips(margins, "bottom", bottom))
        return cls((height - top - bottom) / 20)


def _twips(element: Any, name: str, default: int) -> int:
    value = None if element is None else element.get(qn(f"w:{name}"))
    return int(value) if value is not None and value.lstrip("-").isdigit() else default


def settle_layout(body: Any, styles: Styles) -> None:
    """Apply both rules to every table of ``body`` (a ``w:body`` element), in place."""
    page = Page.of(body)
    for table in body.iter(_TBL):
        _settle_table(table, styles, page)


def _child(element: Any, tag: str) -> Any:
    """The first child of ``element`` named ``tag``, or None (cheaper than ``find``)."""
    for child in element:
        if child.tag == tag:
            return child
    return None


def _settle_table(table: Any, styles: Styles, page: Page) -> None:
    table_pr, table_grid = _child(table, _TBL_PR), _child(table, _TBL_GRID)
    grid = [] if table_grid is None else [_twips(col, "w", 0) for col in table_grid]
    margins = _cell_margins(table_pr)
    rows = [row for row in table if row.tag == _TR]
    heights = [_settle_row(row, grid, margins, styles) for row in rows]
    headers = [_header(row) for row in rows]
    repeated = 0.0
    for height, header in zip(heights, headers, strict=True):
        if not header:
            break
        repeated += height
    available = page.body_height - repeated
    for row, height, header in zip(rows, heights, headers, strict=True):
        if not header:
            _set_cant_split(row, height <= available)


def _cell_margins(table_pr: Any) -> float:
    """Left plus right cell margin (points) from ``w:tblCellMar``, Word's default otherwise."""
    found = None if table_pr is None else _child(table_pr, qn("w:tblCellMar"))
    total = 0.0
    for side, alias in (("w:left", "w:start"), ("w:right", "w:end")):
        margin = None if found is None else _child(found, qn(side))
        if margin is None and found is not None:
            margin = _child(found, qn(alias))
        total += _twips(margin, "w", DEFAULT_CELL_MARGIN) / 20
    return total


def _settle_row(row: Any, grid: list[int], margins: float, styles: Styles) -> float:
    """Un-justify the narrow cells of ``row``; return its estimated height (points)."""
    row_pr = _child(row, _TR_PR)
    column = 0 if row_pr is None else _int_value(_child(row_pr, _GRID_BEFORE), 0)
    tallest = 0.0
    for cell in row:
        if cell.tag != _TC:
            continue
        cell_pr = _child(cell, _TC_PR)
        span = 1 if cell_pr is None else max(1, _int_value(_child(cell_pr, _GRID_SPAN), 1))
        width = sum(grid[column : column + span]) / 20 - margins
        column += span
        height = 0.0
        for paragraph in cell.iter(_P):
            p_pr = _child(paragraph, _P_PR)
            style = None if p_pr is None else _child(p_pr, _P_STYLE)
            look = styles.look(None if style is None else style.get(_W_VAL))
            _unjustify(paragraph, p_pr, look, width)
            height += _lines(paragraph, width, _size(paragraph, look)) * look.line + look.spacing
        tallest = max(tallest, height)
    return tallest + ROW_PADDING


def _int_value(element: Any, default: int) -> int:
    value = None if element is None else element.get(_W_VAL)
    return int(value) if value and value.isdigit() else default


def _size(paragraph: Any, look: ParagraphLook) -> float:
    """The largest run size in ``paragraph`` (points), the style's when no run sets one."""
    sizes = [
        int(value) / 2
        for found in paragraph.iter(_SZ)
        if (value := found.get(_W_VAL)) and value.isdigit()
    ]
    return max([look.size, *sizes])


def _unjustify(paragraph: Any, p_pr: Any, look: ParagraphLook, width: float) -> None:
    direct = None if p_pr is None else _child(p_pr, _JC)
    jc = look.jc if direct is None else direct.get(_W_VAL)
    if jc not in JUSTIFIED:
        return
    if width < NARROW_CHARACTERS * look.size:
        _set_jc(paragraph, "center" if jc in DISTRIBUTED else "left")
    elif jc in DISTRIBUTED:
        _set_jc(paragraph, "both")


def _set_jc(paragraph: Any, value: str) -> None:
    p_pr = _child(paragraph, _P_PR)
    if p_pr is None:
        p_pr = paragraph.makeelement(_P_PR, {})
        paragraph.insert(0, p_pr)
    jc = _child(p_pr, _JC)
    if jc is None:
        jc = p_pr.makeelement(_JC, {})
        later = next((i for i, child in enumerate(p_pr) if child.tag in _AFTER_JC), len(p_pr))
        p_pr.insert(later, jc)
    jc.set(_W_VAL, value)


def _lines(paragraph: Any, width: float, size: float) -> int:
    """Lines ``paragraph`` takes in ``width`` points, rounded up generously: one character
    less a line than fits (line-breaking rules push characters over) and Latin characters
    at :data:`LATIN_WIDTH` ems."""
    per_line = max(1.0, math.floor(width / size) - 1)
    return sum(max(1, math.ceil(ems / per_line)) for ems in _line_widths(paragraph))


def _line_widths(paragraph: Any) -> Iterator[float]:
    """The width in ems of each forced line (split at ``w:br``/``w:cr``) of ``paragraph``."""
    texts: list[str] = []
    for element in paragraph.iter(_T, _BR, _CR, _TAB):
        if element.tag == _T:
            texts.append(element.text or "")
        elif element.tag == _TAB:
            texts.append("\u3000\u3000")  # two ems
        elif element.get(_W_TYPE) in (None, "textWrapping"):
            yield _ems("".join(texts))
            texts = []
    yield _ems("".join(texts))


def _ems(text: str) -> float:
    narrow = len(_WIDE.sub("", text))
    return len(text) - narrow + narrow * LATIN_WIDTH


def _header(row: Any) -> bool:
    """Whether ``row`` repeats at the top of each page (``w:tblHeader`` not switched off)."""
    row_pr = _child(row, _TR_PR)
    header = None if row_pr is None else _child(row_pr, qn("w:tblHeader"))
    return header is not None and header.get(_W_VAL) not in ("0", "false", "off")


def _set_cant_split(row: Any, cant_split: bool) -> None:
    tr_pr = _child(row, _TR_PR)
    if tr_pr is None:
        if not cant_split:
            return
        tr_pr = row.makeelement(_TR_PR, {})
        before = _child(row, qn("w:tblPrEx"))
        row.insert(0 if before is None else row.index(before) + 1, tr_pr)
    for existing in tr_pr.findall(_CANT_SPLIT):  # also a w:val="0" one
        tr_pr.remove(existing)
    if cant_split:
        tr_pr.append(tr_pr.makeelement(_CANT_SPLIT, {}))
