"""Turn a rule into its periods, and a period into its opening and due dates.

One function per question, all pure:

- :func:`rule_periods`: the periods of a calendar-wide rule that overlap a date range;
- :func:`term_period`: the period of the unit's current committee term;
- :func:`schedule`: a period's opening date and due date (moved to a working day as the rule
  says, and marked provisional when that move relied on a year without holiday data), with
  the due date before the move (the nominal one, by which work still counts as on time).

Edge cases: ``due: {anchor: end, months: 1}`` from 31 January lands on 28/29 February
(relativedelta clamps to the month's last day); a leap-day term start (2024-02-29) plus 3
years is 2027-02-28; academic years missing from the calendar fall back to 1 September -
31 August and are reported as guessed (their tasks are provisional, 待定), while semesters
cannot be guessed and are reported as gaps.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from obligations.rules.schema import DateOffset, PeriodKind, Rule
from obligations.rules.workdays import WorkdayCalendar


@dataclass(frozen=True, order=True)
class Period:
    start: date
    end: date  # inclusive
    key: str


@dataclass(frozen=True)
class SemesterSpan:
    number: int
    start: date
    end: date


@dataclass(frozen=True)
class AcademicYearSpan:
    key: str  # "2026-2027"
    start: date
    end: date
    semesters: tuple[SemesterSpan, ...] = ()


@dataclass(frozen=True)
class AcademicCalendar:
    years: tuple[AcademicYearSpan, ...] = ()

    def year_containing(self, day: date) -> AcademicYearSpan | None:
        for year in self.years:
            if year.start <= day <= year.end:
                return year
        return None


@dataclass(frozen=True)
class PeriodsResult:
    periods: list[Period]
    # Date ranges the rule needed the academic calendar for and found nothing.
    gaps: list[tuple[date, date]] = field(default_factory=list)
    # Academic years missing from the calendar, given 1 September - 31 August meanwhile.
    guessed: list[Period] = field(default_factory=list)


@dataclass(frozen=True)
class Schedule:
    opens_on: date
    due_on: date  # moved to a working day as the rule says
    provisional: bool
    nominal_due_on: date  # the rule's due date before that move


def rule_periods(rule: Rule, calendar: AcademicCalendar, start: date, end: date) -> PeriodsResult:
    """Periods of ``rule`` that overlap ``[start, end]``, in order. Not for term rules."""
    if end < start:
        return PeriodsResult([])
    kind = rule.period
    if kind is PeriodKind.TERM:
        raise ValueError("term periods depend on the unit: use term_period()")
    if kind is PeriodKind.SEMESTER:
        return _semesters(calendar, start, end)
    if kind is PeriodKind.ACADEMIC_YEAR:
        periods = list(_academic_years(calendar, start, end))
        known = {year.key for year in calendar.years}
        return PeriodsResult(periods, guessed=[p for p in periods if p.key not in known])
    periods = [
        p
        for p in _calendar_periods(kind, rule.months, start, end)
        if not (kind is PeriodKind.MONTH and p.start.month in rule.exempt_months)
    ]
    return PeriodsResult(periods)


def guessed_year_message(period: Period) -> str:
    """What to tell the user about an academic year missing from the calendar (Chinese)."""
    return (
        f"学年 {period.key} 没有校历数据，暂按 {period.start} 至 {period.end} 推算，"
        "任务标记为待定；请导入该学年的校历（obligations import）"
    )


def term_period(term_start: date, term_years: int) -> Period:
    """The current term: from the election to its expiry, when the next one is due."""
    expiry = term_start + relativedelta(years=term_years)
    return Period(term_start, expiry, f"T{term_start.isoformat()}")


def schedule(rule: Rule, period: Period, workdays: WorkdayCalendar) -> Schedule:
    """The period's opening date, its due date moved to a working day as ``rule.workday``
    says, and the due date before that move (the nominal one)."""
    opens = _offset(rule.opens, period)
    nominal = _offset(rule.due, period)
    due = workdays.adjust(nominal, rule.workday)
    return Schedule(
        opens_on=min(opens, due.day),
        due_on=due.day,
        provisional=due.provisional,
        nominal_due_on=nominal,
    )


def _offset(offset: DateOffset, period: Period) -> date:
    anchor = period.start if offset.anchor == "start" else period.end
    return anchor + relativedelta(months=offset.months) + timedelta(days=offset.days)


def _month_span(year: int, month: int, months: int) -> tuple[date, date]:
    first = date(year, month, 1)
    return first, first + relativedelta(months=months) - timedelta(days=1)


def _calendar_periods(
    kind: PeriodKind, months: Sequence[int], start: date, end: date
) -> Iterator[Period]:
    for year in range(start.year, end.year + 1):
        for first_month, length, key in _year_layout(kind, year, months):
            p_start, p_end = _month_span(year, first_month, length)
            if p_start <= end and p_end >= start:
                yield Period(p_start, p_end, key)


def _year_layout(kind: PeriodKind, year: int, months: Sequence[int]) -> list[tuple[int, int, str]]:
    """(first month, length in months, period key) of each period of ``kind`` in ``year``."""
    if kind is PeriodKind.MONTH:
        return [(m, 1, f"{year}-{m:02d}") for m in range(1, 13)]
    if kind is PeriodKind.MONTHS:
        return [(m, 1, f"{year}-{m:02d}") for m in sorted(set(months))]
    if kind is PeriodKind.QUARTER:
        return [(3 * q - 2, 3, f"{year}-Q{q}") for q in range(1, 5)]
    if kind is PeriodKind.HALF_YEAR:
        return [(1, 6, f"{year}-H1"), (7, 6, f"{year}-H2")]
    if kind is PeriodKind.YEAR:
        return [(1, 12, f"{year}")]
    raise ValueError(f"not a calendar-month period: {kind}")


def _academic_years(calendar: AcademicCalendar, start: date, end: date) -> Iterator[Period]:
    first = start.year - 1 if start.month < 9 else start.year
    for year in range(first, end.year + 1):
        key = f"{year}-{year + 1}"
        known = next((y for y in calendar.years if y.key == key), None)
        span = (known.start, known.end) if known else (date(year, 9, 1), date(year + 1, 8, 31))
        if span[0] <= end and span[1] >= start:
            yield Period(span[0], span[1], key)


def _semesters(calendar: AcademicCalendar, start: date, end: date) -> PeriodsResult:
    periods = [
        Period(s.start, s.end, f"{year.key}-{s.number}")
        for year in calendar.years
        for s in year.semesters
        if s.start <= end and s.end >= start
    ]
    return PeriodsResult(sorted(periods), _uncovered(calendar, start, end))


def _uncovered(calendar: AcademicCalendar, start: date, end: date) -> list[tuple[date, date]]:
    """Parts of ``[start, end]`` that fall in no academic year having semesters."""
    spans = sorted((y.start, y.end) for y in calendar.years if y.semesters)
    gaps: list[tuple[date, date]] = []
    cursor = start
    for s, e in spans:
        if e < cursor:
            continue
        if s > end:
            break
        if s > cursor:
            gaps.append((cursor, s - timedelta(days=1)))
        cursor = max(cursor, e + timedelta(days=1))
        if cursor > end:
            break
    if cursor <= end:
        gaps.append((cursor, end))
    return gaps


_CN_DIGITS = "零一二三四五六七八九十"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_HALF = re.compile(r"^(\d{4})-H([12])$")
_YEAR = re.compile(r"^(\d{4})$")
_ACADEMIC_YEAR = re.compile(r"^(\d{4}-\d{4})$")
_SEMESTER = re.compile(r"^(\d{4}-\d{4})-(\d)$")
_TERM = re.compile(r"^T(\d{4})-(\d{2})-(\d{2})$")


def period_text(key: str, plain_year: int | None = None) -> str:
    """A period key in the words every page, feed, message and ledger shows for it.

    ``2026-09`` -> 2026年9月, ``2026-Q4`` -> 2026年第四季度, ``2026-H2`` -> 2026年下半年,
    ``2026`` -> 2026年度, ``2026-2027`` -> 2026—2027学年, ``2026-2027-1`` -> 2026—2027学年第一学期,
    ``T2026-03-01`` -> 2026年3月1日起的一届任期 (the keys :class:`Period` makes); the year is left
    out of months, quarters and halves of ``plain_year``; an unknown key is returned as it is.
    """
    if match := _MONTH.match(key):
        return _year(match[1], plain_year) + f"{int(match[2])}月"
    if match := _QUARTER.match(key):
        return _year(match[1], plain_year) + f"第{_CN_DIGITS[int(match[2])]}季度"
    if match := _HALF.match(key):
        return _year(match[1], plain_year) + ("上半年" if match[2] == "1" else "下半年")
    if match := _YEAR.match(key):
        return f"{match[1]}年度"
    if match := _ACADEMIC_YEAR.match(key):
        return match[1].replace("-", "—") + "学年"
    if match := _SEMESTER.match(key):
        return match[1].replace("-", "—") + f"学年第{_CN_DIGITS[int(match[2])]}学期"
    if match := _TERM.match(key):
        return f"{match[1]}年{int(match[2])}月{int(match[3])}日起的一届任期"
    return key


def _year(year: str, plain_year: int | None) -> str:
    return "" if int(year) == plain_year else f"{year}年"
