"""Reminders: what is planned, who claimed it, what was sent, and which channels are broken.

Every planned reminder is a :class:`ReminderItem` row with a natural key, so planning twice
never doubles anything; every message handed to a channel is a :class:`DeliveryAttempt` row,
written before the send and completed after it. :class:`ReminderCursor` is the stored, indexed
"next moment" of a task: the day its next reminder stage must be planned, so planning reads
only the tasks whose moment has come instead of every task.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from obligations.models.base import Base, intpk
from obligations.vocabulary import (
    AttemptResult,
    ItemState,
)


class ReminderCursor(Base):
    """A task's next reminder moment: the local day its next stage is planned.

    ``next_on`` is None when nothing more is owed (the task was settled when last looked at);
    ``checked_on`` is the day that was last confirmed, so a settled task whose evidence is
    withdrawn (or whose waiver is undone) is looked at again at most once a day.
    ``due_on`` is the due date the stages were computed from: a changed due date re-plans.
    """

    __tablename__ = "reminder_cursor"

    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), primary_key=True)
    due_on: Mapped[date]
    next_on: Mapped[date | None] = mapped_column(index=True)
    checked_on: Mapped[date]
    updated_at: Mapped[datetime]


class ReminderItem(Base):
    """One stage of one task for one recipient on one channel."""

    __tablename__ = "reminder_item"
    __table_args__ = (
        UniqueConstraint("task_id", "stage", "recipient_key", "channel", name="uq_reminder_item"),
        # The sweep's questions: which pending items are due, which leases have expired.
        Index("ix_reminder_item_state_next", "state", "next_attempt_at"),
        Index("ix_reminder_item_state_lease", "state", "lease_until"),
        # Claiming one (recipient, channel)'s due items: every condition of the pending half
        # is in the key, so even without statistics (SQLite never analyzed) no planner prefers
        # ix_reminder_item_state_next, which would read every due item of every group.
        Index("ix_reminder_item_group_due", "recipient_key", "channel", "state", "next_attempt_at"),
        Index("ix_reminder_item_claim", "claim_token"),
    )

    id: Mapped[intpk]
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), index=True)
    stage: Mapped[str] = mapped_column(String(32))  # before_7, overdue_1, overdue_repeat_2 ...
    recipient_key: Mapped[str] = mapped_column(String(40))  # "person:12" or "admins"
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    channel: Mapped[str] = mapped_column(String(64))  # a channel name from channels.yaml
    # Reported to the administrators because nobody holds the role that should receive it.
    no_recipient: Mapped[bool] = mapped_column(default=False)
    planned_for: Mapped[date]  # the local working day it is meant to go out
    state: Mapped[ItemState] = mapped_column(Enum(ItemState, native_enum=False, length=16))
    claim_token: Mapped[str | None] = mapped_column(String(36))
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class DeliveryAttempt(Base):
    """One message handed to a channel: what, to whom, which channel, when, result, error."""

    __tablename__ = "delivery_attempt"
    __table_args__ = (Index("ix_delivery_attempt_started", "started_at"),)

    id: Mapped[intpk]
    claim_token: Mapped[str] = mapped_column(String(36), index=True)
    worker_id: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(64))
    recipient_key: Mapped[str] = mapped_column(String(40))
    recipient_name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    item_ids: Mapped[list[int]] = mapped_column(JSON)
    task_ids: Mapped[list[int]] = mapped_column(JSON)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    result: Mapped[AttemptResult] = mapped_column(Enum(AttemptResult, native_enum=False, length=16))
    parts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)


class ChannelHealth(Base):
    """A channel that failed permanently, shown to administrators until it works again.

    ``config_digest`` is the digest of the configuration that failed: once an administrator
    changes the configuration, the channel is tried again without further ceremony.
    """

    __tablename__ = "channel_health"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    broken_at: Mapped[datetime | None]
    broken_reason: Mapped[str | None] = mapped_column(Text)
    config_digest: Mapped[str | None] = mapped_column(String(64))
    last_ok_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class OrganizationChannel(Base):
    """The channels an organization's people are reached on, in order of preference.

    A branch without rows of its own uses its unit's; a unit without rows uses the deployment's
    ``defaults`` from ``channels.yaml``.
    """

    __tablename__ = "organization_channel"

    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)


class ChannelPacing(Base):
    """What every sender process shares about one channel's pace.

    ``sends``: the instants (wall-clock seconds since the epoch) of the channel's sends inside
    its longest rate-limit window, oldest first, at most as many as its largest limit counts;
    a sender takes a slot by appending to it under the row's lock. ``paused_until``: after the
    provider answered "rate limited", nothing is sent on the channel before this instant (the
    sweep's time), for ``pause_reason``.
    """

    __tablename__ = "channel_pacing"

    channel: Mapped[str] = mapped_column(String(64), primary_key=True)
    sends: Mapped[list[float]] = mapped_column(JSON, default=list)
    paused_until: Mapped[datetime | None]
    pause_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]
