"""Wording shared by the ledger's composition: dates, periods, numbers and the parts of a row.

Pure functions; the ledger is a Chinese form, so every string here is user-facing Chinese.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

MAX_LISTED_DATES = 24  # past this, a list of dates ends with "等"
_CN_NUMBERS = "零一二三四五六七八九十"


@dataclass(frozen=True)
class Part:
    """What one source (a rule, a metric, a check, the standing evidence) says about an item."""

    lines: tuple[str, ...] = ()  # for 落实情况
    brief: str = ""  # the same in a few words, for a cell over its length budget
    gaps: tuple[str, ...] = ()  # for 存在的主要差距
    failed: bool = False  # a task missed, a threshold or a check not met (未达标)
    evidence: int = 0  # evidence records behind it (an item with none may be 待补充)
    incomplete: bool = False  # information is missing, named in ``gaps`` (待补充)


def day_text(day: date, plain_year: int | None = None) -> str:
    """2026年1月9日, or 1月9日 in ``plain_year`` (the ledger's year, when it covers one)."""
    prefix = "" if day.year == plain_year else f"{day.year}年"
    return f"{prefix}{day.month}月{day.day}日"


def dates_text(days: Iterable[date], plain_year: int | None = None) -> str:
    """Sorted dates joined with 、; a long list is cut with 等."""
    ordered = sorted(days)
    shown = [day_text(d, plain_year) for d in ordered[:MAX_LISTED_DATES]]
    more = "等" if len(ordered) > MAX_LISTED_DATES else ""
    return "、".join(shown) + more


def months_text(days: Iterable[date], plain_year: int | None = None) -> str:
    """The months of ``days`` as ranges, 1—2月、4—12月, when they all lie in ``plain_year``;
    otherwise the dates (:func:`dates_text`)."""
    ordered = sorted(days)
    if not ordered or any(d.year != plain_year for d in ordered):
        return dates_text(ordered, plain_year)
    months = sorted({d.month for d in ordered})
    runs: list[list[int]] = []
    for month in months:
        if runs and runs[-1][-1] == month - 1:
            runs[-1].append(month)
        else:
            runs.append([month])
    return "、".join(f"{r[0]}月" if len(r) == 1 else f"{r[0]}—{r[-1]}月" for r in runs)


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_HALF = re.compile(r"^(\d{4})-H([12])$")
_YEAR = re.compile(r"^(\d{4})$")
_ACADEMIC_YEAR = re.compile(r"^(\d{4}-\d{4})$")
_SEMESTER = re.compile(r"^(\d{4}-\d{4})-(\d)$")
_TERM = re.compile(r"^T(\d{4})-(\d{2})-(\d{2})$")


def period_text(key: str, plain_year: int | None = None) -> str:
    """A task's period in words, from its period key (see :mod:`obligations.rules.periods`);
    the year is left out of months, quarters and halves of ``plain_year``."""
    if match := _MONTH.match(key):
        return _year(match[1], plain_year) + f"{int(match[2])}月"
    if match := _QUARTER.match(key):
        return _year(match[1], plain_year) + f"第{_CN_NUMBERS[int(match[2])]}季度"
    if match := _HALF.match(key):
        return _year(match[1], plain_year) + ("上半年" if match[2] == "1" else "下半年")
    if match := _YEAR.match(key):
        return f"{match[1]}年度"
    if match := _ACADEMIC_YEAR.match(key):
        return f"{match[1]}学年"
    if match := _SEMESTER.match(key):
        return f"{match[1]}学年第{_CN_NUMBERS[int(match[2])]}学期"
    if match := _TERM.match(key):
        return f"{match[1]}年{int(match[2])}月{int(match[3])}日起的一届任期"
    return key


def _year(year: str, plain_year: int | None) -> str:
    return "" if int(year) == plain_year else f"{year}年"


def number_text(value: Decimal | float | int) -> str:
    """12, 34.5, 3.33: no trailing zeros, at most two decimals."""
    quantized = Decimal(str(value)).quantize(Decimal("0.01"))
    text = f"{quantized:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def joined(parts: Sequence[str], separator: str = "、") -> str:
    return separator.join(p for p in parts if p)


def short_branch_name(branch: str, unit: str) -> str:
    """A branch named inside its unit's ledger without the unit's prefix: 学生第三党支部 for
    机电工程学院学生第三党支部 in 机电工程学院党总支 (the name itself if nothing is left)."""
    prefix = unit.removesuffix("党总支").removesuffix("直属党支部")
    short = branch.removeprefix(prefix) if prefix else branch
    return short.strip() or branch
