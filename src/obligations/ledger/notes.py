"""What a unit writes into its ledger: per-item narrative and measures, and the year's figures.

Stored apart from the composed text, so regenerating the ledger never loses them. Writing
checks that the acting principal may write the unit's ledger
(:func:`obligations.accounts.access.can_edit_ledger`). Every change is written with its audit
entry in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

import obligations.audit as audit
from obligations.accounts import access
from obligations.accounts.access import Principal
from obligations.errors import InvalidRequest, NotFound
from obligations.ledger.figures import FigureSpec, figure_problem, figure_specs
from obligations.lookup import find_unit
from obligations.models import EvidenceRecord, LedgerFigure, LedgerNote, Organization
from obligations.rules.catalog import Catalog

MAX_TEXT = 4000
ACTION_NOTES = "ledger.notes"
ACTION_FIGURES = "ledger.figures"


def set_note(
    session: Session,
    catalog: Catalog,
    *,
    unit_code: str,
    item_id: str,
    year: int,
    narrative: str | None,
    measures: str | None,
    by: Principal,
    now: datetime,
) -> LedgerNote:
    """Write the narrative and/or the measures of an item; ``None`` leaves a field as it is,
    an empty text clears it. Raises ``NotFound`` for a unit ``by`` cannot see, ``Forbidden``
    unless ``by`` writes its ledger, ``InvalidRequest`` for an unknown item or a long text."""
    unit = _writable_unit(session, by, unit_code)
    actor = by.actor
    _known_item(catalog, item_id)
    for label, text in (("落实情况", narrative), ("措施", measures)):
        if text is not None and len(text) > MAX_TEXT:
            raise InvalidRequest(f"{label}过长（{len(text)} 字），最多 {MAX_TEXT} 字")
    note = session.scalar(
        select(LedgerNote).where(
            LedgerNote.unit_id == unit.id,
            LedgerNote.ledger_item == item_id,
            LedgerNote.year == year,
        )
    )
    before = _note_snapshot(note) if note else None
    if note is None:
        note = LedgerNote(unit_id=unit.id, ledger_item=item_id, year=year)
        session.add(note)
    if narrative is not None:
        note.narrative = narrative.strip() or None
    if measures is not None:
        note.measures = measures.strip() or None
    note.updated_by, note.updated_at = actor, now
    session.flush()
    audit.record(
        session,
        now=now,
        actor=actor,
        action=ACTION_NOTES,
        entity="ledger_note",
        entity_id=note.id,
        unit_id=unit.id,
        before=before,
        after=_note_snapshot(note),
    )
    return note


def parse_value(spec: FigureSpec, text: str) -> Decimal:
    try:
        value = Decimal(text.strip().removesuffix("%"))
    except InvalidOperation:
        raise InvalidRequest(f"{spec.label}的值“{text}”不是数字") from None
    if not value.is_finite():
        raise InvalidRequest(f"{spec.label}的值“{text}”不是数字")
    problem = figure_problem(spec, value)
    if problem:
        raise InvalidRequest(problem)
    return value


def set_figures(
    session: Session,
    catalog: Catalog,
    *,
    unit_code: str,
    year: int,
    values: Mapping[str, str],
    evidence: Mapping[str, int] | None = None,
    by: Principal,
    now: datetime,
) -> list[LedgerFigure]:
    """Record figures (key -> value as typed) and optionally the record backing each. The
    same access as :func:`set_note`."""
    unit = _writable_unit(session, by, unit_code)
    actor = by.actor
    specs = figure_specs(catalog.indicators)
    evidence = evidence or {}
    for key in (*values, *evidence):
        if key not in specs:
            known = "；".join(f"{k}（{s.label}）" for k, s in specs.items())
            raise InvalidRequest(f"没有名为 {key} 的指标数据；可填：{known}")
    parsed = {key: parse_value(specs[key], text) for key, text in values.items()}
    for key, record_id in evidence.items():
        record = session.get(EvidenceRecord, record_id)
        if record is None or record.unit_id != unit.id:
            raise NotFound(f"本单位没有编号为 {record_id} 的佐证材料（用于 {specs[key].label}）")
    existing = {
        figure.key: figure
        for figure in session.scalars(
            select(LedgerFigure).where(LedgerFigure.unit_id == unit.id, LedgerFigure.year == year)
        )
    }
    before = {key: _figure_snapshot(f) for key, f in existing.items()}
    changed = []
    for key in dict.fromkeys([*parsed, *evidence]):
        figure = existing.get(key)
        if figure is None:
            if key not in parsed:
                raise InvalidRequest(f"请先填写{specs[key].label}的数值，再关联佐证材料")
            figure = LedgerFigure(unit_id=unit.id, year=year, key=key)
            session.add(figure)
        if key in parsed:
            figure.value = parsed[key]
        if key in evidence:
            figure.evidence_record_id = evidence[key]
        figure.updated_by, figure.updated_at = actor, now
        changed.append(figure)
    session.flush()
    audit.record(
        session,
        now=now,
        actor=actor,
        action=ACTION_FIGURES,
        entity="ledger_figure",
        entity_id=None,
        unit_id=unit.id,
        before={"year": year, "figures": before},
        after={"year": year, "figures": {f.key: _figure_snapshot(f) for f in changed}},
    )
    return changed


def list_figures(session: Session, *, unit_code: str, year: int) -> list[LedgerFigure]:
    unit = find_unit(session, unit_code)
    return list(
        session.scalars(
            select(LedgerFigure)
            .where(LedgerFigure.unit_id == unit.id, LedgerFigure.year == year)
            .order_by(LedgerFigure.key)
        )
    )


def list_notes(session: Session, *, unit_code: str, year: int) -> dict[str, LedgerNote]:
    """The unit's notes of ``year`` by ledger item."""
    unit = find_unit(session, unit_code)
    notes = session.scalars(
        select(LedgerNote).where(LedgerNote.unit_id == unit.id, LedgerNote.year == year)
    )
    return {note.ledger_item: note for note in notes}


def _writable_unit(session: Session, by: Principal, unit_code: str) -> Organization:
    unit = access.require_unit(session, by, unit_code)
    access.require_can_edit_ledger(by, unit)
    return unit


def _known_item(catalog: Catalog, item_id: str) -> None:
    items = [item.id for item in catalog.items]
    if item_id not in items:
        raise InvalidRequest(f"台账中没有条目 {item_id}；现有条目：{'、'.join(items)}")


def _note_snapshot(note: LedgerNote) -> dict[str, object]:
    return {
        "ledger_item": note.ledger_item,
        "year": note.year,
        "narrative": note.narrative,
        "measures": note.measures,
    }


def _figure_snapshot(figure: LedgerFigure) -> dict[str, object]:
    return {"value": str(figure.value), "evidence_record_id": figure.evidence_record_id}
