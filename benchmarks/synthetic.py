"""A synthetic college for benchmarks: N units x M branches, full committees, K academic years.

Rows go in through the ORM's bulk insert so building the college is quick even at 1,000,000
tasks later; the data are plausible, not random, so runs are comparable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from obligations.models import (
    AcademicYear,
    Organization,
    Person,
    RoleAssignment,
    Semester,
    Vacation,
)
from obligations.vocabulary import OrgKind, Role

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
COMMITTEE = (
    Role.SECRETARY,
    Role.DEPUTY_SECRETARY,
    Role.DISCIPLINE_MEMBER,
    Role.COMMITTEE_MEMBER,
    Role.COMMITTEE_MEMBER,
    Role.COMMITTEE_MEMBER,
    Role.ORGANIZER,
    Role.DEAN,
)


@dataclass(frozen=True)
class Shape:
    units: int = 30
    branches_per_unit: int = 10
    first_academic_year: int = 2022
    academic_years: int = 5

    @property
    def start(self) -> date:
        return date(self.first_academic_year, 9, 1)

    @property
    def end(self) -> date:
        return date(self.first_academic_year + self.academic_years, 8, 31)


def build_college(session: Session, shape: Shape = Shape()) -> None:
    stamps = {"created_at": NOW, "updated_at": NOW}
    session.execute(
        insert(Organization),
        [
            {
                "code": "C",
                "name": "合成学院党委",
                "kind": OrgKind.COLLEGE,
                "active_from": shape.start,
                **stamps,
            }
        ],
    )
    college_id = session.scalars(select(Organization.id).where(Organization.code == "C")).one()
    session.execute(
        insert(Organization),
        [
            {
                "code": f"U{u:02d}",
                "name": f"第{u}党总支",
                "kind": OrgKind.GENERAL_BRANCH,
                "parent_id": college_id,
                "member_count": 60 + u,
                "term_start": date(2020 + u % 4, 1 + u % 12, 1 + u % 28),
                "term_years": 3 + u % 2,
                **stamps,
            }
            for u in range(1, shape.units + 1)
        ],
    )
    query = select(Organization.code, Organization.id).where(Organization.parent_id == college_id)
    units = {code: id_ for code, id_ in session.execute(query)}
    session.execute(
        insert(Organization),
        [
            {
                "code": f"{code}-B{b:02d}",
                "name": f"{code}第{b}党支部",
                "kind": OrgKind.BRANCH,
                "parent_id": unit_id,
                "member_count": 8,
                **stamps,
            }
            for code, unit_id in units.items()
            for b in range(1, shape.branches_per_unit + 1)
        ],
    )
    session.execute(
        insert(Person),
        [
            {
                "code": f"{code}-P{i}",
                "name": f"{code}委员{i}",
                "email": f"{code.lower()}p{i}@example.edu.cn",
                **stamps,
            }
            for code in units
            for i in range(len(COMMITTEE))
        ],
    )
    people = {code: id_ for code, id_ in session.execute(select(Person.code, Person.id))}
    session.execute(
        insert(RoleAssignment),
        [
            {
                "person_id": people[f"{code}-P{i}"],
                "organization_id": unit_id,
                "role": role,
                "start_on": shape.start,
            }
            for code, unit_id in units.items()
            for i, role in enumerate(COMMITTEE)
        ],
    )
    for offset in range(shape.academic_years):
        y = shape.first_academic_year + offset
        year = AcademicYear(key=f"{y}-{y + 1}", start_on=date(y, 9, 1), end_on=date(y + 1, 8, 31))
        year.semesters = [
            Semester(number=1, start_on=date(y, 9, 5), end_on=date(y + 1, 1, 18)),
            Semester(number=2, start_on=date(y + 1, 2, 24), end_on=date(y + 1, 7, 8)),
        ]
        year.vacations = [
            Vacation(name="寒假", start_on=date(y + 1, 1, 19), end_on=date(y + 1, 2, 23)),
            Vacation(name="暑假", start_on=date(y + 1, 7, 9), end_on=date(y + 1, 8, 31)),
        ]
        session.add(year)
    session.flush()
