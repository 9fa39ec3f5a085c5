"""Evidence records and their files, review, and the append-only audit log.

A record belongs to a task, or directly to a ledger item of a unit for a year (standing
evidence). Records are never deleted: they are withdrawn with a reason. Files are blobs in the
content-addressed store, named here by their SHA-256.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from obligations.models.base import Base, intpk
from obligations.models.org import Organization
from obligations.models.tasks import Task
from obligations.vocabulary import EvidenceKind, ReviewState


class EvidenceRecord(Base):
    __tablename__ = "evidence_record"
    __table_args__ = (
        Index("ix_evidence_record_unit_item_year", "unit_id", "ledger_item", "year"),
        # The review inbox and its count in the header: the pending records of a unit, or of
        # every unit, oldest first (migrations 0014, 0019).
        Index(
            "ix_evidence_record_pending",
            "unit_id",
            "recorded_at",
            sqlite_where=text("review_state = 'PENDING' AND withdrawn_at IS NULL"),
            postgresql_where=text("review_state = 'PENDING' AND withdrawn_at IS NULL"),
        ),
    )

    id: Mapped[intpk]
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    ledger_item: Mapped[str] = mapped_column(String(8))
    year: Mapped[int]  # the calendar year of held_on: standing evidence is filed by year
    title: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date]
    kind: Mapped[EvidenceKind] = mapped_column(Enum(EvidenceKind, native_enum=False, length=16))
    participants: Mapped[int | None]
    hours: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime]
    review_state: Mapped[ReviewState] = mapped_column(
        Enum(ReviewState, native_enum=False, length=16)
    )
    review_reason: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(String(100))
    reviewed_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by: Mapped[str | None] = mapped_column(String(100))
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)

    task: Mapped[Task | None] = relationship()
    unit: Mapped[Organization] = relationship()
    files: Mapped[list[EvidenceFile]] = relationship(
        back_populates="record", order_by="EvidenceFile.position"
    )

    @property
    def counts(self) -> bool:
        """Not withdrawn, not rejected (its period is checked on entry). Whether it counts
        towards its task also needs a file where the task requires one
        (``obligations.tasks.status.qualifies``)."""
        return self.withdrawn_at is None and self.review_state is not ReviewState.REJECTED


class EvidenceFile(Base):
    __tablename__ = "evidence_file"
    __table_args__ = (Index("ix_evidence_file_sha256", "sha256"),)

    id: Mapped[intpk]
    record_id: Mapped[int] = mapped_column(ForeignKey("evidence_record.id"), index=True)
    position: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    media_type: Mapped[str] = mapped_column(String(100))
    original_name: Mapped[str] = mapped_column(String(255))

    record: Mapped[EvidenceRecord] = relationship(back_populates="files")


class AuditEntry(Base):
    """One change: who, when, what, before and after. Rows are only ever inserted; the
    migration adds database triggers that refuse UPDATE and DELETE."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_unit_at", "unit_id", "at"),
        Index("ix_audit_entry_at", "at"),
    )

    id: Mapped[intpk]
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None]
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
