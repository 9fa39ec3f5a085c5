"""Check a parsed import against what the database already holds, before anything is written.

What the file refers to (a branch's unit, a role's person and organization, the academic year
of a vacation) may stand in the file or in the database; the academic calendar is checked as
it will be after the import: the database's semesters and vacations with the file's on top.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from obligations.models import AcademicYear, Organization, Person
from obligations.orgdata.fields import Batch, ImportProblem, Record
from obligations.vocabulary import OrgKind


@dataclass
class Existing:
    """The rows an import touches or refers to, keyed by their natural keys."""

    orgs: dict[str, Organization]
    college: Organization | None
    people: dict[str, Person]
    years: dict[str, AcademicYear]


def load_existing(session: Session, batch: Batch) -> Existing:
    org_codes = _values(batch.orgs, "code", "parent") | _values(batch.roles, "org")
    person_codes = _values(batch.people, "code") | _values(batch.roles, "person")
    orgs = session.scalars(select(Organization).where(Organization.code.in_(org_codes)))
    people = session.scalars(
        select(Person).where(Person.code.in_(person_codes)).options(selectinload(Person.contacts))
    )
    # Every year, not only the file's: a new year must not overlap any other (a small table).
    years = session.scalars(
        select(AcademicYear).options(
            selectinload(AcademicYear.semesters), selectinload(AcademicYear.vacations)
        )
    )
    college = session.scalars(
        select(Organization).where(Organization.kind == OrgKind.COLLEGE).order_by(Organization.id)
    ).first()
    return Existing(
        orgs={o.code: o for o in orgs},
        college=college,
        people={p.code: p for p in people},
        years={y.key: y for y in years},
    )


def _values(records: Iterable[Record], *names: str) -> set[str]:
    return {r.values[n] for r in records for n in names if r.values.get(n) is not None}


def college_code(batch: Batch, existing: Existing) -> str | None:
    """The code of the college the units hang under: the file's, else the database's."""
    for record in batch.orgs:
        if record.values.get("kind") is OrgKind.COLLEGE and "code" in record.values:
            return str(record.values["code"])
    return existing.college.code if existing.college else None


def check_against_database(batch: Batch, existing: Existing) -> list[ImportProblem]:
    return [
        *_check_college(batch, existing),
        *_check_parents(batch, existing),
        *_check_role_references(batch, existing),
        *_check_calendar(batch, existing),
    ]


def _check_college(batch: Batch, existing: Existing) -> Iterator[ImportProblem]:
    colleges = [r for r in batch.orgs if r.values.get("kind") is OrgKind.COLLEGE]
    for record in colleges[1:]:
        yield record.problem("kind", f"只能有一个学校党委，第 {colleges[0].line()} 行已有")
    known = existing.college
    if known is None:
        return
    for record in colleges:
        code = record.values.get("code")
        if code is not None and code != known.code:
            message = f"数据库中已有学校党委 {known.code} {known.name}，只能有一个学校党委"
            yield record.problem("code", message)
    for record in batch.orgs:
        kind = record.values.get("kind")
        if record.values.get("code") == known.code and kind not in (None, OrgKind.COLLEGE):
            yield record.problem("kind", f"{known.code} 是学校党委，不能改为{kind.label}")


def _check_parents(batch: Batch, existing: Existing) -> Iterator[ImportProblem]:
    known = set(existing.orgs) | _values(batch.orgs, "code")
    kinds = {code: org.kind for code, org in existing.orgs.items()}
    for record in batch.orgs:
        if record.values.get("code") and record.values.get("kind"):
            kinds[record.values["code"]] = record.values["kind"]
    college = college_code(batch, existing)
    for record in batch.orgs:
        kind, parent = record.values.get("kind"), record.values.get("parent")
        if kind is None or "parent" not in record.values:
            continue
        if kind is OrgKind.COLLEGE and parent is not None:
            yield record.problem("parent", "学校党委没有上级组织，parent 应留空")
        elif kind.is_unit and parent is not None and parent != college:
            hint = f"（{college}）或留空" if college else "，留空即可"
            yield record.problem(
                "parent", f"党总支、直属党支部的上级只能是学校党委{hint}，不能是 {parent}"
            )
        elif kind is OrgKind.BRANCH:
            yield from _check_branch_parent(record, parent, known, kinds)


def _check_branch_parent(
    record: Record, parent: str | None, known: set[str], kinds: dict[str, OrgKind]
) -> Iterator[ImportProblem]:
    if parent is None:
        yield record.problem("parent", "党支部必须填写上级组织（所属党总支或直属党支部的编码）")
    elif parent not in known:
        yield record.problem("parent", f"上级组织 {parent} 不存在（文件和数据库中都没有）")
    elif kinds.get(parent) is OrgKind.BRANCH:
        message = f"{parent} 是党支部，党支部不能设在党支部之下；上级应为党总支或直属党支部"
        yield record.problem("parent", message)
    elif kinds.get(parent) is OrgKind.COLLEGE:
        yield record.problem("parent", "党支部的上级应为党总支或直属党支部，不能直接隶属学校党委")


def _check_role_references(batch: Batch, existing: Existing) -> Iterator[ImportProblem]:
    people = set(existing.people) | _values(batch.people, "code")
    orgs = set(existing.orgs) | _values(batch.orgs, "code")
    for record in batch.roles:
        person, org = record.values.get("person"), record.values.get("org")
        if person is not None and person not in people:
            yield record.problem("person", f"人员 {person} 不存在（文件和数据库中都没有）")
        if org is not None and org not in orgs:
            yield record.problem("org", f"组织 {org} 不存在（文件和数据库中都没有）")


@dataclass(frozen=True)
class _Span:
    label: str
    start: date
    end: date
    record: Record | None  # None: already in the database and not in the file

    def __str__(self) -> str:
        return f"{self.label}（{self.start} 至 {self.end}）"


def _check_calendar(batch: Batch, existing: Existing) -> Iterator[ImportProblem]:
    years = {r.values["key"]: r for r in batch.years if "key" in r.values}
    yield from _check_years_apart(years, existing)
    for key in sorted(years.keys() | _values([*batch.semesters, *batch.vacations], "year")):
        year_record, stored = years.get(key), existing.years.get(key)
        semesters = _spans(key, batch.semesters, "number", stored, "第{}学期")
        vacations = _spans(key, batch.vacations, "name", stored, "{}")
        if year_record is not None:
            bounds = _span(f"学年 {key}", year_record)
        elif stored is not None:
            bounds = _Span(f"学年 {key}", stored.start_on, stored.end_on, None)
        else:
            message = f"学年 {key} 不存在；请先导入该学年（学期文件或 YAML 的 calendar 部分）"
            for span in [*semesters.values(), *vacations.values()]:
                if span.record is not None:
                    yield span.record.problem("year", message)
            continue
        if bounds is None:  # the file's own dates for the year are wrong, already reported
            continue
        for span in [*semesters.values(), *vacations.values()]:
            yield from _check_inside(span, bounds)
        ordered = [semesters[number] for number in sorted(semesters)]
        for earlier, later in pairwise(ordered):
            if later.start <= earlier.end:
                message = f"{later} 与 {earlier} 重叠或顺序颠倒；第二学期应在第一学期结束之后开始"
                yield from _blame(earlier, later, message)


def _span(label: str, record: Record) -> _Span | None:
    """The record's dates, or None when they are missing or reversed (reported already)."""
    start, end = record.values.get("start"), record.values.get("end")
    if start is None or end is None or end < start:
        return None
    return _Span(label, start, end, record)


def _spans(
    key: str, records: list[Record], by: str, stored: AcademicYear | None, label: str
) -> dict[Any, _Span]:
    """The year's semesters (or vacations) after the import: the stored ones, the file's on top."""
    spans: dict[Any, _Span] = {}
    if stored is not None:
        rows = stored.semesters if by == "number" else stored.vacations
        for row in rows:
            ident = getattr(row, by)
            spans[ident] = _Span(label.format(ident), row.start_on, row.end_on, None)
    for record in records:
        ident = record.values.get(by)
        if record.values.get("year") != key or ident is None:
            continue
        span = _span(label.format(ident), record)
        if span is None:
            spans.pop(ident, None)  # its own problem is reported; do not check the stored one
        else:
            spans[ident] = span
    return spans


def _check_inside(span: _Span, year: _Span) -> Iterator[ImportProblem]:
    if year.start <= span.start and span.end <= year.end:
        return
    name = "start" if span.start < year.start else "end"
    if span.record is not None:
        yield span.record.problem(name, f"{span} 不在{year}之内")
    elif year.record is not None:
        yield year.record.problem(name, f"数据库中已有的{span}将不在{year}之内")


def _check_years_apart(years: dict[str, Record], existing: Existing) -> Iterator[ImportProblem]:
    """Academic years must not overlap one another (the file's and the database's)."""
    spans = {k: _Span(f"学年 {k}", y.start_on, y.end_on, None) for k, y in existing.years.items()}
    for key, record in years.items():
        span = _span(f"学年 {key}", record)
        if span is not None:
            spans[key] = span
    ordered = sorted(spans.values(), key=lambda s: s.start)
    for earlier, later in pairwise(ordered):
        if later.start <= earlier.end:
            yield from _blame(earlier, later, f"{later} 与 {earlier} 时间重叠")


def _blame(earlier: _Span, later: _Span, message: str) -> Iterator[ImportProblem]:
    """Report an overlap on the later span's start, or the earlier one's end if only it is new."""
    if later.record is not None:
        yield later.record.problem("start", message)
    elif earlier.record is not None:
        yield earlier.record.problem("end", message)
