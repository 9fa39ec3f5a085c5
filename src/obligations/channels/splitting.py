"""Split a long message into parts that fit a channel's size limit, at line boundaries.

Sizes are costs: UTF-8 bytes for WeCom and DingTalk, JSON-escaped UTF-8 bytes for Feishu,
whose limit applies to the whole request body. A single line longer than the limit is cut
between characters as a last resort.
"""

from __future__ import annotations

import json
from collections.abc import Callable


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))


def json_string_size(text: str) -> int:
    """Bytes ``text`` takes inside a JSON string (without the quotes), as we serialize it."""
    return utf8_size(json.dumps(text, ensure_ascii=False)) - 2


def split_lines(
    text: str,
    budget: int,
    *,
    cost: Callable[[str], int] = utf8_size,
) -> list[str]:
    """Cut ``text`` into parts of at most ``budget`` (by ``cost``), breaking between lines.

    Blank lines at the edges of a part are dropped; an empty text gives no part.
    """
    if budget < 1:
        raise ValueError(f"budget {budget} is too small to hold any text")
    newline = cost("\n")
    parts: list[list[str]] = [[]]
    used = 0
    for line in _fitting_lines(text.strip("\n").split("\n"), budget, cost):
        size = cost(line)
        extra = size if not parts[-1] else size + newline
        if parts[-1] and used + extra > budget:
            parts.append([])
            used, extra = 0, size
        parts[-1].append(line)
        used += extra
    joined = ("\n".join(lines).strip("\n") for lines in parts)
    return [part for part in joined if part.strip()]


def _fitting_lines(lines: list[str], budget: int, cost: Callable[[str], int]) -> list[str]:
    result: list[str] = []
    for line in lines:
        if cost(line) <= budget:
            result.append(line)
        else:
            result.extend(_cut_line(line, budget, cost))
    return result


def _cut_line(line: str, budget: int, cost: Callable[[str], int]) -> list[str]:
    pieces: list[str] = []
    current = ""
    current_cost = 0
    for char in line:
        char_cost = cost(char)
        if current and current_cost + char_cost > budget:
            pieces.append(current)
            current, current_cost = "", 0
        current += char
        current_cost += char_cost
    if current:
        pieces.append(current)
    return pieces
