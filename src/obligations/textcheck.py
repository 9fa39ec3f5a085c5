"""Checks of free text typed by a user (titles, reasons, notes): pure, Chinese messages."""

from __future__ import annotations

MAX_TITLE = 200
MAX_REASON = 500
MAX_NOTES = 5000


def text_problem(label: str, value: str | None, limit: int, *, required: bool) -> str | None:
    """The problem with ``value`` as the field ``label`` (e.g. 退回原因), or None: empty when
    ``required``, longer than ``limit`` characters, or holding control characters."""
    text = (value or "").strip()
    if required and not text:
        return f"{label}不能为空"
    if len(text) > limit:
        return f"{label}过长：{len(text)} 个字符，最多 {limit} 个"
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        return f"{label}含有控制字符，请删除后重试"
    return None
