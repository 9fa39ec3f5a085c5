"""Digests: one message per recipient, channel and sending run.

All the items a run sends to one recipient on one channel become one digest; a task reached by
several stages at once (a stage moved past a holiday onto the next stage's day, or a run that
catches up after an outage) is listed once. The message is written with the templates of the
event its tasks share, or as a digest grouping them by unit and state when they mix events
(:mod:`obligations.reminders.composing`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class DigestItem:
    id: int
    task_id: int
    recipient_key: str
    channel: str
    stage: str
    no_recipient: bool = False


@dataclass
class Digest:
    recipient_key: str
    channel: str
    item_ids: list[int] = field(default_factory=list)
    task_ids: list[int] = field(default_factory=list)  # each task once, in order of first item
    orphaned: set[int] = field(default_factory=set)  # tasks nobody else can be reminded of

    def add(self, item: DigestItem) -> None:
        self.item_ids.append(item.id)
        if item.task_id not in self.task_ids:
            self.task_ids.append(item.task_id)
        if item.no_recipient:
            self.orphaned.add(item.task_id)


def group_digests(items: Iterable[DigestItem]) -> list[Digest]:
    """Digests by (recipient, channel), in order of each group's first item."""
    digests: dict[tuple[str, str], Digest] = {}
    for item in sorted(items, key=lambda i: i.id):
        key = (item.recipient_key, item.channel)
        digests.setdefault(key, Digest(*key)).add(item)
    return list(digests.values())
