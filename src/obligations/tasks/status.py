"""A task's state, derived from its dates, the records that qualify for it and the day."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date


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
        """Nothing more is owed: reminders stop."""
        return self in (
            TaskStatus.DONE,
            TaskStatus.DONE_LATE,
            TaskStatus.WAIVED,
            TaskStatus.RETIRED,
        )


STATUS_LABELS = {
    TaskStatus.UPCOMING: "未开始",
    TaskStatus.OPEN: "进行中",
    TaskStatus.DUE_SOON: "即将到期",
    TaskStatus.OVERDUE: "已逾期",
    TaskStatus.DONE: "已完成",
    TaskStatus.DONE_LATE: "逾期完成",
    TaskStatus.WAIVED: "已豁免",
    TaskStatus.RETIRED: "已停用",
}


def completed_on(recorded_on: Sequence[date], min_count: int) -> date | None:
    """The local date on which the ``min_count``-th qualifying record was made, if any."""
    if len(recorded_on) < min_count:
        return None
    return sorted(recorded_on)[min_count - 1]


# The longest run of days off (春节 or 国庆 with the weekends around them): a due date at most
# this far before its period's end is the period's end moved earlier to a working day.
MOVED_DUE_MAX_DAYS = 10


def on_time_until(due_on: date, period_end: date | None) -> date:
    """The last day a task can be completed on time: its due date, or its period's end when
    the due date is that end moved earlier to a working day (``workday: earlier``), since an
    activity held and recorded on the period's last day is inside the period."""
    if period_end is not None and 0 < (period_end - due_on).days <= MOVED_DUE_MAX_DAYS:
        return period_end
    return due_on


def counted_done_on(
    recorded_on: Sequence[date], min_count: int, *, due_on: date, period_end: date | None
) -> date | None:
    """The completion date a task's lateness is judged by (stored as ``Task.done_on``): the
    date of :func:`completed_on`, except that a completion after a due date moved earlier from
    the period's end but not after that end counts as made on the due date (on time)."""
    done = completed_on(recorded_on, min_count)
    if done is not None and due_on < done <= on_time_until(due_on, period_end):
        return due_on
    return done


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
    period_end: date | None = None,
) -> TaskStatus:
    """Decide the state of one task.

    ``recorded_on`` holds, for each qualifying record (held inside the period, not rejected,
    not withdrawn), the local date it was recorded. The task is done once ``min_count`` such
    records exist, "done late" if the one that reached the count was recorded after the due
    date (after ``period_end`` when the due date is that end moved earlier to a working day,
    see :func:`on_time_until`). A retired task keeps a done state (it is history) and is
    otherwise "retired"; a waived one is "waived". Open tasks are "due soon" within
    ``due_soon_days`` of the due date (inclusive) and "overdue" from the day after it.
    """
    done = counted_done_on(recorded_on, min_count, due_on=due_on, period_end=period_end)
    if done is not None:
        return TaskStatus.DONE if done <= due_on else TaskStatus.DONE_LATE
    if retired:
        return TaskStatus.RETIRED
    if waived:
        return TaskStatus.WAIVED
    if today < opens_on:
        return TaskStatus.UPCOMING
    if today > due_on:
        return TaskStatus.OVERDUE
    if (due_on - today).days <= due_soon_days:
        return TaskStatus.DUE_SOON
    return TaskStatus.OPEN
