"""The year semantics of a ledger: which tasks a ledger period reports and with which records.

A task whose period overlaps the ledger's window is reported with the activities held inside
the window, except a task completed before the window (an earlier ledger reported it); a task
running past the window's end and not complete is in progress (进行中), never a gap. Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from obligations.ledger.facts import RecordFact, TaskFact, Window
from obligations.tasks.status import TaskStatus


@dataclass(frozen=True)
class Reported:
    """A task as one ledger reports it: only the records held inside the ledger's period."""

    task: TaskFact
    held: tuple[RecordFact, ...]  # counting records held in the window
    returned: tuple[RecordFact, ...]  # rejected records held in the window
    running: bool  # the period goes on past the window's end and is not complete yet
    unfiled: tuple[RecordFact, ...] = ()  # held in the window, no file where one is required

    @property
    def awaiting(self) -> bool:
        """Activities held in the window whose proof is returned or not yet filed: not a
        miss, material to supply."""
        return bool(self.returned or self.unfiled)


def reported_tasks(tasks: Sequence[TaskFact], window: Window) -> list[Reported]:
    """The year semantics: a task whose period overlaps the window is reported with the
    activities held inside the window, except a task completed by activities held before the
    window (an earlier ledger reported it). A task whose period runs past the window's end
    and is not complete is in progress (进行中): what was done so far, never a gap."""
    reported = []
    for task in tasks:
        if task.status is TaskStatus.RETIRED:
            continue
        counting = [r for r in task.records if task.counts(r)]
        before = [r for r in counting if r.held_on < window.start]
        if len(before) >= task.min_count:
            continue
        inside = [r for r in task.records if window.start <= r.held_on <= window.end]
        held = tuple(r for r in inside if task.counts(r))
        returned = tuple(r for r in inside if not r.counts)
        short = len(before) + len(held) < task.min_count
        # Activities told without their file matter only while the task is short of proof.
        unfiled = tuple(r for r in inside if r.counts and not task.counts(r)) if short else ()
        running = task.ends_on > window.end and short
        reported.append(Reported(task, held, returned, running, unfiled))
    return reported
