"""The facts a periodic rule's wording is composed from (:mod:`obligations.ledger.periodic`):
a rule's tasks over a ledger period with their records, as plain values. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from obligations.rules.schema import Scope
from obligations.tasks.status import TaskStatus, qualifies
from obligations.vocabulary import ReviewState


@dataclass(frozen=True)
class RecordFact:
    """An evidence record of a task (not withdrawn), whatever its review state."""

    record_id: int
    title: str
    held_on: date
    recorded_on: date
    files: int
    review: ReviewState = ReviewState.ACCEPTED
    reason: str = ""  # why it was returned, for a rejected record
    participants: int | None = None

    @property
    def counts(self) -> bool:
        """A returned (rejected) record does not count towards the task."""
        return self.review is not ReviewState.REJECTED


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
    period_start: date | None = None  # None: the period is read as ending on the due date
    period_end: date | None = None
    file_required: bool = True  # a record counts only with a file (the rule's file_required)

    def counts(self, record: RecordFact) -> bool:
        """Whether ``record`` counts towards this task (:func:`qualifies`)."""
        return qualifies(
            withdrawn=False,
            rejected=not record.counts,
            has_file=record.files > 0,
            file_required=self.file_required,
        )

    @property
    def owner(self) -> str:
        return self.person or self.branch or ""

    @property
    def ends_on(self) -> date:
        return self.period_end or self.due_on


@dataclass(frozen=True)
class RuleFacts:
    rule_id: str
    title: str
    scope: Scope
    tasks: tuple[TaskFact, ...]
    see_item: str | None = None  # reported in full under this item (the rule's own)
    meeting: bool = False  # a meeting or study (minutes expected): its titles give topics


@dataclass(frozen=True)
class Window:
    """The ledger's period (inclusive) and the year its dates are written without."""

    start: date
    end: date
    plain_year: int | None = None
