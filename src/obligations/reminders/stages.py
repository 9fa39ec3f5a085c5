"""When a task's reminders are due: stages, the working days they go out on, the sending window.

Stages come from the rule's ``reminders``: ``before_N`` N days before the due date (skipped when
that day is before the task opens), ``overdue_1`` the day after the due date, then
``overdue_repeat_K`` every ``overdue_repeat_days`` days while the task stays open, and
``escalate_unit`` / ``escalate_college`` when it has been overdue for N / M days (the due date
plus N days). The sequence is endless (overdue repeats); callers stop reading it.

A stage goes out on its day when that is a working day, else on the next working day (调休 from
the same :class:`WorkdayCalendar` as due dates). Several stages moved to the same day go out in
the same run, where the digest lists their task once. Everything here is pure: ``today`` and
``now`` are arguments.
"""

from __future__ import annotations

import enum
import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from obligations.rules.schema import Reminders, WorkdayPolicy
from obligations.rules.workdays import WorkdayCalendar


class StageKind(enum.StrEnum):
    BEFORE = "before"
    OVERDUE = "overdue"
    OVERDUE_REPEAT = "overdue_repeat"
    ESCALATE_UNIT = "escalate_unit"
    ESCALATE_COLLEGE = "escalate_college"

    @property
    def escalation(self) -> bool:
        return self in (StageKind.ESCALATE_UNIT, StageKind.ESCALATE_COLLEGE)


def stage_kind(name: str) -> StageKind:
    """The kind of a stage from its name, as :func:`task_stages` names them (``before_3``,
    ``overdue_1``, ``overdue_repeat_2``, ``escalate_unit``); raises ``ValueError`` on others."""
    for prefix, kind in (
        ("before_", StageKind.BEFORE),
        ("overdue_repeat_", StageKind.OVERDUE_REPEAT),
        ("overdue_", StageKind.OVERDUE),
    ):
        if name.startswith(prefix):
            return kind
    return StageKind(name)


def stage_label(name: str) -> str:
    """A stage's name as administrators read it: ``before_3`` -> 截止前 3 天提醒,
    ``overdue_1`` -> 逾期提醒, ``overdue_repeat_2`` -> 逾期第 2 次重复提醒, ``escalate_unit``
    -> 逾期报告单位负责人, ``escalate_college`` -> 逾期报告学院; an unknown name as it is."""
    number = name.rsplit("_", 1)[-1]
    try:
        kind = stage_kind(name)
    except ValueError:
        return name
    return {
        StageKind.BEFORE: f"截止前 {number} 天提醒",
        StageKind.OVERDUE: "逾期提醒",
        StageKind.OVERDUE_REPEAT: f"逾期第 {number} 次重复提醒",
        StageKind.ESCALATE_UNIT: "逾期报告单位负责人",
        StageKind.ESCALATE_COLLEGE: "逾期报告学院",
    }[kind]


@dataclass(frozen=True, order=True)
class Stage:
    day: date  # the nominal day, before moving to a working day
    order: int  # ties on one day: reminders before escalations
    name: str
    kind: StageKind


@dataclass(frozen=True)
class ScheduledStage:
    stage: Stage
    send_on: date  # the working day it goes out


def task_stages(*, due_on: date, opens_on: date, reminders: Reminders) -> Iterator[Stage]:
    """Every stage of one task in day order (endless: overdue reminders repeat)."""
    for days in sorted(set(reminders.before_days), reverse=True):
        day = due_on - timedelta(days=days)
        if day >= opens_on:
            yield Stage(day, 0, f"before_{days}", StageKind.BEFORE)
    escalations = [
        Stage(due_on + timedelta(days=after), 1, kind.value, kind)
        for kind, after in (
            (StageKind.ESCALATE_UNIT, reminders.escalate_unit_after_days),
            (StageKind.ESCALATE_COLLEGE, reminders.escalate_college_after_days),
        )
        if after is not None
    ]
    yield from heapq.merge(_overdue(due_on, reminders.overdue_repeat_days), sorted(escalations))


def _overdue(due_on: date, repeat_days: int) -> Iterator[Stage]:
    first = due_on + timedelta(days=1)
    yield Stage(first, 0, "overdue_1", StageKind.OVERDUE)
    repeat = 1
    while True:
        day = first + timedelta(days=repeat * repeat_days)
        yield Stage(day, 0, f"overdue_repeat_{repeat}", StageKind.OVERDUE_REPEAT)
        repeat += 1


def send_day(day: date, workdays: WorkdayCalendar) -> date:
    """The working day on or after ``day``."""
    return workdays.adjust(day, WorkdayPolicy.LATER).day


class SendDays:
    """:func:`send_day` remembered per day: planning asks about the same few days for
    thousands of tasks, and the holiday package scans its tables on every question."""

    def __init__(self, workdays: WorkdayCalendar) -> None:
        self.workdays = workdays
        self._known: dict[date, date] = {}

    def __call__(self, day: date) -> date:
        found = self._known.get(day)
        if found is None:
            found = self._known[day] = send_day(day, self.workdays)
        return found


@dataclass(frozen=True)
class StagePlan:
    due: list[ScheduledStage]  # stages to plan now
    next_on: date  # the send day of the first stage after ``today``


def stages_due(
    stages: Iterator[Stage],
    send_on: Callable[[date], date],
    *,
    today: date,
    since: date | None,
) -> StagePlan:
    """The stages going out on or before ``today`` (and on or after ``since``, the day the
    previous planning stopped at), and the day of the next one. ``send_on`` maps a stage's
    day to the working day it goes out (:class:`SendDays`)."""
    due: list[ScheduledStage] = []
    for stage in stages:
        on = send_on(stage.day)
        if on > today:
            return StagePlan(due, on)
        if since is None or on >= since:
            due.append(ScheduledStage(stage, on))
    raise AssertionError("task_stages is endless")  # pragma: no cover


@dataclass(frozen=True)
class SendingHours:
    """Sends happen on working days between ``start`` and ``end``, local time."""

    start: time
    end: time
    tz: ZoneInfo

    def moment(self, day: date) -> datetime:
        """The instant (UTC) of the run on local ``day``."""
        return datetime.combine(day, self.start, tzinfo=self.tz).astimezone(UTC)

    def is_open(self, now: datetime, workdays: WorkdayCalendar) -> bool:
        local = now.astimezone(self.tz)
        working, _ = workdays.check(local.date())
        return working and self.start <= local.time() < self.end

    def next_open(self, after: datetime, workdays: WorkdayCalendar) -> datetime:
        """``after`` if sending is allowed then, else the start of the next sending run."""
        if self.is_open(after, workdays):
            return after
        local = after.astimezone(self.tz)
        day = local.date()
        if local.time() >= self.start:
            day += timedelta(days=1)
        return self.moment(send_day(day, workdays))


# Waiting times after transient failures: a minute, then longer, at most six hours.
RETRY_DELAYS = (60, 300, 900, 3600, 3 * 3600, 6 * 3600)


def retry_at(
    now: datetime,
    attempts: int,
    retry_after: float | None,
    hours: SendingHours,
    workdays: WorkdayCalendar,
) -> datetime:
    """When to try again after the ``attempts``-th failure (moved into sending hours)."""
    delay = RETRY_DELAYS[min(max(attempts, 1), len(RETRY_DELAYS)) - 1]
    if retry_after is not None:
        delay = max(delay, int(retry_after))
    return hours.next_open(now + timedelta(seconds=delay), workdays)
