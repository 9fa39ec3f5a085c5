"""Shared test data: the shipped catalog and a sample academic calendar (校历)."""

from __future__ import annotations

from datetime import date
from functools import cache
from typing import Any

from obligations.paths import shipped_dir
from obligations.rules.catalog import Catalog, load_catalog
from obligations.rules.periods import AcademicCalendar, AcademicYearSpan, SemesterSpan
from obligations.rules.schema import Rule
from obligations.rules.workdays import ChineseCalendarPackage

CATALOG_DIR = shipped_dir("calendar_rules")


class OfficialThrough:
    """Official holiday data up to ``last_year`` only, whatever the installed package knows:
    the day chinesecalendar ships a later year changes nothing these tests expect."""

    def __init__(self, last_year: int) -> None:
        self.last_year = last_year

    def knows(self, year: int) -> bool:
        return year <= self.last_year and ChineseCalendarPackage.knows(year)

    def is_workday(self, day: date) -> bool:
        return ChineseCalendarPackage.is_workday(day)


SAMPLE_CALENDAR = AcademicCalendar(
    (
        AcademicYearSpan(
            "2025-2026",
            date(2025, 9, 1),
            date(2026, 8, 31),
            (
                SemesterSpan(1, date(2025, 9, 1), date(2026, 1, 16)),
                SemesterSpan(2, date(2026, 3, 2), date(2026, 7, 10)),
            ),
        ),
        AcademicYearSpan(
            "2026-2027",
            date(2026, 9, 1),
            date(2027, 8, 31),
            (
                SemesterSpan(1, date(2026, 9, 7), date(2027, 1, 22)),
                SemesterSpan(2, date(2027, 2, 22), date(2027, 7, 9)),
            ),
        ),
    )
)


@cache
def shipped_catalog() -> Catalog:
    return load_catalog([CATALOG_DIR])


def shipped_rule(rule_id: str) -> Rule:
    return shipped_catalog().rule(rule_id)


def make_rule(**fields: Any) -> Rule:
    base: dict[str, Any] = {
        "id": "test-rule",
        "ledger_item": "2.4",
        "title": "测试",
        "scope": "unit",
    }
    return Rule.model_validate(base | fields)
