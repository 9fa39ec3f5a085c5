"""Build test data directly with the ORM."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session
from tests.helpers import SAMPLE_CALENDAR

from obligations.models import AcademicYear, Organization, Person, RoleAssignment, Semester
from obligations.rules.periods import AcademicCalendar
from obligations.vocabulary import OrgKind, Role

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def org(
    session: Session,
    code: str,
    kind: OrgKind,
    parent: Organization | None = None,
    **fields: object,
) -> Organization:
    row = Organization(
        code=code,
        name=fields.pop("name", f"{code} 组织"),
        kind=kind,
        parent=parent,
        created_at=NOW,
        updated_at=NOW,
        **fields,
    )
    session.add(row)
    session.flush()
    return row


def person(session: Session, code: str, name: str | None = None) -> Person:
    row = Person(code=code, name=name or f"人员{code}", created_at=NOW, updated_at=NOW)
    session.add(row)
    session.flush()
    return row


def assign(
    session: Session,
    who: Person,
    where: Organization,
    role: Role,
    start_on: date = date(2023, 10, 15),
    end_on: date | None = None,
) -> RoleAssignment:
    row = RoleAssignment(
        person=who, organization=where, role=role, start_on=start_on, end_on=end_on
    )
    session.add(row)
    session.flush()
    return row


def calendar(session: Session, source: AcademicCalendar = SAMPLE_CALENDAR) -> None:
    for year in source.years:
        row = AcademicYear(key=year.key, start_on=year.start, end_on=year.end)
        row.semesters = [
            Semester(number=s.number, start_on=s.start, end_on=s.end) for s in year.semesters
        ]
        session.add(row)
    session.flush()


def small_college(session: Session) -> dict[str, Organization]:
    """A college with one general branch (two branches, a committee) and one direct branch."""
    college = org(session, "C", OrgKind.COLLEGE, active_from=date(2026, 1, 1))
    general = org(
        session,
        "U01",
        OrgKind.GENERAL_BRANCH,
        college,
        member_count=80,
        term_start=date(2023, 10, 15),
        term_years=3,
    )
    b1 = org(session, "U01-B01", OrgKind.BRANCH, general)
    b2 = org(session, "U01-B02", OrgKind.BRANCH, general)
    direct = org(
        session,
        "U02",
        OrgKind.DIRECT_BRANCH,
        college,
        member_count=20,
        term_start=date(2024, 6, 1),
        term_years=4,
    )
    secretary, dean = person(session, "T1", "张书记"), person(session, "T2", "李院长")
    assign(session, secretary, general, Role.SECRETARY)
    assign(session, dean, general, Role.DEAN)
    assign(session, dean, general, Role.COMMITTEE_MEMBER)
    assign(session, person(session, "T3", "王书记"), direct, Role.SECRETARY)
    calendar(session)
    return {"college": college, "U01": general, "B1": b1, "B2": b2, "U02": direct}
