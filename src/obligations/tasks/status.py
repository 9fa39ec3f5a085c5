"""A task's state, derived from its dates, the records that qualify for it and the day.

The decision is one ordered table, :data:`OUTCOMES`: the first row whose conditions all hold
gives the state. Python reads it here (:func:`task_status`); SQL is built from it in
:mod:`obligations.tasks.state_sql` (the listings, the dashboard counts and the triggers that
keep the tallies), so the three cannot disagree.
"""

from __future__ import annotations

import enum
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import takewhile
from typing import Any


class TaskStatus(enum.StrEnum):
    UPCOMING = "upcoming"
    OPEN = "open"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    DONE = "done"
    DONE_LATE = "done_late"
    WAIVED = "waived"
    RETIRED = "retired"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def settled(self) -> bool:
        """Nothing more is owed: reminders stop. These are exactly the states that do not
        depend on the day (see :data:`OUTCOMES`)."""
        return self in SETTLED


STATUS_LABELS = {
    TaskStatus.UPCOMING: "未开始",
    TaskStatus.OPEN: "进行中",
    TaskStatus.DUE_SOON: "即将到期",
    TaskStatus.OVERDUE: "已逾期",
    TaskStatus.DONE: "已完成",
    TaskStatus.DONE_LATE: "逾期完成",
    TaskStatus.WAIVED: "已豁免",
    TaskStatus.RETIRED: "不再要求",
}


class Term(enum.StrEnum):
    """A value the state is decided from. The task's own are named as its columns (None
    when unset); ``today`` and ``soon`` (today plus the due-soon window) are the day's."""

    OPENS_ON = "opens_on"
    DUE_ON = "due_on"  # the due date moved to a working day as the rule says
    NOMINAL_DUE_ON = "nominal_due_on"  # the due date before that move (None: not known)
    DONE_ON = "done_on"  # local date of the min_count-th qualifying record
    WAIVED_AT = "waived_at"
    RETIRED_AT = "retired_at"
    TODAY = "today"
    SOON = "soon"

    @property
    def of_the_day(self) -> bool:
        return self in (Term.TODAY, Term.SOON)


@dataclass(frozen=True)
class IsSet:
    """``term`` has a value."""

    term: Term


@dataclass(frozen=True)
class Before:
    """``left`` < ``right`` (``or_on``: <=); both dates."""

    left: Term
    right: Term
    or_on: bool = False


Condition = IsSet | Before


def terms_of(condition: Condition) -> tuple[Term, ...]:
    if isinstance(condition, IsSet):
        return (condition.term,)
    return (condition.left, condition.right)


@dataclass(frozen=True)
class Outcome:
    """A row of the decision table: ``status`` when every one of ``when`` holds."""

    when: tuple[Condition, ...]
    status: TaskStatus

    @property
    def of_the_day(self) -> bool:
        """Whether this row depends on the day (else it holds or not once and for all)."""
        return any(t.of_the_day for c in self.when for t in terms_of(c))


# Done (history, even when retired) before retired before waived; then, for a task still owed,
# upcoming before its opening day, overdue from the day after its due date, due soon within
# the window (inclusive), else open. The rows that do not depend on the day come first (the
# tallies store their outcome; see obligations.tasks.state_sql) and the last row always holds.
# Done on time means completed by the later of the due date and the nominal one: a due date
# moved earlier to a working day (31 October, a Saturday, to Friday the 30th) still counts
# what is recorded by the period's last day as on time; one moved later counts it by the
# later day. Being owed (due soon, overdue; the reminders) follows the moved date alone.
OUTCOMES: tuple[Outcome, ...] = (
    Outcome((IsSet(Term.DONE_ON), Before(Term.DONE_ON, Term.DUE_ON, or_on=True)), TaskStatus.DONE),
    Outcome(
        (IsSet(Term.DONE_ON), Before(Term.DONE_ON, Term.NOMINAL_DUE_ON, or_on=True)),
        TaskStatus.DONE,
    ),
    Outcome((IsSet(Term.DONE_ON),), TaskStatus.DONE_LATE),
    Outcome((IsSet(Term.RETIRED_AT),), TaskStatus.RETIRED),
    Outcome((IsSet(Term.WAIVED_AT),), TaskStatus.WAIVED),
    Outcome((Before(Term.TODAY, Term.OPENS_ON),), TaskStatus.UPCOMING),
    Outcome((Before(Term.DUE_ON, Term.TODAY),), TaskStatus.OVERDUE),
    Outcome((Before(Term.DUE_ON, Term.SOON, or_on=True),), TaskStatus.DUE_SOON),
    Outcome((), TaskStatus.OPEN),
)
# The leading rows that do not depend on the day: their states are settled once and for all.
SETTLED_OUTCOMES = tuple(takewhile(lambda o: not o.of_the_day, OUTCOMES))
DAY_OUTCOMES = OUTCOMES[len(SETTLED_OUTCOMES) :]
SETTLED = frozenset(o.status for o in SETTLED_OUTCOMES)


# The terms' positions in the tuple of values a decision reads.
_POSITION = {term: i for i, term in enumerate(Term)}
_Check = Callable[[Sequence[Any]], bool]


def _check(condition: Condition) -> _Check:
    """``condition`` as a test of a tuple of values (None when unset; a comparison with an
    unset value does not hold, as in SQL)."""
    if isinstance(condition, IsSet):
        i = _POSITION[condition.term]
        return lambda v: v[i] is not None
    left, right = _POSITION[condition.left], _POSITION[condition.right]
    compare = operator.le if condition.or_on else operator.lt
    return lambda v: v[left] is not None and v[right] is not None and compare(v[left], v[right])


# OUTCOMES compiled once: deciding runs for every task a reminder sweep or a ledger reads.
_DECISION = tuple((tuple(_check(c) for c in o.when), o.status) for o in OUTCOMES)


def _decide(values: Sequence[Any]) -> TaskStatus:
    """The status of the first row of :data:`OUTCOMES` that holds for ``values`` (a value
    per :class:`Term`, in its order)."""
    for checks, status in _DECISION:
        for check in checks:
            if not check(values):
                break
        else:
            return status
    raise ValueError("no outcome holds")  # unreachable: the last row of OUTCOMES always holds


def qualifies(*, withdrawn: bool, rejected: bool, has_file: bool, file_required: bool) -> bool:
    """Whether a record counts towards its task: not withdrawn, not returned (rejected), and
    carrying a file unless the task's rule expects none (``Rule.file_required``). A record
    without a file tells that an activity was held but proves nothing: the ledger reports it
    as awaiting its material. :func:`obligations.tasks.state.qualifying_filter` is this test
    in SQL."""
    return not withdrawn and not rejected and (has_file or not file_required)


def completed_on(recorded_on: Sequence[date], min_count: int) -> date | None:
    """The local date on which the ``min_count``-th qualifying record was made, if any."""
    if len(recorded_on) < min_count:
        return None
    return sorted(recorded_on)[min_count - 1]


def task_status(
    *,
    opens_on: date,
    due_on: date,
    min_count: int,
    recorded_on: Sequence[date],
    today: date,
    due_soon_days: int,
    waived: bool = False,
    retired: bool = False,
    nominal_due_on: date | None = None,
) -> TaskStatus:
    """Decide the state of one task by :data:`OUTCOMES`.

    ``due_on`` is the due date as moved to a working day, ``nominal_due_on`` the date the rule
    gives before that move (None when not known: then ``due_on`` alone decides). ``recorded_on``
    holds, for each qualifying record (held inside the period, not rejected, not withdrawn),
    the local date it was recorded. The task is done once ``min_count`` such records exist,
    "done late" if the one that reached the count was recorded after both due dates. A retired
    task keeps a done state (it is history) and is otherwise "retired"; a waived one is
    "waived". Open tasks are "due soon" within ``due_soon_days`` of ``due_on`` (inclusive) and
    "overdue" from the day after it.
    """
    return _decide(
        (  # in the order of Term
            opens_on,
            due_on,
            nominal_due_on,
            completed_on(recorded_on, min_count),
            True if waived else None,
            True if retired else None,
            today,
            today + timedelta(days=due_soon_days),
        )
    )
