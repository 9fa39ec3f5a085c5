"""Evidence records as the ledger reads them (:class:`LoadedRecord`, plain values: composing
reads thousands and ORM objects cost too much) and what it makes of them: the facts its cells
are worded from (:func:`record_fact`) and the uses of their files that the evidence catalogue
numbers (:func:`file_uses`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Row

from obligations.ledger.catalogue import STANDING_RANK, EvidenceUse
from obligations.ledger.facts import RecordFact
from obligations.ledger.period import LedgerPeriod
from obligations.rules.periods import period_text
from obligations.tasks.status import qualifies
from obligations.vocabulary import ReviewState

STANDING_LABEL = "常备材料"


@dataclass(slots=True)
class LoadedRecord:
    """A counting record as plain values: composing reads thousands, ORM objects cost too much."""

    id: int
    task_id: int | None
    ledger_item: str
    title: str
    held_on: date
    recorded_on: date
    review_state: ReviewState
    review_reason: str | None
    participants: int | None
    files: list[Row[*tuple[Any, ...]]] = field(default_factory=list)  # record, id, position...

    @property
    def counts(self) -> bool:
        return self.review_state is not ReviewState.REJECTED

    def qualifies(self, file_required: bool) -> bool:
        """Whether it counts towards its task (:func:`qualifies`: read not withdrawn)."""
        return qualifies(
            withdrawn=False,
            rejected=not self.counts,
            has_file=bool(self.files),
            file_required=file_required,
        )


def record_fact(record: LoadedRecord) -> RecordFact:
    """The record as the cells' wording reads it."""
    return RecordFact(
        record_id=record.id,
        title=record.title,
        held_on=record.held_on,
        recorded_on=record.recorded_on,
        files=len(record.files),
        review=record.review_state,
        reason=record.review_reason or "",
        participants=record.participants,
    )


@functools.lru_cache(maxsize=4096)
def _period_words(period_key: str) -> str:
    """:func:`period_text`, kept: a ledger names a few dozen periods hundreds of times."""
    return period_text(period_key)


def held_in(records: list[LoadedRecord], period: LedgerPeriod) -> list[LoadedRecord]:
    """The records that count and were held inside the ledger's period (the bundle's files)."""
    return [r for r in records if r.counts and period.start <= r.held_on <= period.end]


def task_label(title: str, period_key: str, owner: str) -> str:
    """What a file was for: the rule's title, the period in words and the branch or person."""
    when = _period_words(period_key)
    return f"{title}（{when}，{owner}）" if owner else f"{title}（{when}）"


def file_uses(
    records: list[LoadedRecord],
    also: tuple[str, ...],
    label: str,
    place: tuple[int, str] = (STANDING_RANK, ""),
) -> list[EvidenceUse]:
    """One use per file of ``records``; ``place`` is the rule's rank in the catalog and the
    owner's code, which order the evidence catalogue (:mod:`obligations.ledger.catalogue`)."""
    rank, owner = place
    return [  # positional: EvidenceUse's field order (a ledger makes a few thousand)
        EvidenceUse(
            record.ledger_item,
            also,
            label,
            record.id,
            record.title,
            record.held_on,
            record.recorded_on,
            record.review_state,
            file_id,
            position,
            sha256,
            size,
            name,
            rank,
            owner,
        )
        for record in records
        for _, file_id, position, sha256, size, name in record.files
    ]
