"""Compose a unit's year-end ledger (台账) from what was recorded in the period.

The CLI and the web call :func:`compose_unit_ledger` (or the shorter :func:`compose_ledger` and
:func:`ledger_document_for`); the wording and the verdicts are decided in
:mod:`obligations.ledger.items` and its siblings, from facts read by
:mod:`obligations.ledger.data`.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from obligations.ledger.catalogue import (
    CatalogueRow,
    EvidenceUse,
    catalogue_order,
    numbers_by_record,
)
from obligations.ledger.data import UnitLedgerData, college_name, load_unit_data
from obligations.ledger.document import LedgerDocument, LedgerRow, Verdict, empty_document
from obligations.ledger.facts import Window
from obligations.ledger.items import ItemInputs, compose_item
from obligations.ledger.period import LedgerPeriod, calendar_year, date_range
from obligations.ledger.periodic import Catalogue
from obligations.lookup import find_unit
from obligations.models import Organization
from obligations.rules.catalog import Catalog
from obligations.rules.schema import Check, Indicator, Metric
from obligations.tasks.status import TaskStatus


@dataclass(frozen=True)
class ComposedLedger:
    """A unit's ledger with what the summary and the evidence bundle need besides the text."""

    unit_code: str
    unit_name: str
    period: LedgerPeriod
    document: LedgerDocument
    overdue: int  # tasks due in the period, missed
    late: int  # tasks done after their due date
    catalogue: tuple[CatalogueRow, ...]  # 佐证材料目录: every file behind the ledger, numbered

    @property
    def evidence(self) -> tuple[EvidenceUse, ...]:
        """The uses of evidence files, in the catalogue's order."""
        return tuple(row.use for row in self.catalogue)

    def count(self, verdict: Verdict) -> int:
        return sum(1 for row in self.document.rows if row.verdict is verdict)


def compose_unit_ledger(
    session: Session,
    catalog: Catalog,
    *,
    unit_code: str,
    period: LedgerPeriod,
    today: date,
    school_name: str | None = None,
) -> ComposedLedger:
    """The ledger of ``unit_code`` over ``period`` as of ``today`` (also the 填表日期).

    ``school_name`` defaults to the name of the college the unit belongs to.
    """
    unit = find_unit(session, unit_code)
    data = load_unit_data(session, catalog, unit, period, today)
    skeleton = empty_document(
        catalog.ledger,
        school_name=college_name(session, unit) if school_name is None else school_name,
        unit_name=unit.name,
        filled_on=today,
        period_label=period.label,
    )
    skeleton = dataclasses.replace(skeleton, title=form_title(skeleton.title, skeleton.school_name))
    indicators = {indicator.item: indicator for indicator in catalog.indicators}
    # One numbering of the evidence files for the cells' citations and the bundle's catalogue.
    catalogue = catalogue_order(data.evidence, [row.item_id for row in skeleton.rows])
    numbers = numbers_by_record(catalogue)
    rows = [
        _row(row, catalog, data, indicators.get(row.item_id), period, numbers)
        for row in skeleton.rows
    ]
    statuses = Counter(data.statuses)
    return ComposedLedger(
        unit_code=unit.code,
        unit_name=unit.name,
        period=period,
        document=dataclasses.replace(skeleton, rows=rows),
        overdue=statuses[TaskStatus.OVERDUE],
        late=statuses[TaskStatus.DONE_LATE],
        catalogue=tuple(catalogue),
    )


def compose_ledger(
    session: Session,
    catalog: Catalog,
    *,
    unit_code: str,
    start: date,
    end: date,
    today: date,
    school_name: str | None = None,
) -> LedgerDocument:
    """The ledger document for a date range (a whole calendar year is labelled 2026年度)."""
    return compose_unit_ledger(
        session,
        catalog,
        unit_code=unit_code,
        period=period_between(start, end),
        today=today,
        school_name=school_name,
    ).document


def ledger_document_for(
    session: Session, catalog: Catalog, unit_code: str, year: int, today: date
) -> LedgerDocument:
    """The calendar-year ledger of a unit, as the web's ledger page shows it."""
    return compose_unit_ledger(
        session, catalog, unit_code=unit_code, period=calendar_year(year), today=today
    ).document


def period_between(start: date, end: date) -> LedgerPeriod:
    if start == date(start.year, 1, 1) and end == date(start.year, 12, 31):
        return calendar_year(start.year)
    return date_range(start, end)


def unit_codes(session: Session, period: LedgerPeriod | None = None) -> list[str]:
    """Every unit (党总支, 直属党支部) by code; with ``period``, those active during it."""
    query = select(Organization).order_by(Organization.code)
    if period is not None:
        query = query.where(
            (Organization.active_from.is_(None)) | (Organization.active_from <= period.end),
            (Organization.active_until.is_(None)) | (Organization.active_until >= period.start),
        )
    return [org.code for org in session.scalars(query) if org.kind.is_unit]


def _not_applicable(catalog: Catalog, item_id: str, data: UnitLedgerData) -> str:
    """For a periodic item whose rules all name other kinds of unit (4.1 民主生活会 is the
    党总支's), what the cell says; else empty."""
    rules = [r.rule for r in catalog.rules if r.rule.ledger_item == item_id and r.rule.enabled]
    if not rules or data.rules_by_item.get(item_id):
        return ""
    kind = data.unit.kind
    if any(kind in rule.applies_to for rule in rules):
        return ""
    owners = "、".join(dict.fromkeys(k.label for rule in rules for k in rule.applies_to))
    return f"本项标准由{owners}落实，本单位为{kind.label}，不适用"


def form_title(title: str, school_name: str) -> str:
    """The form's title for the college: the template's college name (what precedes
    党总支（直属党支部）) replaced by ``school_name``."""
    marker = title.find("党总支")
    if not school_name or marker <= 0:
        return title
    return school_name + title[marker:]


def _row(
    row: LedgerRow,
    catalog: Catalog,
    data: UnitLedgerData,
    indicator: Indicator | None,
    period: LedgerPeriod,
    numbers: Catalogue,
) -> LedgerRow:
    item = catalog.item(row.item_id)
    note = data.notes.get(row.item_id)
    metrics: list[Metric] = list(indicator.metrics) if indicator else []
    checks: list[Check] = list(indicator.checks) if indicator else []
    inputs = ItemInputs(
        item=item,
        rules=data.rules_by_item.get(row.item_id, []),
        metrics=metrics,
        checks=checks,
        expected_evidence=indicator.expected_evidence if indicator else [],
        standing=data.standing_by_item.get(row.item_id, []),
        narrative=(note.narrative or "") if note else "",
        measures=(note.measures or "") if note else "",
        not_applicable=_not_applicable(catalog, row.item_id, data),
        catalogue=numbers,
    )
    window = Window(period.start, period.end, period.plain_year)
    outcome = compose_item(
        inputs, data.unit_facts, data.figures, plain_year=period.plain_year, window=window
    )
    return dataclasses.replace(
        row,
        implementation=outcome.implementation,
        verdict=outcome.verdict,
        gaps=outcome.gaps,
        gap_details=outcome.gap_details,
        cited=tuple(sorted({n for part in outcome.parts for n in part.cited})),
    )
