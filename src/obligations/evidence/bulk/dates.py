"""Dates as Chinese documents and file names write them (pure).

Recognised forms, full-width digits included (NFKC folds them):

- ``2026年3月12日`` (also ``号`` for ``日``, spaces between the parts);
- ``二〇二六年三月十二日`` (Chinese numerals; ``〇``, ``○`` or ``零`` for zero);
- ``2026.3.12``, ``2026-03-12``, ``2026/3/12``;
- ``20260312`` (eight digits), only where asked (file names: in text, eight digits are
  more often a number than a date);
- ``3月12日`` / ``三月十二日`` with the year given by the caller (the intake's year).

A date that does not exist (2026年2月30日, 2026-13-01) is refused and reported, never
shifted to a neighbouring day.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class DateForm(StrEnum):
    CHINESE = "chinese"  # 2026年3月12日
    CHINESE_NUMERALS = "chinese_numerals"  # 二〇二六年三月十二日
    SEPARATED = "separated"  # 2026.3.12 / 2026-03-12 / 2026/3/12
    COMPACT = "compact"  # 20260312
    MONTH_DAY = "month_day"  # 3月12日, the year from context


@dataclass(frozen=True)
class FoundDate:
    day: date
    start: int  # position in the normalised text
    form: DateForm
    written: str  # as written (normalised)


@dataclass(frozen=True)
class DateScan:
    dates: list[FoundDate] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # impossible dates as written


_DIGIT = "〇○零一二三四五六七八九"
_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"○": 0, "零": 0, "O": 0}
_CN_SMALL = "一二三四五六七八九十"

# Order matters: longer, more specific forms first; later matches inside an earlier span are
# ignored (so 3月12日 inside 2026年3月12日 is not found twice).
_PATTERNS: list[tuple[DateForm, re.Pattern[str]]] = [
    (
        DateForm.CHINESE,
        re.compile(r"(?<!\d)(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]"),
    ),
    (
        DateForm.CHINESE_NUMERALS,
        re.compile(
            rf"([{_DIGIT}]{{4}})\s*年\s*([{_CN_SMALL}]{{1,3}})\s*月\s*([{_CN_SMALL}]{{1,3}})\s*[日号]"
        ),
    ),
    (
        DateForm.SEPARATED,
        re.compile(r"(?<![\d.\-/])(\d{4})([.\-/])(\d{1,2})\2(\d{1,2})(?![\d])"),
    ),
    (DateForm.COMPACT, re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)")),
    (
        DateForm.MONTH_DAY,
        re.compile(
            rf"(?<![\d{_CN_SMALL}])(\d{{1,2}}|[{_CN_SMALL}]{{1,3}})\s*月\s*"
            rf"(\d{{1,2}}|[{_CN_SMALL}]{{1,3}})\s*[日号]"
        ),
    ),
]


def normalise(text: str) -> str:
    """NFKC: full-width digits and punctuation as their ASCII forms (２０２６．３．１２)."""
    return unicodedata.normalize("NFKC", text)


def chinese_number(text: str) -> int | None:
    """1 to 99 written in Chinese (十, 十二, 二十, 二十三, 三十一) or in Arabic digits."""
    if text.isdigit():
        return int(text)
    values = {c: i + 1 for i, c in enumerate("一二三四五六七八九")}
    if text == "十":
        return 10
    if "十" in text:
        tens, _, ones = text.partition("十")
        if len(tens) > 1 or len(ones) > 1:
            return None
        ten_value = values.get(tens, 0) if tens else 1
        one_value = values.get(ones, 0) if ones else 0
        if (tens and tens not in values) or (ones and ones not in values):
            return None
        return ten_value * 10 + one_value
    return values.get(text) if len(text) == 1 else None


def find_dates(text: str, *, year: int | None = None, compact: bool = False) -> DateScan:
    """Every date written in ``text``, in order of position.

    ``year`` completes dates written without one (3月12日); without it they are skipped.
    ``compact`` also reads eight digits (20260312), meant for file names. Impossible dates
    are listed in ``refused`` as written."""
    text = normalise(text)
    taken: list[tuple[int, int]] = []
    found: list[FoundDate] = []
    refused: list[str] = []
    for form, pattern in _PATTERNS:
        if form is DateForm.COMPACT and not compact:
            continue
        if form is DateForm.MONTH_DAY and year is None:
            continue
        for match in pattern.finditer(text):
            span = match.span()
            if any(span[0] < end and start < span[1] for start, end in taken):
                continue
            parts = _parts(form, match, year)
            if parts is None:
                continue
            taken.append(span)
            try:
                day = date(*parts)
            except ValueError:
                refused.append(match.group(0))
                continue
            found.append(FoundDate(day, span[0], form, match.group(0)))
    found.sort(key=lambda f: f.start)
    return DateScan(found, refused)


def _parts(form: DateForm, match: re.Match[str], year: int | None) -> tuple[int, int, int] | None:
    groups = match.groups()
    if form is DateForm.CHINESE or form is DateForm.COMPACT:
        return int(groups[0]), int(groups[1]), int(groups[2])
    if form is DateForm.SEPARATED:
        return int(groups[0]), int(groups[2]), int(groups[3])
    if form is DateForm.CHINESE_NUMERALS:
        digits = [_CN_DIGITS.get(c) for c in groups[0]]
        month, day = chinese_number(groups[1]), chinese_number(groups[2])
        if None in digits or month is None or day is None:
            return None
        return int("".join(str(d) for d in digits)), month, day
    assert year is not None
    month, day = chinese_number(groups[0]), chinese_number(groups[1])
    if month is None or day is None:
        return None
    return year, month, day
