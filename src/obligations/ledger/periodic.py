"""The 落实情况 and gaps of one periodic rule over a ledger period, from its tasks' facts.

Counts roll up over the unit's branches (三会一课, 主题党日) and over people (lectures,
training). "应开展" is what the non-waived tasks ask for (their minimum counts); "实际开展" is the
activities recorded for them; a task not yet due is noted, not held against the unit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from obligations.ledger.text import Part, dates_text, day_text, joined, period_text
from obligations.rules.schema import Scope
from obligations.tasks.status import TaskStatus


@dataclass(frozen=True)
class RecordFact:
    """A qualifying evidence record (not withdrawn, not rejected) of a task."""

    record_id: int
    title: str
    held_on: date
    recorded_on: date
    files: int


@dataclass(frozen=True)
class TaskFact:
    task_id: int
    period_key: str
    due_on: date
    min_count: int
    status: TaskStatus
    records: tuple[RecordFact, ...] = ()
    branch: str | None = None  # the branch's name for a branch task of a general branch
    person: str | None = None  # the person's name for a person task
    waived_reason: str | None = None

    @property
    def owner(self) -> str:
        return self.person or self.branch or ""


@dataclass(frozen=True)
class RuleFacts:
    rule_id: str
    title: str
    scope: Scope
    tasks: tuple[TaskFact, ...]


_MISSED = (TaskStatus.OVERDUE,)
_NOT_YET_DUE = (TaskStatus.UPCOMING, TaskStatus.OPEN, TaskStatus.DUE_SOON)


def compose_rule(facts: RuleFacts, *, plain_year: int | None) -> Part:
    """One line for 落实情况 and the gap lines of one rule."""
    tasks = [t for t in facts.tasks if t.status is not TaskStatus.RETIRED]
    if not tasks:
        return Part(lines=(f"{facts.title}：本期无到期任务",))
    records = [r for t in tasks for r in t.records]
    owed = sum(t.min_count for t in tasks if t.status is not TaskStatus.WAIVED)
    verb = "完成" if facts.scope is Scope.PERSON else "开展"
    unit_word = "人次" if facts.scope is Scope.PERSON else "次"
    line = f"{facts.title}：应{verb}{owed}{unit_word}，实际{verb}{len(records)}{unit_word}"
    detail = _detail(facts.scope, tasks, plain_year)
    if detail:
        line += f"（{detail}）"
    line += f"，佐证材料{sum(r.files for r in records)}份"
    notes = _notes(tasks, plain_year)
    if notes:
        line += f"；{notes}"
    gaps = _missed(facts, tasks, plain_year) + _late(facts, tasks, plain_year)
    failed = any(t.status in _MISSED for t in tasks)
    return Part(lines=(line,), gaps=tuple(gaps), failed=failed, evidence=len(records))


def _detail(scope: Scope, tasks: Sequence[TaskFact], plain_year: int | None) -> str:
    """Dates of the activities; per branch counts when rolled up over several branches."""
    if scope is Scope.PERSON:
        return joined(
            [
                f"{t.person}{dates_text((r.held_on for r in t.records), plain_year)}"
                for t in tasks
                if t.records
            ]
        )
    branches = _by_owner(tasks)
    if scope is Scope.BRANCH and len(branches) > 1:
        return joined(
            [f"{name}{sum(len(t.records) for t in owned)}次" for name, owned in branches.items()]
        )
    return dates_text((r.held_on for t in tasks for r in t.records), plain_year)


def _notes(tasks: Sequence[TaskFact], plain_year: int | None) -> str:
    waived = [t for t in tasks if t.status is TaskStatus.WAIVED]
    pending = [t for t in tasks if t.status in _NOT_YET_DUE]
    notes = []
    if waived:
        reasons = {t.waived_reason for t in waived if t.waived_reason}
        why = f"（{'；'.join(sorted(reasons))}）" if reasons else ""
        notes.append(f"{_labels(waived, plain_year)}已豁免{why}")
    if pending:
        notes.append(f"{_labels(pending, plain_year)}尚未到期")
    return "；".join(notes)


def _missed(facts: RuleFacts, tasks: Sequence[TaskFact], plain_year: int | None) -> list[str]:
    missed = [t for t in tasks if t.status in _MISSED]
    if not missed:
        return []
    parts = []
    for owner, owned in _by_owner(missed).items():
        empty = [t for t in owned if not t.records]
        short = [t for t in owned if t.records]
        if empty:
            parts.append(f"{owner}{_labels(empty, plain_year)}未{_verb(facts)}")
        parts.extend(
            f"{owner}{period_text(t.period_key, plain_year)}仅{_verb(facts)}"
            f"{len(t.records)}次（应{t.min_count}次）"
            for t in short
        )
    return [f"{facts.title}：{'，'.join(parts)}"]


def _late(facts: RuleFacts, tasks: Sequence[TaskFact], plain_year: int | None) -> list[str]:
    late = [t for t in tasks if t.status is TaskStatus.DONE_LATE]
    if not late:
        return []
    parts = []
    for t in late:
        recorded = sorted(r.recorded_on for r in t.records)[t.min_count - 1]
        parts.append(
            f"{t.owner}{period_text(t.period_key, plain_year)}"
            f"（截止{day_text(t.due_on, plain_year)}，"
            f"{day_text(recorded, plain_year)}登记）"
        )
    return [f"{facts.title}：材料逾期登记{len(late)}次：{'、'.join(parts)}"]


def _verb(facts: RuleFacts) -> str:
    return "完成" if facts.scope is Scope.PERSON else "开展"


def _labels(tasks: Sequence[TaskFact], plain_year: int | None) -> str:
    return "、".join(period_text(t.period_key, plain_year) for t in tasks)


def _by_owner(tasks: Sequence[TaskFact]) -> dict[str, list[TaskFact]]:
    grouped: dict[str, list[TaskFact]] = defaultdict(list)
    for task in tasks:
        grouped[task.owner].append(task)
    return dict(grouped)
