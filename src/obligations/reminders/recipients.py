"""Who receives a task's reminder at a stage, by the roles people hold on the day.

- a branch task: the branch's secretary (a 直属党支部 acting as its own branch: its secretary);
- a unit task: the unit's secretary and organizer;
- a person's task: that person;
- escalation after N days overdue: the unit's secretary and organizer;
- escalation after M days: the organization department (the administrators).

Nobody found means the administrators are told instead (``orphaned``): a task is never dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from obligations.reminders.stages import StageKind
from obligations.rules.schema import Scope
from obligations.vocabulary import ADMINS, Role

UNIT_ROLES = (Role.SECRETARY, Role.ORGANIZER)


@dataclass(frozen=True)
class Holding:
    person_id: int
    role: Role
    start_on: date
    end_on: date | None

    def holds_on(self, day: date) -> bool:
        return self.start_on <= day and (self.end_on is None or day <= self.end_on)


@dataclass(frozen=True)
class TaskSubject:
    """Whose task it is: its rule's scope, unit, organization and person."""

    scope: Scope | None  # None when the rule is gone: read the task's own fields
    unit_id: int
    organization_id: int
    person_id: int | None

    @property
    def effective_scope(self) -> Scope:
        if self.scope is not None:
            return self.scope
        if self.person_id is not None:
            return Scope.PERSON
        return Scope.BRANCH if self.organization_id != self.unit_id else Scope.UNIT


@dataclass(frozen=True)
class Recipients:
    keys: tuple[str, ...]  # "person:ID" or ADMINS
    orphaned: bool = False  # the people who should receive it do not exist: admins are told


def person_key(person_id: int) -> str:
    return f"person:{person_id}"


def person_of(key: str) -> int | None:
    return int(key.removeprefix("person:")) if key.startswith("person:") else None


def holders(
    holdings: Mapping[int, Sequence[Holding]], org_id: int, roles: Sequence[Role], day: date
) -> list[int]:
    """People holding any of ``roles`` in ``org_id`` on ``day``, in the order of ``roles``."""
    found: list[int] = []
    for role in roles:
        for holding in holdings.get(org_id, ()):
            if holding.role is role and holding.holds_on(day) and holding.person_id not in found:
                found.append(holding.person_id)
    return found


def recipients(
    kind: StageKind,
    subject: TaskSubject,
    holdings: Mapping[int, Sequence[Holding]],
    today: date,
) -> Recipients:
    if kind is StageKind.ESCALATE_COLLEGE:
        return Recipients((ADMINS,))
    if kind is StageKind.ESCALATE_UNIT:
        people = holders(holdings, subject.unit_id, UNIT_ROLES, today)
    else:
        people = _owners(subject, holdings, today)
    if not people:
        return Recipients((ADMINS,), orphaned=True)
    return Recipients(tuple(person_key(p) for p in people))


def _owners(
    subject: TaskSubject, holdings: Mapping[int, Sequence[Holding]], today: date
) -> list[int]:
    scope = subject.effective_scope
    if scope is Scope.PERSON:
        return [subject.person_id] if subject.person_id is not None else []
    if scope is Scope.BRANCH:
        return holders(holdings, subject.organization_id, (Role.SECRETARY,), today)
    return holders(holdings, subject.unit_id, UNIT_ROLES, today)
