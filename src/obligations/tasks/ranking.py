"""Who is behind: the overview's standing of each unit, its sort, its heatmap bands and the
window of its "overdue this month" list. Pure functions over counts.

The counts come from the one decision table (:data:`obligations.tasks.status.OUTCOMES`) through
the stored tallies (:func:`obligations.tasks.dashboard.unit_summaries`); this module only adds
them up, so the overview cannot define a state of its own:

- done on time: :attr:`TaskStatus.DONE`; done late: :attr:`TaskStatus.DONE_LATE`;
- missed: :attr:`TaskStatus.OVERDUE` (past its due date, not done, not waived);
- still owed: not done and not past its due date (open, due soon, not yet open).

Waived and retired tasks are owed by nobody and are not counted.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta


@dataclass(frozen=True)
class Outcomes:
    """Counts of tasks by how they ended (or not yet), over some span of due dates."""

    on_time: int = 0
    late: int = 0
    missed: int = 0
    owed: int = 0  # not done, due date not yet passed

    @property
    def done(self) -> int:
        return self.on_time + self.late

    @property
    def due(self) -> int:
        """Every task counted: done on time, late, missed and still owed."""
        return self.on_time + self.late + self.missed + self.owed

    @property
    def completion_rate(self) -> float | None:
        """Done (on time or late) among all counted tasks, 0..1; None when none is counted."""
        return self.done / self.due if self.due else None

    @property
    def on_time_rate(self) -> float | None:
        """Done on time among all counted tasks, 0..1; None when none is counted."""
        return self.on_time / self.due if self.due else None

    def __add__(self, other: Outcomes) -> Outcomes:
        return Outcomes(
            self.on_time + other.on_time,
            self.late + other.late,
            self.missed + other.missed,
            self.owed + other.owed,
        )


@dataclass(frozen=True)
class Standing:
    """A unit's row of the overview. ``so_far`` counts the tasks due this year before today
    (so ``owed`` is 0: a task past its due date is done or missed); ``due_soon`` the tasks
    due within the due-soon window; ``rank`` is 1 for the best, None when nothing came due."""

    code: str
    name: str
    so_far: Outcomes
    due_soon: int = 0
    rank: int | None = None


def _merit(standing: Standing) -> tuple[float, float, int]:
    """Larger is better: completion share, then on-time share, then fewer missed."""
    outcomes = standing.so_far
    return (outcomes.completion_rate or 0.0, outcomes.on_time_rate or 0.0, -outcomes.missed)


def rank_units(standings: Iterable[Standing]) -> list[Standing]:
    """``standings`` with their ``rank`` set, in the input order.

    Competition ranking ("1, 2, 2, 4"): by completion share, then on-time share, then fewer
    missed tasks; units equal on all three share a rank. A unit with nothing due so far has
    no rank (None): there is nothing to judge it on. Shares, not counts: a unit with five
    branches owes five times the meetings of a unit with one. The overview ranks by what is
    done at all (it is for chasing what is missing); the year-end college summary
    (:mod:`obligations.ledger.summary`) ranks by the on-time share (it assesses the year)."""
    rows = list(standings)
    ranked = sorted((s for s in rows if s.so_far.due), key=_merit, reverse=True)
    ranks: dict[str, int] = {}
    for position, standing in enumerate(ranked, start=1):
        before = ranked[position - 2] if position > 1 else None
        same = before is not None and _merit(before) == _merit(standing)
        ranks[standing.code] = ranks[before.code] if same and before else position
    return [replace(s, rank=ranks.get(s.code)) for s in rows]


class SortKey(enum.Enum):
    """A column of the overview's table one can sort by (the ``sort`` query parameter)."""

    UNIT = "unit"
    RANK = "rank"
    DUE = "due"
    ON_TIME = "on_time"
    LATE = "late"
    MISSED = "missed"
    ON_TIME_RATE = "on_time_rate"
    RATE = "rate"
    DUE_SOON = "due_soon"

    @property
    def label(self) -> str:
        return SORT_LABELS[self]


SORT_LABELS = {
    SortKey.UNIT: "单位",
    SortKey.RANK: "排名",
    SortKey.DUE: "截至昨日应完成",
    SortKey.ON_TIME: "按时完成",
    SortKey.LATE: "逾期完成",
    SortKey.MISSED: "逾期未完成",
    SortKey.ON_TIME_RATE: "按时率",
    SortKey.RATE: "完成率",
    SortKey.DUE_SOON: "即将到期",
}


class Direction(enum.Enum):
    ASC = "asc"
    DESC = "desc"

    @property
    def aria(self) -> str:
        """The value of ``aria-sort`` on the sorted column's header."""
        return "ascending" if self is Direction.ASC else "descending"

    @property
    def flipped(self) -> Direction:
        return Direction.DESC if self is Direction.ASC else Direction.ASC


# Who is most behind first: the lowest completion share on top.
DEFAULT_SORT = (SortKey.RATE, Direction.ASC)


def _value(standing: Standing, key: SortKey) -> float | str | None:
    outcomes = standing.so_far
    values: dict[SortKey, float | str | None] = {
        SortKey.RANK: standing.rank,
        SortKey.UNIT: standing.code,
        SortKey.DUE: outcomes.due,
        SortKey.ON_TIME: outcomes.on_time,
        SortKey.LATE: outcomes.late,
        SortKey.MISSED: outcomes.missed,
        SortKey.ON_TIME_RATE: outcomes.on_time_rate,
        SortKey.RATE: outcomes.completion_rate,
        SortKey.DUE_SOON: standing.due_soon,
    }
    return values[key]


def sort_standings(
    standings: Sequence[Standing], key: SortKey, direction: Direction
) -> list[Standing]:
    """``standings`` ordered by ``key`` in ``direction``. Ties: the worse rank first (as
    :func:`rank_units` sets it; unranked last), then the unit code. A unit without a value
    (a share or rank with nothing due) comes last either way: it is neither ahead nor
    behind."""
    ties = sorted(standings, key=lambda s: (s.rank is None, -(s.rank or 0), s.code))
    known = [s for s in ties if _value(s, key) is not None]
    unknown = [s for s in ties if _value(s, key) is None]
    # sort() is stable in both directions: ties keep the order above.
    known.sort(key=lambda s: _value(s, key), reverse=direction is Direction.DESC)  # type: ignore[arg-type,return-value]
    return known + unknown


@dataclass(frozen=True)
class HeatBand:
    """A heatmap colour for completion shares from ``low`` (inclusive) up to ``high``
    (exclusive; the last band holds exactly 100 %). ``css`` is its class, ``colour`` its
    background (dark text on it keeps a contrast of at least 4.5:1)."""

    css: str
    colour: str
    low: int
    high: int

    @property
    def range_text(self) -> str:
        if self.low == self.high:
            return f"{self.low}%"
        return f"{self.low}%–{self.high - 1}%"


# Red to green. Below half done is red: an obligation is met or not; 3 of 17 is not "fair".
HEAT_BANDS = (
    HeatBand("h0", "#f4b6b6", 0, 50),
    HeatBand("h1", "#ffd59e", 50, 80),
    HeatBand("h2", "#fff3a0", 80, 100),
    HeatBand("h3", "#a5d6a7", 100, 100),
)


def heat_band(rate: float | None) -> HeatBand | None:
    """The band of a completion share (0..1); None when nothing is counted (no colour)."""
    if rate is None:
        return None
    percent = int(rate * 100 + 1e-9)  # floor: 99.9 % is not "all done"
    for band in HEAT_BANDS:
        if band.low <= percent < band.high or percent == band.low == band.high:
            return band
    return HEAT_BANDS[-1]


@dataclass(frozen=True)
class HeatCell:
    """A heatmap cell: the tasks due in a month that has begun. The current month is
    ``in_progress``: its share is shown as a number but not coloured, since most of its tasks
    fall due at its end (on the 1st every unit would be red, on the 25th a unit that did 3
    of 17 would look worse than one that did none of 17 still owed)."""

    outcomes: Outcomes
    in_progress: bool

    @property
    def band(self) -> HeatBand | None:
        """Its colour band; None (no judgement) while the month is in progress."""
        return None if self.in_progress else heat_band(self.outcomes.completion_rate)


def month_cell(outcomes: Outcomes | None, *, year: int, month: int, today: date) -> HeatCell | None:
    """What a heatmap cell shows for the tasks due in ``month`` of ``year``: all of them (done
    on time, late, missed and still owed; the share done is done / all) once the month has
    begun, in progress while ``today`` is in it; None before it begins (nothing is due yet)
    or when no task falls due in it."""
    first = date(year, month, 1)
    if first > today or outcomes is None or not outcomes.due:
        return None
    return HeatCell(outcomes, in_progress=first == today.replace(day=1))


# During the first working days of a month the last month's overdue tasks are still listed.
GRACE_WORKDAYS = 3


@dataclass(frozen=True)
class OverdueWindow:
    """Due dates ``first``..``last`` (inclusive) whose overdue tasks are listed as ``label``."""

    first: date
    last: date
    label: str
    year: int
    month: int


def _month_end(first: date) -> date:
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def overdue_windows(
    today: date, is_workday: Callable[[date], bool], grace_workdays: int = GRACE_WORKDAYS
) -> list[OverdueWindow]:
    """The months whose overdue tasks the overview lists: this month ("本月逾期"), and during
    its first ``grace_workdays`` working days (today included) also the last month
    ("上月逾期").

    Why a grace: a "this month" list alone empties on the 1st. On December 1st November's
    tasks missed the day before (many fall due on the 30th) would vanish from the list at
    the very moment they became overdue, before anyone could chase them; they would only be
    found by sorting the table. Monthly meetings are often written up in the first days of
    the next month, so those are the days the organization department chases them. Working
    days, not calendar days: when a month opens with a holiday (National Day, Spring
    Festival) the grace starts after it. ``is_workday`` says whether a day is a working day
    (:meth:`obligations.rules.workdays.WorkdayCalendar.check`)."""
    first = today.replace(day=1)
    windows = [OverdueWindow(first, _month_end(first), "本月逾期", today.year, today.month)]
    worked = sum(1 for n in range((today - first).days + 1) if is_workday(first + timedelta(n)))
    if worked <= grace_workdays:
        last_end = first - timedelta(days=1)
        last_first = last_end.replace(day=1)
        windows.append(
            OverdueWindow(last_first, last_end, "上月逾期", last_first.year, last_first.month)
        )
    return windows
