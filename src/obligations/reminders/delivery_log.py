"""The delivery log for administrators: what was handed to which channel, and what failed.

Read-only: the reminder sweep and the channel test write :class:`DeliveryAttempt` rows (and
the sweep marks :class:`ReminderItem` rows failed); this module only reads them, newest first,
naming tasks and people rather than their ids.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from obligations.models import Organization, Person, Task
from obligations.models.reminders import DeliveryAttempt, ReminderItem
from obligations.reminders.channel_test import TEST_RECIPIENT
from obligations.reminders.recipients import person_of
from obligations.reminders.stages import stage_label
from obligations.vocabulary import ADMINS, AttemptResult, ItemState

TASKS_NAMED = 3  # a digest's tasks named in its log row; the rest counted

FAILED_RESULTS = (AttemptResult.SENDING, AttemptResult.TRANSIENT, AttemptResult.PERMANENT)


@dataclass(frozen=True)
class AttemptEntry:
    id: int
    started_at: datetime
    finished_at: datetime | None
    channel: str
    recipient: str
    subject: str
    tasks: int
    parts: int
    result: AttemptResult
    error: str | None
    is_test: bool = False
    task_names: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return self.result is not AttemptResult.SENT

    @property
    def result_label(self) -> str:
        """The result; a failed test is never retried, whatever its kind."""
        if self.is_test:
            return {
                AttemptResult.SENT: "测试：已发送",
                AttemptResult.SENDING: "测试：结果未知",
            }.get(self.result, "测试：发送失败")
        return self.result.label


@dataclass(frozen=True)
class FailedItem:
    """A planned reminder that can never be sent as planned."""

    id: int
    task_id: int
    stage: str
    channel: str
    recipient_key: str
    planned_for: date
    attempts: int
    error: str | None
    task_name: str = ""
    recipient: str = ""  # the person's name, 管理员, or the key of a person since deleted

    @property
    def stage_label(self) -> str:
        return stage_label(self.stage)


def recent_attempts(
    session: Session,
    *,
    failures_only: bool = False,
    limit: int = 200,
    titles: Mapping[str, str] | None = None,
) -> list[AttemptEntry]:
    """The latest delivery attempts, newest first; ``failures_only``: all but the sent ones.
    Each names its first tasks (``titles``: rule id -> title, from the catalog)."""
    query = select(DeliveryAttempt).order_by(
        DeliveryAttempt.started_at.desc(), DeliveryAttempt.id.desc()
    )
    if failures_only:
        query = query.where(DeliveryAttempt.result.in_(FAILED_RESULTS))
    attempts = list(session.scalars(query.limit(limit)))
    names = task_names(session, (t for a in attempts for t in a.task_ids[:TASKS_NAMED]), titles)
    return [_entry(a, names) for a in attempts]


def last_results(
    session: Session, channels: Collection[str], *, since: datetime
) -> dict[str, AttemptEntry]:
    """Each channel's latest attempt started at ``since`` or later (test or reminder), for
    the state the channels page shows: a failure since the last success is a fault."""
    found: dict[str, AttemptEntry] = {}
    for channel in channels:
        latest = session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.channel == channel, DeliveryAttempt.started_at >= since)
            .where(DeliveryAttempt.result != AttemptResult.SENDING)
            .order_by(DeliveryAttempt.started_at.desc(), DeliveryAttempt.id.desc())
            .limit(1)
        ).first()
        if latest is not None:
            found[channel] = _entry(latest, {})
    return found


def _entry(a: DeliveryAttempt, names: Mapping[int, str]) -> AttemptEntry:
    return AttemptEntry(
        id=a.id,
        started_at=a.started_at,
        finished_at=a.finished_at,
        channel=a.channel,
        recipient=a.recipient_name,
        subject=a.subject,
        tasks=len(a.task_ids),
        parts=a.parts,
        result=a.result,
        error=a.error,
        is_test=a.recipient_key == TEST_RECIPIENT,
        task_names=tuple(names[t] for t in a.task_ids[:TASKS_NAMED] if t in names),
    )


def task_names(
    session: Session, task_ids: Iterable[int], titles: Mapping[str, str] | None
) -> dict[int, str]:
    """Task id -> "支部党员大会（第一党支部，2026-10）": the rule's title (``titles``, else
    its id), the organization and the period."""
    wanted = set(task_ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(Task.id, Task.rule_id, Task.period_key, Organization.name)
        .join(Organization, Organization.id == Task.organization_id)
        .where(Task.id.in_(wanted))
    )
    named = titles or {}
    return {
        task_id: f"{named.get(rule_id, rule_id)}（{org}，{period}）"
        for task_id, rule_id, period, org in rows
    }


def recipient_names(session: Session, keys: Iterable[str]) -> dict[str, str]:
    """Recipient key -> who: a person's name, 管理员 for the administrators, 渠道测试."""
    people = {person_of(k): k for k in keys if person_of(k) is not None}
    named = {ADMINS: "管理员", TEST_RECIPIENT: "渠道测试"}
    if people:
        rows = session.execute(select(Person.id, Person.name).where(Person.id.in_(people)))
        named |= {people[person_id]: name for person_id, name in rows}
    return named


def failed_items(
    session: Session, *, limit: int = 100, titles: Mapping[str, str] | None = None
) -> list[FailedItem]:
    """Reminder items in the failed state on a channel, newest first, with their task's and
    recipient's names (those without any channel, before any is configured, are counted by
    :func:`unrouted_count` instead)."""
    query = (
        select(ReminderItem)
        .where(ReminderItem.state == ItemState.FAILED, ReminderItem.channel != "")
        .order_by(ReminderItem.planned_for.desc(), ReminderItem.id.desc())
        .limit(limit)
    )
    items = list(session.scalars(query))
    tasks = task_names(session, (item.task_id for item in items), titles)
    who = recipient_names(session, {item.recipient_key for item in items})
    return [
        FailedItem(
            id=item.id,
            task_id=item.task_id,
            stage=item.stage,
            channel=item.channel,
            recipient_key=item.recipient_key,
            planned_for=item.planned_for,
            attempts=item.attempts,
            error=item.last_error,
            task_name=tasks.get(item.task_id, f"任务 {item.task_id}"),
            recipient=who.get(item.recipient_key, item.recipient_key),
        )
        for item in items
    ]


def unrouted_count(session: Session) -> int:
    """How many reminders wait for a channel: failed items with none, planned while
    channels.yaml names no administrators' channel (see ``planning``)."""
    query = select(func.count()).where(
        ReminderItem.state == ItemState.FAILED, ReminderItem.channel == ""
    )
    return int(session.scalar(query) or 0)
