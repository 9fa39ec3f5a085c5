"""What a unit writes into its year-end ledger: per-item notes and the year's measured figures.

Both survive regeneration of the ledger: the composed text is derived each time, these rows
are the unit's own input. Figures may point to the evidence record that backs them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from obligations.models.base import Base, intpk
from obligations.models.evidence import EvidenceRecord
from obligations.models.org import Organization


class LedgerNote(Base):
    """A unit's narrative (落实情况) and measures (措施) for one ledger item and year."""

    __tablename__ = "ledger_note"
    __table_args__ = (UniqueConstraint("unit_id", "ledger_item", "year"),)

    id: Mapped[intpk]
    unit_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    ledger_item: Mapped[str] = mapped_column(String(8))
    year: Mapped[int]
    narrative: Mapped[str | None] = mapped_column(Text)
    measures: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime]

    unit: Mapped[Organization] = relationship()


class LedgerFigure(Base):
    """One measured figure of a unit for a year (e.g. activists, training hours)."""

    __tablename__ = "ledger_figure"
    __table_args__ = (UniqueConstraint("unit_id", "year", "key"),)

    id: Mapped[intpk]
    unit_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    year: Mapped[int]
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    evidence_record_id: Mapped[int | None] = mapped_column(ForeignKey("evidence_record.id"))
    updated_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime]

    unit: Mapped[Organization] = relationship()
    evidence_record: Mapped[EvidenceRecord | None] = relationship()
