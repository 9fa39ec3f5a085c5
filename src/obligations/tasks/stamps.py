"""What each rule's tasks in each unit were last generated from: a digest of every input.

A regeneration re-plans only the (rule, unit) pairs whose digest changed (see
:class:`~obligations.models.tasks.GenerationStamp`). Stamps are read and written as rows (no
ORM objects), a chunk of units at a time, in the transaction that writes those units' tasks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from importlib.metadata import version
from typing import Any, cast

from sqlalchemy import Table, and_, delete, insert, or_, select
from sqlalchemy.orm import Session

from obligations.models import GenerationStamp
from obligations.rules.catalog import Catalog
from obligations.rules.periods import AcademicCalendar
from obligations.rules.planning import UnitSnapshot
from obligations.rules.schema import Rule

# Part of every input digest: bump it when planning or reconciliation changes, so the next
# generation re-plans everything instead of trusting stamps written by older code.
# 2: academic years guessed without a 校历 are provisional; 3: nominal due dates are kept (and
# filled for the tasks migration 0013 left without), completed tasks keep their dates;
# 4: tasks learn whether their records need a file (migration 0015 assumed they all do).
# 5: stamps per (rule, unit) (migration 0017).
PLANNING_VERSION = "5"
CHINESE_CALENDAR_VERSION = version("chinesecalendar")

_TABLE = cast(Table, GenerationStamp.__table__)

# (rule id, unit id): the key of a stamp.
Pair = tuple[str, int]


@dataclass(frozen=True)
class Stamp:
    """A stored stamp: its digest and what the pair's plan counted and warned."""

    digest: str
    planned: int
    provisional: int
    warnings: list[str]


def load_stamps(session: Session) -> dict[Pair, Stamp]:
    """Every stamp, keyed by (rule id, unit id)."""
    query = select(
        GenerationStamp.rule_id,
        GenerationStamp.unit_id,
        GenerationStamp.digest,
        GenerationStamp.planned,
        GenerationStamp.provisional,
        GenerationStamp.warnings,
    )
    return {
        (rule_id, unit_id): Stamp(digest, planned, provisional, list(warnings or []))
        for rule_id, unit_id, digest, planned, provisional, warnings in session.execute(query)
    }


def pair_digests(
    units: list[UnitSnapshot],
    calendar: AcademicCalendar,
    catalog: Catalog,
    rules: list[Rule],
    horizon: date,
) -> dict[Pair, str]:
    """The hex digest of each (rule, unit) pair's inputs.

    Shared by every pair: the planning version, the 校历, the holiday data and library, the
    horizon and the earliest start of any unit (rules' periods are computed from it). Then
    the rule (its JSON) and the unit's snapshot (frozen dataclasses of dates, ints and enums,
    so their repr is a complete and stable description of the unit, its branches and role
    holders). A change in one unit changes that unit's pairs only.
    """
    shared = hashlib.sha256(PLANNING_VERSION.encode())
    since = min((u.active_from for u in units), default=None)
    for part in (
        repr(calendar),
        catalog.holidays.model_dump_json(),
        CHINESE_CALENDAR_VERSION,
        horizon.isoformat(),
        repr(since),
    ):
        shared.update(b"\0" + part.encode())
    by_rule = {}
    for rule in rules:
        digest = shared.copy()
        digest.update(b"\0" + rule.model_dump_json().encode())
        by_rule[rule.id] = digest
    digests: dict[Pair, str] = {}
    for unit in units:
        described = b"\1" + repr(unit).encode()
        for rule in rules:
            digest = by_rule[rule.id].copy()
            digest.update(described)
            digests[(rule.id, unit.id)] = digest.hexdigest()
    return digests


def write_stamps(
    session: Session,
    counts: dict[Pair, tuple[int, int]],
    warnings: dict[Pair, list[str]],
    replanned: dict[Pair, str],
    forgotten: Iterable[Pair],
    now: datetime,
) -> None:
    """Stamp each re-planned pair with its digest and what its plan counted (``counts``:
    (tasks planned, of which provisional) per pair; none when absent) and warned (a skipped
    pair reports them next time); forget the ``forgotten`` pairs (a rule no longer enabled,
    a unit gone), so that coming back re-plans them."""
    delete_stamps(session, [*replanned, *forgotten])
    rows: list[dict[str, Any]] = [
        {
            "rule_id": rule_id,
            "unit_id": unit_id,
            "digest": digest,
            "planned": counts.get((rule_id, unit_id), (0, 0))[0],
            "provisional": counts.get((rule_id, unit_id), (0, 0))[1],
            "warnings": list(dict.fromkeys(warnings.get((rule_id, unit_id), []))),
            "generated_at": now,
        }
        for (rule_id, unit_id), digest in replanned.items()
    ]
    if rows:
        session.execute(insert(_TABLE), rows)


def delete_stamps(session: Session, pairs: Iterable[Pair]) -> None:
    """Forget these pairs' stamps: their next generation re-plans them."""
    by_unit: dict[int, set[str]] = {}
    for rule_id, unit_id in pairs:
        by_unit.setdefault(unit_id, set()).add(rule_id)
    units = list(by_unit.items())
    for start in range(0, len(units), 200):  # a bounded number of parameters per statement
        session.execute(
            delete(_TABLE).where(
                or_(
                    *(
                        and_(_TABLE.c.unit_id == unit_id, _TABLE.c.rule_id.in_(sorted(rules)))
                        for unit_id, rules in units[start : start + 200]
                    )
                )
            )
        )
