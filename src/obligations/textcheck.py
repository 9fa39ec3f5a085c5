"""Checks of free text typed by a user (titles, reasons, notes): pure, Chinese messages."""

from __future__ import annotations

import unicodedata

MAX_TITLE = 200
MAX_REASON = 500
MAX_NOTES = 5000

# Characters that show nothing yet change what a reader sees: the bidirectional controls can
# make "报告\u202eexe.pdf" display as "报告fdp.exe", zero-width ones hide inside names.
# Together with the control characters (category Cc: C0, DEL, C1) they are refused in every
# name, title, reason, note and imported text.
_HIDDEN = frozenset(
    "\u200b\u200c\u200d\u2060\ufeff"  # zero-width space, non-joiner, joiner, word joiner, BOM
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"  # bidi
)


def hidden_character(text: str, allowed: str = "") -> tuple[int, str] | None:
    """The first (1-based position, character) in ``text`` that is a control character or an
    invisible formatting character, except those in ``allowed`` (e.g. "\\n\\t"); else None."""
    for position, char in enumerate(text, start=1):
        if char in allowed:
            continue
        if char in _HIDDEN or unicodedata.category(char) == "Cc":
            return position, char
    return None


def text_problem(label: str, value: str | None, limit: int, *, required: bool) -> str | None:
    """The problem with ``value`` as the field ``label`` (e.g. 退回原因), or None: empty when
    ``required``, longer than ``limit`` characters, or holding control characters."""
    text = (value or "").strip()
    if required and not text:
        return f"{label}不能为空"
    if len(text) > limit:
        return f"{label}过长：{len(text)} 个字符，最多 {limit} 个"
    hidden = hidden_character(text, allowed="\n\t")
    if hidden:
        position, char = hidden
        code = f"U+{ord(char):04X}"
        return f"{label}第 {position} 个字符是不可见的控制或格式字符（{code}），请删除后重试"
    return None
