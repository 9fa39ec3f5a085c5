"""The review inbox: the evidence records waiting for review (待审核) that a reviewer may
decide, oldest first, with the names a reviewer reads them by, and their count for the header.

Who reviews what is :func:`obligations.accounts.access.review_clause` (the organization
department every unit, a unit manager their own unit); deciding goes through
:func:`obligations.evidence.records.review`, like every other door. A record waits while it
is pending and not withdrawn; accepting, returning or withdrawing it takes it out.

Both questions are answered along ``ix_evidence_record_pending`` (review state, unit,
recorded at): the header's count is one COUNT over the pending rows of one's scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, select
from sqlalchemy.orm import Session, aliased, selectinload

from obligations.accounts import access
from obligations.accounts.access import Principal
from obligations.models import EvidenceRecord, Organization, Person, Task, User
from obligations.rules.catalog import Catalog
from obligations.vocabulary import EvidenceKind, ReviewState

PAGE_ROWS = 20  # records a page: each carries its files and its decision form


@dataclass(frozen=True)
class InboxFile:
    """One file of a waiting record: its number in the record, original name and size."""

    position: int
    name: str
    size: int  # bytes


@dataclass(frozen=True)
class InboxRow:
    """A record waiting for review, named as its reviewer reads it (no ids but the record's
    own, which its form posts to). ``task_id`` is None for standing evidence (a ledger item
    of a year), ``branch`` None for the unit's own task, ``person`` None unless a person's."""

    record_id: int
    unit_code: str
    unit_name: str
    branch: str | None
    person: str | None
    ledger_item: str
    item_name: str
    task_id: int | None
    task_title: str | None
    period_key: str | None  # the task's period; standing evidence: None (see ``year``)
    year: int
    recorded_by: str  # the uploader's display name (the operator's name for the CLI)
    recorded_at: datetime  # UTC
    title: str
    held_on: date
    kind: EvidenceKind
    participants: int | None
    hours: Decimal | None
    notes: str | None
    files: tuple[InboxFile, ...]


@dataclass(frozen=True)
class UnitCount:
    """A unit with records waiting, for the inbox's unit filter."""

    code: str
    name: str
    pending: int


@dataclass(frozen=True)
class InboxPage:
    """One page of the inbox: its rows, how many wait in all (under the filter), the page's
    number (clamped to the last page) and the number of pages (at least 1)."""

    rows: list[InboxRow]
    total: int
    number: int
    pages: int
    units: list[UnitCount]


def pending_clause(principal: Principal) -> ColumnElement[bool]:
    """The records waiting for ``principal``'s review: pending, not withdrawn, in scope. The
    state is written into the SQL, not bound, so that a planner preparing the statement once
    for any value (PostgreSQL's generic plans) still sees the condition of the partial index
    ``ix_evidence_record_pending``."""
    return and_(
        EvidenceRecord.review_state
        == bindparam(
            None, ReviewState.PENDING, type_=EvidenceRecord.review_state.type, literal_execute=True
        ),
        EvidenceRecord.withdrawn_at.is_(None),
        access.review_clause(principal),
    )


def pending_count(session: Session, principal: Principal) -> int:
    """How many records wait for ``principal``'s review (0 for one who reviews nothing):
    one COUNT query, for the header's badge on every page."""
    if not access.reviews_any(principal):
        return 0
    return session.scalar(_pending_count_query(principal)) or 0


@lru_cache(maxsize=256)
def _pending_count_query(principal: Principal) -> Select[int]:
    """:func:`pending_count`'s query, built once per principal and kept: every page asks it."""
    return select(func.count()).select_from(EvidenceRecord).where(pending_clause(principal))


def inbox_page(
    session: Session,
    catalog: Catalog,
    principal: Principal,
    *,
    unit_code: str = "",
    page: int = 1,
    rows_per_page: int = PAGE_ROWS,
) -> InboxPage:
    """Page ``page`` (from 1; past the end: the last page) of the records waiting for
    ``principal``'s review, oldest upload first (then by id), optionally of one unit.

    Raises ``Forbidden`` for a principal who reviews nothing (branch secretaries, viewers),
    ``NotFound`` for a unit code outside their scope."""
    access.require_reviews_any(principal)
    where = pending_clause(principal)
    if unit_code:
        unit = access.require_unit(session, principal, unit_code)
        where = and_(where, EvidenceRecord.unit_id == unit.id)
    total = session.scalar(select(func.count()).select_from(EvidenceRecord).where(where)) or 0
    pages = max(1, -(-total // rows_per_page))
    number = min(max(page, 1), pages)
    branch, owner = aliased(Organization), aliased(Person)
    query = (
        select(EvidenceRecord, Organization, Task, branch, owner)
        .join(Organization, Organization.id == EvidenceRecord.unit_id)
        .outerjoin(Task, Task.id == EvidenceRecord.task_id)
        .outerjoin(branch, and_(branch.id == Task.organization_id, branch.id != Task.unit_id))
        .outerjoin(owner, owner.id == Task.person_id)
        .where(where)
        .options(selectinload(EvidenceRecord.files))
        .order_by(EvidenceRecord.recorded_at, EvidenceRecord.id)
        .limit(rows_per_page)
        .offset((number - 1) * rows_per_page)
    )
    found = session.execute(query).all()
    names = _uploaders(session, [record.recorded_by for record, *_ in found])
    rows = [
        _row(catalog, names, record, unit, task, org, person)
        for record, unit, task, org, person in found
    ]
    return InboxPage(rows, total, number, pages, _unit_counts(session, principal))


def _row(
    catalog: Catalog,
    names: dict[str, str],
    record: EvidenceRecord,
    unit: Organization,
    task: Task | None,
    branch: Organization | None,
    person: Person | None,
) -> InboxRow:
    return InboxRow(
        record_id=record.id,
        unit_code=unit.code,
        unit_name=unit.name,
        branch=branch.name if branch is not None else None,
        person=person.name if person is not None else None,
        ledger_item=record.ledger_item,
        item_name=_item_name(catalog, record.ledger_item),
        task_id=task.id if task is not None else None,
        task_title=_rule_title(catalog, task.rule_id) if task is not None else None,
        period_key=task.period_key if task is not None else None,
        year=record.year,
        recorded_by=names.get(record.recorded_by, record.recorded_by),
        recorded_at=record.recorded_at,
        title=record.title,
        held_on=record.held_on,
        kind=record.kind,
        participants=record.participants,
        hours=record.hours,
        notes=record.notes,
        files=tuple(InboxFile(f.position, f.original_name, f.size) for f in record.files),
    )


def _uploaders(session: Session, actors: list[str]) -> dict[str, str]:
    """Display names by audit actor (``web:NAME`` for a web user, see ``Principal.actor``)."""
    usernames = {a.removeprefix("web:") for a in actors if a.startswith("web:")}
    if not usernames:
        return {}
    found = session.execute(
        select(User.username, User.display_name).where(User.username.in_(usernames))
    )
    return {f"web:{username}": name for username, name in found}


def _unit_counts(session: Session, principal: Principal) -> list[UnitCount]:
    query = (
        select(Organization.code, Organization.name, func.count(EvidenceRecord.id))
        .join(Organization, Organization.id == EvidenceRecord.unit_id)
        .where(pending_clause(principal))
        .group_by(Organization.code, Organization.name)
        .order_by(Organization.code)
    )
    return [UnitCount(code, name, count) for code, name, count in session.execute(query)]


def _item_name(catalog: Catalog, item_id: str) -> str:
    try:
        return catalog.item(item_id).name
    except KeyError:
        return ""


def _rule_title(catalog: Catalog, rule_id: str) -> str:
    try:
        return catalog.rule(rule_id).title
    except KeyError:
        return "（规则已从目录中删除）"
