"""Working days in mainland China, with 调休 (weekend days that are working days).

Sources, in order: a year entered in the college's ``holidays.yaml`` (authoritative), the
chinesecalendar package (official data, which lags: it raises for years it does not know),
and for any other year a fallback of "Monday to Friday" whose answers are marked provisional.
A provisional answer is never silent: it is carried on every date derived from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Protocol

import chinese_calendar

from obligations.rules.schema import HolidaysFile, WorkdayPolicy

_MAX_SHIFT_DAYS = 40  # longer than any official run of holidays (春节 with 调休 is ~9 days)


@dataclass(frozen=True)
class Adjusted:
    day: date
    provisional: bool


class OfficialCalendar(Protocol):
    """Official holiday data for the years it covers (the State Council's yearly notice)."""

    def knows(self, year: int) -> bool: ...

    def is_workday(self, day: date) -> bool: ...


class ChineseCalendarPackage:
    """The chinesecalendar package: official data, shipped some weeks after each notice."""

    @staticmethod
    @cache
    def knows(year: int) -> bool:
        try:
            chinese_calendar.is_workday(date(year, 6, 1))
        except NotImplementedError:
            return False
        return True

    @staticmethod
    @cache
    def is_workday(day: date) -> bool:
        # Cached as knows is (the package's data never change in a process): each call
        # checks the day against the package's whole table (about 5 us), and a generation
        # asks about a thousand days, the same ones every run.
        return bool(chinese_calendar.is_workday(day))


# The official source a calendar uses unless it is given one (tests pass a source of their own).
OFFICIAL: OfficialCalendar = ChineseCalendarPackage()


class WorkdayCalendar:
    def __init__(
        self, overrides: HolidaysFile | None = None, official: OfficialCalendar | None = None
    ) -> None:
        self._official = official or OFFICIAL
        self._holidays: dict[int, set[date]] = {}
        self._workdays: dict[int, set[date]] = {}
        for year, entry in (overrides or HolidaysFile()).years.items():
            days: set[date] = set()
            for span in entry.holidays:
                end = span.end or span.start
                days.update(span.start + timedelta(n) for n in range((end - span.start).days + 1))
            self._holidays[year] = days
            self._workdays[year] = set(entry.workdays)

    def knows(self, year: int) -> bool:
        """Whether official data exists for ``year`` (override file or package)."""
        return year in self._holidays or self._official.knows(year)

    def check(self, day: date) -> tuple[bool, bool]:
        """(is a working day, the answer is provisional)."""
        year = day.year
        if year in self._holidays:
            if day in self._workdays[year]:
                return True, False
            return day.weekday() < 5 and day not in self._holidays[year], False
        if self._official.knows(year):
            return self._official.is_workday(day), False
        return day.weekday() < 5, True

    def adjust(self, day: date, policy: WorkdayPolicy) -> Adjusted:
        """Move ``day`` to a working day as ``policy`` says; mark it provisional if any day
        looked at lies in a year without official data."""
        if policy is WorkdayPolicy.KEEP:
            return Adjusted(day, False)
        step = timedelta(days=-1 if policy is WorkdayPolicy.EARLIER else 1)
        provisional = False
        current = day
        for _ in range(_MAX_SHIFT_DAYS):
            working, guessed = self.check(current)
            provisional = provisional or guessed
            if working:
                return Adjusted(current, provisional)
            current += step
        raise ValueError(
            f"no working day within {_MAX_SHIFT_DAYS} days of {day}: check holidays.yaml"
        )
