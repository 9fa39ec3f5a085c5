"""The delivery log for administrators: what was handed to which channel, and what failed.

Read-only: the reminder sweep writes :class:`DeliveryAttempt` rows (and marks
:class:`ReminderItem` rows failed); this module only reads them, newest first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from obligations.models.reminders import DeliveryAttempt, ReminderItem
from obligations.vocabulary import AttemptResult, ItemState

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

    @property
    def failed(self) -> bool:
        return self.result is not AttemptResult.SENT


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


def recent_attempts(
    session: Session, *, failures_only: bool = False, limit: int = 200
) -> list[AttemptEntry]:
    """The latest delivery attempts, newest first; ``failures_only``: all but the sent ones."""
    query = select(DeliveryAttempt).order_by(
        DeliveryAttempt.started_at.desc(), DeliveryAttempt.id.desc()
    )
    if failures_only:
        query = query.where(DeliveryAttempt.result.in_(FAILED_RESULTS))
    return [
        AttemptEntry(
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
        )
        for a in session.scalars(query.limit(limit))
    ]


def failed_items(session: Session, *, limit: int = 100) -> list[FailedItem]:
    """Reminder items in the failed state (nobody can be reached), newest first."""
    query = (
        select(ReminderItem)
        .where(ReminderItem.state == ItemState.FAILED)
        .order_by(ReminderItem.planned_for.desc(), ReminderItem.id.desc())
        .limit(limit)
    )
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
        )
        for item in session.scalars(query)
    ]
