"""What the demo college did in its past year, decided from its tasks and a day (pure).

Each task's fate is drawn from a generator seeded by the task's natural key (rule, scope,
period), so the same demo on the same day gets the same history, and a task's fate does not
depend on which other tasks exist. Of the tasks already due about four in five were done on
time, one in twelve late, the rest missed; of the current ones nearly half are done already.
Records made in the last week wait for review; older ones were accepted a few days after they
were made. One record was returned with a reason and one task waived (:func:`plan_history`).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from obligations.demo.wording import activity_title, hours_of, participants_of
from obligations.vocabulary import EvidenceKind

SEED = "demo-history-1"
ON_TIME, LATE = 0.82, 0.90  # cumulative shares of past tasks done on time, then late
CURRENT_DONE = 0.45  # share of current tasks already done
PENDING_DAYS = 7  # records younger than this still wait for review

RETURN_REASON = "签到表缺少参会党员签名，会议记录未写明会议议程，请补充后重新上传。"
WAIVER_REASON = "暑假期间师生离校，经党委组织部同意，本月党小组会并入9月开学后集中召开。"


@dataclass(frozen=True)
class TaskFacts:
    """What the plan needs of one task (read from the database by the service)."""

    task_id: int
    rule_id: str
    rule_title: str
    scope_key: str
    organization_code: str
    period_key: str
    period_start: date
    period_end: date
    due_on: date
    min_count: int
    kinds: tuple[EvidenceKind, ...]


@dataclass(frozen=True)
class PlannedRecord:
    """A record to make: held on ``held_on``, recorded on ``recorded_on``; reviewed on
    ``reviewed_on`` (accepted, or returned with ``returned_reason``), or pending if ``None``."""

    task_id: int
    organization_code: str
    title: str
    held_on: date
    recorded_on: date
    kind: EvidenceKind
    participants: int | None
    hours: str | None
    reviewed_on: date | None
    returned_reason: str | None = None


@dataclass(frozen=True)
class Waiver:
    task_id: int
    reason: str
    on: date


@dataclass(frozen=True)
class HistoryPlan:
    records: list[PlannedRecord]
    waiver: Waiver | None


def plan_history(tasks: Sequence[TaskFacts], today: date, *, returned_in: str) -> HistoryPlan:
    """The records to make for ``tasks`` as seen on ``today`` (records dated before it), the
    latest on-time record of organization ``returned_in`` returned with a reason, and one
    July or August 党小组会 of another organization waived (its records not made)."""
    waiver = _one_waiver(tasks, returned_in, today)
    records = [
        record
        for task in tasks
        if waiver is None or task.task_id != waiver.task_id
        for record in _task_records(task, today)
    ]
    return HistoryPlan(_with_one_returned(records, returned_in), waiver)


def _task_records(task: TaskFacts, today: date) -> list[PlannedRecord]:
    if task.period_start >= today:
        return []
    rng = random.Random(f"{SEED}:{task.rule_id}:{task.scope_key}:{task.period_key}")
    draw = rng.random()
    if task.due_on < today:
        if draw < ON_TIME:
            recorded = task.due_on - timedelta(days=rng.randint(0, 12))
        elif draw < LATE:
            recorded = task.due_on + timedelta(days=rng.randint(4, 30))
        else:
            return []
    elif draw < CURRENT_DONE:
        recorded = today - timedelta(days=rng.randint(1, 10))
    else:
        return []
    recorded = max(recorded, task.period_start)
    if recorded >= today:
        return []
    return [_record(task, rng, recorded, n, today) for n in range(task.min_count)]


def _record(
    task: TaskFacts, rng: random.Random, recorded: date, n: int, today: date
) -> PlannedRecord:
    latest = min(recorded, task.period_end)
    held = max(task.period_start, latest - timedelta(days=rng.randint(0, 4) + 7 * n))
    kinds = task.kinds or (EvidenceKind.MINUTES,)
    kind = kinds[(task.period_start.month + n) % len(kinds)]
    reviewed = recorded + timedelta(days=rng.randint(1, 4))
    return PlannedRecord(
        task_id=task.task_id,
        organization_code=task.organization_code,
        title=activity_title(task.rule_id, task.rule_title, held, rng),
        held_on=held,
        recorded_on=recorded,
        kind=kind,
        participants=participants_of(task.rule_id, rng),
        hours=hours_of(task.rule_id, rng),
        reviewed_on=None if recorded >= today - timedelta(days=PENDING_DAYS) else reviewed,
    )


def _with_one_returned(records: list[PlannedRecord], organization: str) -> list[PlannedRecord]:
    """The newest reviewed record of ``organization`` returned instead of accepted."""
    candidates = [
        i
        for i, r in enumerate(records)
        if r.organization_code == organization and r.reviewed_on is not None
    ]
    if not candidates:
        return records
    chosen = max(candidates, key=lambda i: (records[i].recorded_on, records[i].task_id))
    returned = list(records)
    returned[chosen] = replace(records[chosen], returned_reason=RETURN_REASON)
    return returned


def _one_waiver(tasks: Sequence[TaskFacts], not_in: str, today: date) -> Waiver | None:
    """The newest summer 党小组会 already due, of the first organization but ``not_in``."""
    summer = [
        t
        for t in tasks
        if t.period_start.month in (7, 8)
        and t.due_on < today
        and t.rule_id == "party-group-meeting"
        and t.organization_code != not_in
    ]
    if not summer:
        return None
    task = min(summer, key=lambda t: (t.organization_code, -t.period_start.toordinal()))
    return Waiver(task.task_id, WAIVER_REASON, min(task.due_on + timedelta(days=3), today))
