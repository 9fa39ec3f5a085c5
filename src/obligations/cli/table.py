"""Plain-text tables that line up with Chinese text.

Hand-written (a dozen lines) rather than adding rich or tabulate: the only need is padding by
display width, which the standard library's east_asian_width answers.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def display_width(text: str) -> int:
    """Terminal columns of ``text``: two for a wide (CJK) character, one for any other."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def render(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    cell_widths = {cell: display_width(cell) for row in (headers, *rows) for cell in row}
    widths = [display_width(h) for h in headers]
    for row in rows:
        widths = [max(w, cell_widths[cell]) for w, cell in zip(widths, row, strict=True)]

    def width(cell: str) -> int:
        known = cell_widths.get(cell)
        return display_width(cell) if known is None else known

    def line(cells: Sequence[str]) -> str:
        padded = (cell + " " * (w - width(cell)) for cell, w in zip(cells, widths, strict=True))
        return "  ".join(padded).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])
