"""The evidence catalogue (佐证材料目录): every file behind a ledger, numbered once.

The ledger's cells cite the catalogue by its 序号 (目录第12—23项) and the evidence bundle
writes the catalogue with the same numbers, so both take them from :func:`catalogue_order`, a
pure function of the composed ledger's evidence and its item order. Files are ordered by the
form's items, then by the rule they serve (in catalog order, standing material last), then by
the branch or person owing the task, then by the date held: a rule's files (and a branch's
files under a rule) are consecutive numbers, so a cell cites them as one range.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from obligations.vocabulary import ReviewState

STANDING_RANK = 1_000_000  # standing material comes after every rule of its item


@dataclass(frozen=True, slots=True)
class EvidenceUse:
    """One evidence file as the ledger uses it: under its record's item, for a task or standing."""

    item_id: str
    also_items: tuple[str, ...]
    use: str  # the task (rule, period, branch or person) or 常备材料
    record_id: int
    record_title: str
    held_on: date
    recorded_on: date
    review_state: ReviewState
    file_id: int
    position: int
    sha256: str
    size: int
    original_name: str
    rule_rank: int = STANDING_RANK  # the rule's place in the catalog; standing material last
    owner_code: str = ""  # the branch's or the person's code; empty for the unit's own task


@dataclass(frozen=True, slots=True)
class CatalogueRow:
    number: int  # 序号, from 1
    use: EvidenceUse


def catalogue_order(uses: Iterable[EvidenceUse], item_order: Sequence[str]) -> list[CatalogueRow]:
    """The catalogue's rows, numbered from 1: ``uses`` ordered by their item's place in
    ``item_order`` (the form's items; unknown items last, by id), the rule, the owner, the
    date held, the record and the file's position. Pure and deterministic: the same ledger
    always numbers its files the same way."""
    rank = {item_id: n for n, item_id in enumerate(item_order)}
    unknown = len(rank)
    ordered = sorted(
        uses,
        key=lambda u: (
            rank.get(u.item_id, unknown),
            u.item_id if u.item_id not in rank else "",
            u.rule_rank,
            u.owner_code,
            u.held_on,
            u.record_id,
            u.position,
        ),
    )
    return [CatalogueRow(number, use) for number, use in enumerate(ordered, start=1)]


def numbers_by_record(rows: Iterable[CatalogueRow]) -> dict[int, tuple[int, ...]]:
    """Record id -> the 序号 of its files in the catalogue (records without files: absent)."""
    numbers: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        numbers[row.use.record_id].append(row.number)
    return {record_id: tuple(found) for record_id, found in numbers.items()}


def numbers_of(catalogue: Mapping[int, Sequence[int]], record_ids: Iterable[int]) -> list[int]:
    """The 序号 of the files of ``record_ids``, sorted, each once."""
    return sorted({n for record_id in record_ids for n in catalogue.get(record_id, ())})
