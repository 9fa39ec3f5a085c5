"""Import organizations, people, their roles and the academic calendar from YAML or CSV files.

An import checks everything first (the file on its own, then against the database) and raises
:class:`ImportRejected` listing every problem before it writes anything. It then upserts by
natural key and never deletes: organizations and people by code, roles by (person,
organization, role, start date), academic years by key, semesters by (year, number) and
vacations by (year, name). Rows whose values do not change are not touched, so importing the
same file twice changes nothing the second time. The caller owns the transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from obligations.channels import ContactKind
from obligations.models import (
    AcademicYear,
    Organization,
    Person,
    PersonContact,
    RoleAssignment,
    Semester,
    Vacation,
)
from obligations.orgdata.check import (
    Existing,
    check_against_database,
    college_code,
    load_existing,
)
from obligations.orgdata.fields import Batch, ImportProblem, Record
from obligations.orgdata.files import read_file
from obligations.orgdata.parse import parse_yaml
from obligations.vocabulary import OrgKind
from obligations.yamlsource import YamlDocument

__all__ = [
    "ImportProblem",
    "ImportRejected",
    "ImportReport",
    "import_data",
    "import_path",
    "import_paths",
]


class ImportRejected(Exception):
    """The import found problems and wrote nothing."""

    def __init__(self, problems: list[ImportProblem]) -> None:
        self.problems = problems
        lines = "\n".join(str(problem) for problem in problems)
        super().__init__(f"发现 {len(problems)} 个问题，未导入任何数据：\n{lines}")


@dataclass
class ImportReport:
    """Counts per kind (organization, person, role, academic_year, semester, vacation)."""

    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    changes: list[str] = field(default_factory=list)  # one Chinese line per change

    @property
    def changed(self) -> bool:
        return self.created.total() + self.updated.total() > 0

    def summary(self) -> str:
        return (
            f"新增 {self.created.total()}，更新 {self.updated.total()}，"
            f"未变 {self.unchanged.total()}"
        )

    def merge(self, other: ImportReport) -> None:
        self.created.update(other.created)
        self.updated.update(other.updated)
        self.unchanged.update(other.unchanged)
        self.changes.extend(other.changes)


def import_paths(session: Session, paths: Sequence[Path], *, now: datetime) -> ImportReport:
    """Import several files in order into one session; stop at the first rejected file.

    Later files see what earlier ones added (roles.csv after people.csv); on rejection the
    caller rolls the whole session back.
    """
    report = ImportReport()
    for path in paths:
        report.merge(import_path(session, path, now=now))
    return report


def import_path(session: Session, path: Path, *, now: datetime) -> ImportReport:
    """Import one ``.yaml``/``.yml`` or ``.csv`` file."""
    return _import(session, read_file(path), now)


def import_data(
    session: Session,
    data: Mapping[str, Any],
    *,
    source: str,
    lines: Mapping[tuple[str | int, ...], int] | None = None,
    now: datetime,
) -> ImportReport:
    """Import data shaped like the YAML format; ``lines`` maps value paths to source lines."""
    doc = YamlDocument(Path(source), dict(data), dict(lines or {}))
    return _import(session, parse_yaml(doc), now)


def _import(session: Session, batch: Batch, now: datetime) -> ImportReport:
    if now.tzinfo is None:
        raise ValueError(f"naive datetime {now!r}: pass an aware UTC instant")
    existing = load_existing(session, batch)
    problems = [*batch.problems, *check_against_database(batch, existing)]
    if problems:
        raise ImportRejected(problems)
    return _Writer(session, existing, now).write(batch, college_code(batch, existing))


# What an import may set on each model: field -> (attribute, Chinese label).
_ORG_FIELDS = {
    "name": ("name", "名称"),
    "kind": ("kind", "类型"),
    "member_count": ("member_count", "党员人数"),
    "term_start": ("term_start", "任期开始"),
    "term_years": ("term_years", "任期年限"),
    "active_from": ("active_from", "启用日期"),
    "active_until": ("active_until", "停用日期"),
}
_PERSON_FIELDS = {
    "name": ("name", "姓名"),
    "email": ("email", "邮箱"),
    "mobile": ("mobile", "手机"),
}
# Fields kept as a person's channel contacts (``person_contact``): field -> (kind, label).
_PERSON_CONTACTS = {"wecom_userid": (ContactKind.WECOM_USERID, "企业微信账号")}
_ROLE_FIELDS = {"until": ("end_on", "截止日期")}
_SPAN_FIELDS = {"start": ("start_on", "开始日期"), "end": ("end_on", "结束日期")}
_ORG_ORDER = {OrgKind.COLLEGE: 0, OrgKind.GENERAL_BRANCH: 1, OrgKind.DIRECT_BRANCH: 1}


def _show(value: Any) -> str:
    if value is None:
        return "无"
    return str(getattr(value, "label", value))


def _assign(
    target: object, values: Mapping[str, Any], fields: Mapping[str, tuple[str, str]]
) -> list[str]:
    """Set the given fields on ``target``; describe each one that changed."""
    changes = []
    for name, (attribute, label) in fields.items():
        if name not in values:
            continue
        old, new = getattr(target, attribute), values[name]
        if old != new:
            changes.append(f"{label} {_show(old)} → {_show(new)}")
            setattr(target, attribute, new)
    return changes


def _assign_contacts(person: Person, values: Mapping[str, Any]) -> list[str]:
    """Set the person's channel contacts given in ``values`` (None removes one); describe each
    one that changed."""
    changes = []
    held = {contact.kind: contact for contact in person.contacts}
    for name, (kind, label) in _PERSON_CONTACTS.items():
        if name not in values:
            continue
        row, new = held.get(kind), values[name]
        old = row.address if row is not None else None
        if old == new:
            continue
        changes.append(f"{label} {_show(old)} → {_show(new)}")
        if row is None:
            person.contacts.append(PersonContact(kind=kind.value, address=new))
        elif new is None:
            person.contacts.remove(row)
        else:
            row.address = new
    return changes


def _span(start: date, end: date | None) -> str:
    return f"{start} 起" if end is None else f"{start} 至 {end}"


class _Writer:
    def __init__(self, session: Session, existing: Existing, now: datetime) -> None:
        self.session, self.now = session, now
        self.orgs = dict(existing.orgs)
        self.people = dict(existing.people)
        self.years = dict(existing.years)
        self.report = ImportReport()

    def write(self, batch: Batch, college: str | None) -> ImportReport:
        for record in sorted(batch.orgs, key=lambda r: _ORG_ORDER.get(r.values["kind"], 2)):
            self._org(record, college)
        for record in batch.people:
            self._person(record)
        self.session.flush()  # ids for new people and organizations
        self._roles(batch.roles)
        for record in batch.years:
            self._year(record)
        for record in batch.semesters:
            self._semester(record)
        for record in batch.vacations:
            self._vacation(record)
        self.session.flush()
        return self.report

    def _note(self, kind: str, created: bool, changes: list[str], new: str, subject: str) -> None:
        """Count a record; ``new`` describes it when created, ``subject`` names it if updated."""
        if created:
            self.report.created[kind] += 1
            self.report.changes.append(f"新增 {new}")
        elif changes:
            self.report.updated[kind] += 1
            self.report.changes.append(f"更新 {subject}：{'；'.join(changes)}")
        else:
            self.report.unchanged[kind] += 1

    def _org(self, record: Record, college: str | None) -> None:
        values = record.values
        kind: OrgKind = values["kind"]
        if kind is OrgKind.BRANCH:
            parent = self.orgs.get(values["parent"])
        else:
            parent = self.orgs.get(college) if kind.is_unit and college else None
        org = self.orgs.get(values["code"])
        created = org is None
        if org is None:
            org = Organization(code=values["code"], created_at=self.now, updated_at=self.now)
            self.session.add(org)
            self.orgs[org.code] = org
        changes = _assign(org, values, _ORG_FIELDS)
        # A unit keeps its parent when there is no college to hang it under.
        if org.parent is not parent and (parent is not None or not kind.is_unit):
            old = org.parent.code if org.parent else None
            changes.append(f"上级组织 {_show(old)} → {_show(parent.code if parent else None)}")
            org.parent = parent
        if changes and not created:
            org.updated_at = self.now
        subject = f"{kind.label} {org.code}"
        self._note("organization", created, changes, f"{subject} {org.name}", subject)

    def _person(self, record: Record) -> None:
        values = record.values
        person = self.people.get(values["code"])
        created = person is None
        if person is None:
            person = Person(code=values["code"], created_at=self.now, updated_at=self.now)
            self.session.add(person)
            self.people[person.code] = person
        changes = _assign(person, values, _PERSON_FIELDS) + _assign_contacts(person, values)
        if changes and not created:
            person.updated_at = self.now
        subject = f"人员 {person.code} {person.name}"
        self._note("person", created, changes, subject, subject)

    def _roles(self, records: list[Record]) -> None:
        if not records:
            return
        person_ids = {self.people[r.values["person"]].id for r in records}
        stored = self.session.scalars(
            select(RoleAssignment).where(RoleAssignment.person_id.in_(person_ids))
        )
        index = {(a.person_id, a.organization_id, a.role, a.start_on): a for a in stored}
        for record in records:
            values = record.values
            person, org = self.people[values["person"]], self.orgs[values["org"]]
            key = (person.id, org.id, values["role"], values["from"])
            assignment = index.get(key)
            created = assignment is None
            if assignment is None:
                assignment = RoleAssignment(
                    person=person, organization=org, role=values["role"], start_on=values["from"]
                )
                self.session.add(assignment)
                index[key] = assignment
            changes = _assign(assignment, values, _ROLE_FIELDS)
            subject = f"职务 {person.code} {person.name} 任 {org.code} {values['role'].label}"
            new = f"{subject}，{_span(assignment.start_on, assignment.end_on)}"
            self._note("role", created, changes, new, f"{subject}（{assignment.start_on} 起）")

    def _year(self, record: Record) -> None:
        key = record.values["key"]
        year = self.years.get(key)
        created = year is None
        if year is None:
            year = self.years[key] = AcademicYear(key=key)
            self.session.add(year)
        self._dated("academic_year", year, record, created, f"学年 {key}")

    def _semester(self, record: Record) -> None:
        year, number = self.years[record.values["year"]], record.values["number"]
        semester = next((s for s in year.semesters if s.number == number), None)
        created = semester is None
        if semester is None:
            semester = Semester(number=number)
            year.semesters.append(semester)
        self._dated("semester", semester, record, created, f"学期 {year.key} 第{number}学期")

    def _vacation(self, record: Record) -> None:
        year, name = self.years[record.values["year"]], record.values["name"]
        vacation = next((v for v in year.vacations if v.name == name), None)
        created = vacation is None
        if vacation is None:
            vacation = Vacation(name=name)
            year.vacations.append(vacation)
        self._dated("vacation", vacation, record, created, f"假期 {year.key} {name}")

    def _dated(
        self,
        kind: str,
        row: AcademicYear | Semester | Vacation,
        record: Record,
        created: bool,
        subject: str,
    ) -> None:
        changes = _assign(row, record.values, _SPAN_FIELDS)
        new = f"{subject}：{_span(row.start_on, row.end_on)}"
        self._note(kind, created, changes, new, subject)
