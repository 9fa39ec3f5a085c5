"""Shared test data: the shipped catalog and a sample academic calendar (校历)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

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


def second_writer_waits(
    sessions: sessionmaker[Session],
    first: Callable[[Session], object],
    second: Callable[[Session], object],
) -> list[BaseException]:
    """Run ``first`` in a transaction, then ``second`` in another thread's transaction while the
    first still holds its writes, then commit the first: two workers writing one new row at
    once. The errors ``second`` raised (none is right)."""
    failures: list[BaseException] = []

    def second_worker() -> None:
        try:
            with sessions.begin() as session:
                second(session)
        except BaseException as error:  # reported to the caller
            failures.append(error)

    with sessions.begin() as session:
        first(session)
        thread = threading.Thread(target=second_worker)
        thread.start()
        time.sleep(0.3)  # the second worker now waits for the first one's row
    thread.join(timeout=30)
    assert not thread.is_alive(), "the second worker never finished"
    return failures
