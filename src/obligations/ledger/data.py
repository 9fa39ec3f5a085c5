"""Read what a unit's ledger is composed from: the tasks whose period overlaps the ledger's with
their records, standing evidence, the unit's committee, its notes and figures.

Records are read whatever their review state (returned material is reported as returned), never
once withdrawn. Everything comes back as plain facts, plus one :class:`EvidenceUse` per file of
a counting record behind the ledger (for the evidence bundle).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVarTuple

from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import Session, aliased

from obligations.ledger.catalogue import EvidenceUse
from obligations.ledger.checks import Holder, UnitFacts
from obligations.ledger.facts import RuleFacts, TaskFact
from obligations.ledger.figures import FigureFact
from obligations.ledger.items import StandingFact
from obligations.ledger.period import LedgerPeriod
from obligations.ledger.records import (
    STANDING_LABEL,
    LoadedRecord,
    file_uses,
    held_in,
    record_fact,
    task_label,
)
from obligations.ledger.text import short_branch_name
from obligations.models import (
    EvidenceFile,
    EvidenceRecord,
    LedgerFigure,
    LedgerNote,
    Organization,
    Person,
    RoleAssignment,
    Task,
)
from obligations.rules.catalog import Catalog
from obligations.rules.schema import Rule, Scope
from obligations.tasks.status import TaskStatus, task_status
from obligations.timeutil import local_date
from obligations.vocabulary import EvidenceKind, OrgKind

_Ts = TypeVarTuple("_Ts")
__all__ = ["EvidenceUse", "UnitLedgerData", "college_name", "load_unit_data"]


@dataclass
class UnitLedgerData:
    unit: Organization
    unit_facts: UnitFacts
    rules_by_item: dict[str, list[RuleFacts]] = field(default_factory=dict)
    standing_by_item: dict[str, list[StandingFact]] = field(default_factory=dict)
    notes: dict[str, LedgerNote] = field(default_factory=dict)
    figures: dict[str, FigureFact] = field(default_factory=dict)
    evidence: list[EvidenceUse] = field(default_factory=list)
    statuses: list[TaskStatus] = field(default_factory=list)


def college_name(session: Session, unit: Organization) -> str:
    """The name of the college the unit belongs to (学校名称), or empty."""
    current: Organization | None = unit
    while current is not None:
        if current.kind is OrgKind.COLLEGE:
            return current.name
        current = current.parent
    return ""


def load_unit_data(
    session: Session, catalog: Catalog, unit: Organization, period: LedgerPeriod, today: date
) -> UnitLedgerData:
    data = UnitLedgerData(unit=unit, unit_facts=_unit_facts(session, unit, period, today))
    _load_tasks(session, catalog, data, period, today)
    _load_standing(session, data, period)
    notes = session.scalars(
        select(LedgerNote).where(
            LedgerNote.unit_id == unit.id, LedgerNote.year == period.notes_year
        )
    )
    data.notes = {note.ledger_item: note for note in notes}
    figures = session.execute(
        select(LedgerFigure, EvidenceRecord.title)
        .outerjoin(EvidenceRecord, LedgerFigure.evidence_record_id == EvidenceRecord.id)
        .where(LedgerFigure.unit_id == unit.id, LedgerFigure.year == period.notes_year)
    )
    data.figures = {
        figure.key: FigureFact(figure.value, title, figure.evidence_record_id)
        for figure, title in figures
    }
    return data


def _unit_facts(
    session: Session, unit: Organization, period: LedgerPeriod, today: date
) -> UnitFacts:
    # Roles as they stand at the end of the period, or today for a period still running.
    day = min(period.end, today)
    holdings = session.execute(
        select(RoleAssignment.role, Person.name)
        .join(Person, RoleAssignment.person_id == Person.id)
        .where(
            RoleAssignment.organization_id == unit.id,
            RoleAssignment.start_on <= day,
            (RoleAssignment.end_on.is_(None)) | (RoleAssignment.end_on >= day),
        )
        .order_by(RoleAssignment.start_on, Person.code)
    )
    branches = session.scalar(
        select(func.count())
        .select_from(Organization)
        .where(Organization.parent_id == unit.id, Organization.kind == OrgKind.BRANCH)
    )
    return UnitFacts(
        kind=unit.kind,
        member_count=unit.member_count,
        term_start=unit.term_start,
        term_years=unit.term_years,
        holders=tuple(Holder(name, role) for role, name in holdings),
        branch_count=branches or 0,
    )


def _counting() -> tuple[Any, ...]:
    """Records the ledger reads: not withdrawn (rejected ones are reported as returned)."""
    return (EvidenceRecord.withdrawn_at.is_(None),)


def _rows(session: Session, statement: Select[*_Ts]) -> Sequence[Row[*_Ts]]:
    """The rows of a column ``select`` through the session's connection (flushed first, as its
    ``execute`` would): composing reads thousands of rows; the ORM's layer over each costs."""
    session.flush()
    return session.connection().execute(statement).all()


def _records(session: Session, *where: Any) -> list[LoadedRecord]:
    """Counting records matching ``where``, oldest activity first, with their files. Rows are
    unpacked, not read by name: a row's attribute costs twenty times its index."""
    records = {
        key: LoadedRecord(key, task, item, title, held, local_date(at), state, why, people)
        for key, task, item, title, held, at, state, why, people in _rows(
            session,
            select(
                EvidenceRecord.id,
                EvidenceRecord.task_id,
                EvidenceRecord.ledger_item,
                EvidenceRecord.title,
                EvidenceRecord.held_on,
                EvidenceRecord.recorded_at,
                EvidenceRecord.review_state,
                EvidenceRecord.review_reason,
                EvidenceRecord.participants,
            )
            .where(*where, *_counting())
            .order_by(EvidenceRecord.held_on, EvidenceRecord.id),
        )
    }
    files = _rows(
        session,
        select(
            EvidenceFile.record_id,
            EvidenceFile.id,
            EvidenceFile.position,
            EvidenceFile.sha256,
            EvidenceFile.size,
            EvidenceFile.original_name,
        )
        .join(EvidenceRecord, EvidenceFile.record_id == EvidenceRecord.id)
        .where(*where, *_counting())
        .order_by(EvidenceFile.record_id, EvidenceFile.position),
    )
    for row in files:
        records[row[0]].files.append(row)
    return list(records.values())


def _load_tasks(
    session: Session, catalog: Catalog, data: UnitLedgerData, period: LedgerPeriod, today: date
) -> None:
    org, unit = aliased(Organization), data.unit
    # Every task whose period overlaps the ledger's: what it reports is decided per record
    # (held inside the ledger's period) by :mod:`obligations.ledger.periodic`.
    in_period = (
        Task.unit_id == unit.id,
        Task.period_start <= period.end,
        Task.period_end >= period.start,
    )
    rows = _rows(
        session,
        select(
            Task.id,
            Task.rule_id,
            Task.ledger_item,
            Task.organization_id,
            Task.period_key,
            Task.period_start,
            Task.period_end,
            Task.opens_on,
            Task.due_on,
            Task.nominal_due_on,
            Task.min_count,
            Task.file_required,
            Task.waived_at.is_not(None),  # flags, not instants: fewer values to convert
            Task.waived_reason,
            Task.retired_at.is_not(None),
            org.name.label("org_name"),
            org.code.label("org_code"),
            Person.name.label("person_name"),
            Person.code.label("person_code"),
        )
        .join(org, Task.organization_id == org.id)
        .outerjoin(Person, Task.person_id == Person.id)
        .where(*in_period)
        .order_by(Task.period_start, org.code, Person.code, Task.id),
    )
    records: dict[int, list[LoadedRecord]] = defaultdict(list)
    for record in _records(session, EvidenceRecord.task_id.in_(select(Task.id).where(*in_period))):
        if record.task_id is not None:
            records[record.task_id].append(record)
    rules = {located.rule.id: located.rule for located in catalog.rules}
    ranks = {rule_id: n for n, rule_id in enumerate(rules)}
    by_rule: dict[str, list[TaskFact]] = defaultdict(list)
    items: dict[str, str] = {}
    branches: dict[str, str] = {}  # short names by full name
    for (
        task_id,
        rule_id,
        ledger_item,
        organization_id,
        period_key,
        period_start,
        period_end,
        opens_on,
        due_on,
        nominal_due_on,
        min_count,
        file_required,
        waived,
        waived_reason,
        retired,
        org_name,
        org_code,
        person_name,
        person_code,
    ) in rows:  # unpacked: see _records
        mine = records.get(task_id, [])
        status = task_status(
            opens_on=opens_on,
            due_on=due_on,
            nominal_due_on=nominal_due_on,
            min_count=min_count,
            recorded_on=[r.recorded_on for r in mine if r.qualifies(file_required)],
            today=today,
            due_soon_days=0,
            waived=bool(waived),
            retired=bool(retired),
        )
        data.statuses.append(status)
        own = organization_id == unit.id
        if not own and org_name not in branches:
            branches[org_name] = short_branch_name(org_name, unit.name)
        fact = TaskFact(
            task_id=task_id,
            period_key=period_key,
            period_start=period_start,
            period_end=period_end,
            due_on=due_on,
            min_count=min_count,
            status=status,
            records=tuple(record_fact(r) for r in mine),
            branch=None if own else branches[org_name],
            person=person_name,
            waived_reason=waived_reason,
            file_required=file_required,
        )
        by_rule[rule_id].append(fact)
        items.setdefault(rule_id, ledger_item)
        held = held_in(mine, period) if status is not TaskStatus.RETIRED else []
        if held:
            rule = rules.get(rule_id)
            owner = person_name or ("" if own else org_name)
            label = task_label(rule.title if rule else rule_id, period_key, owner)
            also = tuple(rule.also_items) if rule else ()
            place = (ranks.get(rule_id, len(ranks)), person_code or ("" if own else org_code))
            data.evidence.extend(file_uses(held, also, label, place))
    _group_rules(catalog, data, by_rule, items)


def _group_rules(
    catalog: Catalog,
    data: UnitLedgerData,
    by_rule: dict[str, list[TaskFact]],
    items: dict[str, str],
) -> None:
    """RuleFacts per ledger item, in catalog order; a rule the unit owes but that has nothing
    due in the period still gets its line."""
    seen: set[str] = set()
    for located in catalog.rules:
        rule = located.rule
        seen.add(rule.id)
        tasks = by_rule.get(rule.id, [])
        if not tasks and _owes_nothing(rule, data):
            continue
        meeting = EvidenceKind.MINUTES in rule.evidence_kinds
        facts = RuleFacts(rule.id, rule.title, rule.scope, tuple(tasks), meeting=meeting)
        data.rules_by_item.setdefault(rule.ledger_item, []).append(facts)
        for item in rule.also_items:
            also = dataclasses.replace(facts, see_item=rule.ledger_item)
            data.rules_by_item.setdefault(item, []).append(also)
    # Tasks of a rule no longer in the catalog: history, shown under their own item.
    for rule_id, tasks in by_rule.items():
        if rule_id not in seen:
            facts = RuleFacts(rule_id, rule_id, Scope.UNIT, tuple(tasks))
            data.rules_by_item.setdefault(items[rule_id], []).append(facts)


def _owes_nothing(rule: Rule, data: UnitLedgerData) -> bool:
    if not rule.enabled or data.unit.kind not in rule.applies_to:
        return True
    # A general branch without branches owes no branch tasks (a direct branch acts as its own).
    no_branches = data.unit_facts.branch_count == 0 and data.unit.kind is OrgKind.GENERAL_BRANCH
    if rule.in_branches and data.unit_facts.branch_count == 0:
        return True  # the branches' role holders: a unit without branches has none
    return rule.scope is Scope.BRANCH and no_branches


def _load_standing(session: Session, data: UnitLedgerData, period: LedgerPeriod) -> None:
    for record in _records(
        session,
        EvidenceRecord.unit_id == data.unit.id,
        EvidenceRecord.task_id.is_(None),
        EvidenceRecord.held_on >= period.start,
        EvidenceRecord.held_on <= period.end,
    ):
        review, reason = record.review_state, record.review_reason or ""
        fact = StandingFact(
            record.id, record.title, record.held_on, len(record.files), review, reason
        )
        data.standing_by_item.setdefault(record.ledger_item, []).append(fact)
        if record.counts:
            data.evidence.extend(file_uses([record], (), STANDING_LABEL))
