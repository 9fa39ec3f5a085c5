"""The period a ledger covers: a calendar year (default), an academic year or a date range."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from obligations.ledger.text import day_text
from obligations.rules.periods import AcademicCalendar, period_text

_ACADEMIC_KEY = re.compile(r"^(\d{4})-(\d{4})$")


FIRST_YEAR = 2000
LAST_YEAR = 2100
"""The years a ledger (and every year the web accepts) may cover."""


class PeriodInvalid(ValueError):
    """The requested period cannot be used; the message says why (Chinese)."""


@dataclass(frozen=True)
class LedgerPeriod:
    start: date
    end: date  # inclusive
    label: str  # 2026年度, 2025—2026学年, 2026年3月1日至2026年8月31日
    notes_year: int  # the year whose notes and figures the ledger shows

    @property
    def plain_year(self) -> int | None:
        """The year dates are written without (the period's, if it lies in one year)."""
        return self.start.year if self.start.year == self.end.year else None


def calendar_year(year: int) -> LedgerPeriod:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodInvalid(f"年份 {year} 超出范围（{FIRST_YEAR}-{LAST_YEAR}）")
    return LedgerPeriod(date(year, 1, 1), date(year, 12, 31), f"{year}年度", year)


def academic_year(key: str, calendar: AcademicCalendar) -> LedgerPeriod:
    """The academic year from the college calendar (校历), else 1 September to 31 August."""
    match = _ACADEMIC_KEY.match(key.strip())
    if not match or int(match[2]) != int(match[1]) + 1:
        raise PeriodInvalid(f"学年“{key}”格式有误，应为相邻两年，例如 2025-2026")
    first = int(match[1])
    calendar_year(first)  # the same range check
    known = next((y for y in calendar.years if y.key == key.strip()), None)
    start, end = (known.start, known.end) if known else (date(first, 9, 1), date(first + 1, 8, 31))
    return LedgerPeriod(start, end, period_text(key.strip()), end.year)


def date_range(start: date, end: date) -> LedgerPeriod:
    if end < start:
        raise PeriodInvalid(f"结束日期 {end} 早于开始日期 {start}")
    if (end - start).days > 366 * 5:
        raise PeriodInvalid("日期范围过长：一份台账最多覆盖5年")
    label = f"{day_text(start)}至{day_text(end)}"
    return LedgerPeriod(start, end, label, end.year)
