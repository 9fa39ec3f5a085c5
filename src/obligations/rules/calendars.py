"""Read the academic calendar and the working-day calendar for the domain functions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from obligations.models import AcademicYear
from obligations.rules.catalog import Catalog
from obligations.rules.periods import AcademicCalendar, AcademicYearSpan, SemesterSpan
from obligations.rules.workdays import WorkdayCalendar


def load_academic_calendar(session: Session) -> AcademicCalendar:
    years = session.scalars(
        select(AcademicYear)
        .options(selectinload(AcademicYear.semesters))
        .order_by(AcademicYear.start_on)
    )
    return AcademicCalendar(
        tuple(
            AcademicYearSpan(
                key=y.key,
                start=y.start_on,
                end=y.end_on,
                semesters=tuple(SemesterSpan(s.number, s.start_on, s.end_on) for s in y.semesters),
            )
            for y in years
        )
    )


def workday_calendar(catalog: Catalog) -> WorkdayCalendar:
    return WorkdayCalendar(catalog.holidays)
