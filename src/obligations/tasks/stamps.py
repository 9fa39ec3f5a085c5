"""What each rule's tasks were last generated from: a digest of every input, per rule.

A regeneration re-plans only the rules whose digest changed (see
:class:`~obligations.models.tasks.GenerationStamp`).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date, datetime
from importlib.metadata import version

from sqlalchemy.orm import Session

from obligations.models import GenerationStamp
from obligations.rules.catalog import Catalog
from obligations.rules.periods import AcademicCalendar
from obligations.rules.planning import Plan, UnitSnapshot
from obligations.rules.schema import Rule

# Part of every rule's input digest: bump it when planning or reconciliation changes, so the
# next generation re-plans every rule instead of trusting stamps written by older code.
# 2: academic years guessed without a 校历 are provisional; 3: nominal due dates are kept (and
# filled for the tasks migration 0013 left without), completed tasks keep their dates;
# 4: tasks learn whether their records need a file (migration 0015 assumed they all do).
PLANNING_VERSION = "4"
CHINESE_CALENDAR_VERSION = version("chinesecalendar")


def write_stamps(
    session: Session,
    plan: Plan,
    stale: list[Rule],
    digests: dict[str, str],
    stamps: dict[str, GenerationStamp],
    enabled: set[str],
    now: datetime,
) -> None:
    """Stamp each re-planned rule with its input digest and what its plan counted and warned
    (a skipped rule reports them next time); forget the stamps of rules no longer enabled."""
    planned: Counter[str] = Counter(t.rule_id for t in plan.tasks)
    provisional: Counter[str] = Counter(t.rule_id for t in plan.tasks if t.schedule.provisional)
    warnings: dict[str, list[str]] = {}
    for rule_id, text in plan.rule_warnings:
        warnings.setdefault(rule_id, []).append(text)
    for rule in stale:
        stamp = stamps.get(rule.id) or GenerationStamp(rule_id=rule.id)
        stamp.digest = digests[rule.id]
        stamp.planned = planned[rule.id]
        stamp.provisional = provisional[rule.id]
        stamp.warnings = list(dict.fromkeys(warnings.get(rule.id, [])))
        stamp.generated_at = now
        session.add(stamp)
    # A disabled or removed rule forgets its stamp, so enabling it again re-plans it.
    for rule_id, stamp in stamps.items():
        if rule_id not in enabled:
            session.delete(stamp)
    session.flush()


def stamp_digest(stamp: GenerationStamp | None) -> str | None:
    """The digest a rule was last generated from; None if it never was."""
    return stamp.digest if stamp is not None else None


def shared_digest(
    units: list[UnitSnapshot], calendar: AcademicCalendar, catalog: Catalog, horizon: date
) -> hashlib._Hash:
    """Digest of the inputs every rule shares. The snapshots are frozen dataclasses of
    dates, ints and enums, so their repr is a complete and stable description."""
    digest = hashlib.sha256(PLANNING_VERSION.encode())
    for part in (
        repr(units),
        repr(calendar),
        catalog.holidays.model_dump_json(),
        CHINESE_CALENDAR_VERSION,
        horizon.isoformat(),
    ):
        digest.update(b"\0" + part.encode())
    return digest


def rule_digest(shared: hashlib._Hash, rule: Rule) -> str:
    """The hex digest of one rule's inputs: the shared ones and the rule itself."""
    digest = shared.copy()
    digest.update(b"\0" + rule.model_dump_json().encode())
    return digest.hexdigest()
