"""The college summary: per unit, how the tasks due in the period went and how its ledger's
items stand, ranked.

A unit with five branches owes five times the branch meetings of a unit with one, so raw
counts of overdue tasks rank units by their size. The summary compares shares instead: of the
tasks due in the period (due date inside it; waived and retired tasks owe nothing), the share
done on time, done late and missed (overdue), each a percentage with one decimal. Units are
ranked by their on-time share, then by fewer 未达标 items; equal keys share a rank (1, 1, 3).

Renderers: :mod:`obligations.ledger.summary_xlsx` (Excel with a bar chart, and PDF through
it) and :mod:`obligations.ledger.summary_html`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from obligations.ledger.document import Verdict
from obligations.ledger.period import LedgerPeriod
from obligations.ledger.service import ComposedLedger
from obligations.models import Organization, Task
from obligations.tasks.state_sql import status_label
from obligations.tasks.status import TaskStatus

_TENTH = Decimal("0.1")


def share(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` in percent, one decimal, halves up; None when ``whole`` is 0."""
    if whole <= 0:
        return None
    return (Decimal(100 * part) / Decimal(whole)).quantize(_TENTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class TaskOutcomes:
    """How the tasks due in the period went: counts of tasks."""

    on_time: int = 0
    late: int = 0
    missed: int = 0

    @property
    def due(self) -> int:
        return self.on_time + self.late + self.missed

    @property
    def on_time_share(self) -> Decimal | None:
        return share(self.on_time, self.due)

    @property
    def late_share(self) -> Decimal | None:
        return share(self.late, self.due)

    @property
    def missed_share(self) -> Decimal | None:
        return share(self.missed, self.due)

    def __add__(self, other: TaskOutcomes) -> TaskOutcomes:
        return TaskOutcomes(
            self.on_time + other.on_time, self.late + other.late, self.missed + other.missed
        )


_COUNTED = {
    TaskStatus.DONE: "on_time",
    TaskStatus.DONE_LATE: "late",
    TaskStatus.OVERDUE: "missed",
}


@dataclass(frozen=True)
class UnitStanding:
    """One unit's row of the summary; ``rank`` is 0 until :func:`ranked` sets it."""

    unit_code: str
    unit_name: str
    outcomes: TaskOutcomes
    met: int
    not_met: int
    pending: int
    failing: tuple[str, ...]  # the 未达标 items, "2.4自身建设"
    rank: int = 0


@dataclass(frozen=True)
class CollegeSummary:
    """The summary's title, period and ranked units (best first)."""

    title: str
    period_label: str
    standings: tuple[UnitStanding, ...]

    @property
    def total(self) -> UnitStanding:
        """The college as a whole: its shares are those of all units' tasks together."""
        outcomes = sum((s.outcomes for s in self.standings), TaskOutcomes())
        return UnitStanding(
            unit_code="",
            unit_name="合计",
            outcomes=outcomes,
            met=sum(s.met for s in self.standings),
            not_met=sum(s.not_met for s in self.standings),
            pending=sum(s.pending for s in self.standings),
            failing=(),
        )


def task_outcomes(session: Session, period: LedgerPeriod, today: date) -> dict[str, TaskOutcomes]:
    """Per unit code, the outcomes on ``today`` of its tasks due within ``period`` (every
    unit's in one query; the state decided in SQL from the one decision table,
    :func:`obligations.tasks.state_sql.status_label`)."""
    states = (
        select(
            Task.unit_id.label("unit_id"),
            status_label(today=today, due_soon_days=0).label("state"),
        )
        .where(Task.due_on >= period.start, Task.due_on <= period.end)
        .subquery()
    )
    query = (
        select(Organization.code, states.c.state, func.count())
        .join(Organization, Organization.id == states.c.unit_id)
        .where(states.c.state.in_([status.value for status in _COUNTED]))
        .group_by(Organization.code, states.c.state)
    )
    counts: dict[str, dict[str, int]] = {}
    for code, state, n in session.execute(query):
        counts.setdefault(code, {})[_COUNTED[TaskStatus(state)]] = int(n)
    return {code: TaskOutcomes(**fields) for code, fields in counts.items()}


def standing_of(ledger: ComposedLedger, outcomes: TaskOutcomes) -> UnitStanding:
    """A unit's row from its composed ledger and its task outcomes (unranked)."""
    rows = ledger.document.rows
    return UnitStanding(
        unit_code=ledger.unit_code,
        unit_name=ledger.unit_name,
        outcomes=outcomes,
        met=ledger.count(Verdict.MET),
        not_met=ledger.count(Verdict.NOT_MET),
        pending=ledger.count(Verdict.PENDING),
        failing=tuple(f"{r.item_id}{r.item_name}" for r in rows if r.verdict is Verdict.NOT_MET),
    )


def ranked(standings: Sequence[UnitStanding]) -> tuple[UnitStanding, ...]:
    """``standings`` sorted and ranked: higher on-time share first (a unit with no task due
    last), then fewer 未达标 items; equal keys share a rank and are listed by unit code."""

    def key(standing: UnitStanding) -> tuple[Decimal, int]:
        on_time = standing.outcomes.on_time_share
        return (-(on_time if on_time is not None else Decimal(-1)), standing.not_met)

    ordered = sorted(standings, key=lambda s: (key(s), s.unit_code))
    result: list[UnitStanding] = []
    for position, standing in enumerate(ordered, start=1):
        same = result and key(result[-1]) == key(standing)
        rank = result[-1].rank if same else position
        result.append(dataclasses.replace(standing, rank=rank))
    return tuple(result)


def college_summary(
    ledgers: Sequence[ComposedLedger], outcomes: Mapping[str, TaskOutcomes], *, title: str
) -> CollegeSummary:
    """The ranked summary of ``ledgers`` (all over one period), with each unit's outcomes
    from ``outcomes`` (by unit code; a unit missing there had no task due)."""
    standings = [standing_of(x, outcomes.get(x.unit_code, TaskOutcomes())) for x in ledgers]
    label = ledgers[0].period.label if ledgers else ""
    return CollegeSummary(title=title, period_label=label, standings=ranked(standings))


def summary_title(period: LedgerPeriod) -> str:
    return f"党总支（直属党支部）标准化建设工作台账汇总（{period.label}）"
