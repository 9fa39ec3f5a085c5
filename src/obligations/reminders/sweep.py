"""Send the reminder items that are due: claim, check, digest, send, record.

Claiming is :mod:`obligations.reminders.claiming`, the message for a claimed group
:mod:`obligations.reminders.composing`; this module runs the loop and records each attempt.

Delivery guarantee, stated honestly:

- An item is sent only after its sender claimed it with a conditional UPDATE (pending and due,
  or claimed under an expired lease): of several processes sweeping at once, exactly one gets
  each item, with no lock held while sending.
- Before the send, a :class:`DeliveryAttempt` row (result ``sending``) is committed; after it,
  the items and the attempt are updated in one transaction. A sender that dies in between
  leaves the items claimed: once the lease expires another sender takes them over and sends
  them again. **So a crash between a send and its record can repeat that one message**; the
  attempt left at ``sending`` shows it. Likewise a message split in parts that fails half-way is
  sent again whole. Nothing else repeats, and nothing is lost: an item leaves the table's
  pending states only as sent (recorded after the channel accepted it), cancelled (its task
  was settled when the sweep looked) or failed (no channel can reach anybody; visible).
- A sender checks its lease before each send and gives the items back rather than send under a
  lease that may have expired (a second sender could hold them).
- Transient errors put the items back with a growing delay (kept inside sending hours);
  permanent errors mark the channel broken and the items wait until it works again.
- A rate-limit answer pauses the channel for every sender process until the time the provider
  gave (:mod:`obligations.reminders.pacing`): this run sends nothing more on it, and its
  waiting items are put off until then, as transient (no attempt counted), not failed. A sender
  checks the pause again just before each send, so another process's pause stops it too.
- Messages go out only on working days within the sending hours.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session, sessionmaker

from obligations.channels import DeliveryError
from obligations.models import DeliveryAttempt, ReminderItem
from obligations.reminders.claiming import claim_group, due, finish, release, set_items
from obligations.reminders.composing import Prepared, digest_items, prepare
from obligations.reminders.digests import group_digests
from obligations.reminders.pacing import defer_items, pause_channel, paused_channels, paused_until
from obligations.reminders.routing import broken_channels, mark_broken, mark_working
from obligations.reminders.sender import Sender
from obligations.reminders.stages import retry_at
from obligations.vocabulary import AttemptResult, ItemState

log = logging.getLogger(__name__)

# Give the items back rather than start a send this close to the end of the lease.
_LEASE_MARGIN = timedelta(seconds=60)
# How long to pause a channel whose provider said "rate limited" without saying for how long.
_DEFAULT_PAUSE = timedelta(seconds=60)

_PAUSED = "渠道被服务方限流，暂停发送，到时自动重试"

__all__ = ["Message", "Sender", "SweepReport", "preview", "sweep"]


@dataclass(frozen=True)
class Message:
    """One message of a run, as printed by ``obligations remind``."""

    channel: str
    recipient: str
    subject: str
    task_ids: tuple[int, ...]
    result: AttemptResult | None  # None: dry run
    error: str | None = None


@dataclass
class SweepReport:
    outside_hours: bool = False
    messages: list[Message] = field(default_factory=list)
    sent_items: int = 0
    cancelled_items: int = 0
    failed_items: int = 0
    deferred_items: int = 0  # put off until a rate-limit pause ends
    broken: dict[str, str] = field(default_factory=dict)  # channels found or marked broken
    paused: dict[str, datetime] = field(default_factory=dict)  # channel -> end of its pause


def sweep(
    sessions: sessionmaker[Session],
    sender: Sender,
    now: datetime,
    worker_id: str,
    *,
    dry_run: bool = False,
) -> SweepReport:
    """Send every due item once (see the module docstring for the exact guarantee)."""
    report = SweepReport()
    if not sender.hours.is_open(now, sender.workdays):
        report.outside_hours = True
        return report
    if dry_run:
        with sessions() as session:
            return preview(session, sender, now)
    with sessions() as session:
        report.broken = broken_channels(session, sender.config)
        report.paused = paused_channels(session, now)
    usable = _usable(sender.channels, report)
    while usable:
        token = str(uuid.uuid4())
        claimed_at = sender.monotonic()
        if not claim_group(sessions, token, now, now + sender.lease, usable):
            break
        _deliver(sessions, sender, token, now, worker_id, claimed_at, report)
        usable = _usable(usable, report)
    return report


def _usable(names: Iterable[str], report: SweepReport) -> list[str]:
    """The channels of ``names`` neither broken nor paused."""
    return [name for name in names if name not in report.broken and name not in report.paused]


def _deliver(
    sessions: sessionmaker[Session],
    sender: Sender,
    token: str,
    now: datetime,
    worker_id: str,
    claimed_at: float,
    report: SweepReport,
) -> None:
    with sessions() as session:
        items = digest_items(session, ReminderItem.claim_token == token)
        prepared = prepare(session, sender, items, now)
    if prepared is None:  # every task was settled
        finish(sessions, token, [i.id for i in items], ItemState.CANCELLED)
        report.cancelled_items += len(items)
        return
    if prepared.cancelled:
        finish(sessions, token, prepared.cancelled, ItemState.CANCELLED)
        report.cancelled_items += len(prepared.cancelled)
    digest = prepared.digest
    if prepared.unreachable is not None:
        finish(sessions, token, digest.item_ids, ItemState.FAILED, prepared.unreachable)
        report.failed_items += len(digest.item_ids)
        return
    if sender.monotonic() - claimed_at > (sender.lease - _LEASE_MARGIN).total_seconds():
        with sessions.begin() as session:  # the lease may be gone: do not send
            release(session, token, digest.item_ids)
        return
    attempt_id = _start_attempt(sessions, token, worker_id, prepared, now, report)
    if attempt_id is None:  # another sender paused the channel
        return
    channel = sender.channels[digest.channel]
    try:
        receipt = channel.send(prepared.message)
    except DeliveryError as error:
        _failed(sessions, sender, token, attempt_id, prepared, error, now, report)
        return
    with sessions.begin() as session:
        done = set_items(
            session, token, digest.item_ids, state=ItemState.SENT, sent_at=now, last_error=None
        )
        end_attempt(session, attempt_id, AttemptResult.SENT, now, parts=receipt.parts)
        mark_working(session, digest.channel, now)
    if done < len(digest.item_ids):
        log.warning("claim %s lost its lease while sending: the message may be repeated", token)
    report.sent_items += len(digest.item_ids)
    report.messages.append(_message(prepared, AttemptResult.SENT))


def _message(prepared: Prepared, result: AttemptResult | None, error: str | None = None) -> Message:
    return Message(
        channel=prepared.digest.channel,
        recipient=prepared.recipient_name,
        subject=prepared.message.subject,
        task_ids=tuple(prepared.digest.task_ids),
        result=result,
        error=error,
    )


def _start_attempt(
    sessions: sessionmaker[Session],
    token: str,
    worker_id: str,
    prepared: Prepared,
    now: datetime,
    report: SweepReport,
) -> int | None:
    """Record the attempt about to be made, or, if the channel is paused by now, give the
    items back to wait for the end of the pause and return None."""
    digest = prepared.digest
    attempt = DeliveryAttempt(
        claim_token=token,
        worker_id=worker_id[:100],
        channel=digest.channel,
        recipient_key=digest.recipient_key,
        recipient_name=prepared.recipient_name[:200],
        subject=prepared.message.subject[:300],
        item_ids=list(digest.item_ids),
        task_ids=list(digest.task_ids),
        started_at=now,
        result=AttemptResult.SENDING,
        parts=0,
    )
    with sessions.begin() as session:
        until = paused_until(session, digest.channel, now)
        if until is not None:
            # Only these: the sender that paused the channel put off its other items.
            release(session, token, digest.item_ids, next_attempt_at=until, last_error=_PAUSED)
            report.deferred_items += len(digest.item_ids)
            report.paused[digest.channel] = until
            return None
        session.add(attempt)
        session.flush()
        return attempt.id


def end_attempt(
    session: Session,
    attempt_id: int,
    result: AttemptResult,
    now: datetime,
    *,
    parts: int = 0,
    error: str | None = None,
) -> None:
    """Close a delivery attempt (a reminder digest's or a channel test's) with its result."""
    session.execute(
        update(DeliveryAttempt)
        .where(DeliveryAttempt.id == attempt_id)
        .values(result=result, finished_at=now, parts=parts, error=error)
    )


def _failed(
    sessions: sessionmaker[Session],
    sender: Sender,
    token: str,
    attempt_id: int,
    prepared: Prepared,
    error: DeliveryError,
    now: datetime,
    report: SweepReport,
) -> None:
    digest = prepared.digest
    with sessions.begin() as session:
        attempts = (
            max(
                session.scalars(
                    select(ReminderItem.attempts).where(ReminderItem.id.in_(digest.item_ids))
                ),
                default=0,
            )
            + 1
        )
        if error.permanent:
            result = AttemptResult.PERMANENT
            # The items wait for the channel to be repaired; they are due again at once then.
            next_at = now
            mark_broken(
                session, digest.channel, sender.config.channels[digest.channel], error.message, now
            )
            report.broken[digest.channel] = error.message
        else:
            result = AttemptResult.TRANSIENT
            next_at = retry_at(now, attempts, error.retry_after, sender.hours, sender.workdays)
        set_items(
            session,
            token,
            digest.item_ids,
            state=ItemState.PENDING,
            claim_token=None,
            lease_until=None,
            next_attempt_at=next_at,
            last_error=error.message,
        )
        end_attempt(session, attempt_id, result, now, parts=error.parts_sent, error=error.message)
        if error.rate_limited:
            _pause(session, digest.channel, error, now, report)
    report.messages.append(_message(prepared, result, error.message))


def _pause(
    session: Session, channel: str, error: DeliveryError, now: datetime, report: SweepReport
) -> None:
    """Pause ``channel`` for the time the provider gave and put its waiting items off."""
    wait = _DEFAULT_PAUSE if error.retry_after is None else timedelta(seconds=error.retry_after)
    until = now + wait
    pause_channel(session, channel, until, error.message, now)
    report.deferred_items += defer_items(session, channel, until, _PAUSED)
    report.paused[channel] = until


def preview(session: Session, sender: Sender, now: datetime) -> SweepReport:
    """What a sweep would send now, claiming and changing nothing (in ``session``, so a
    caller may preview items it planned in the same uncommitted transaction)."""
    report = SweepReport()
    if not sender.hours.is_open(now, sender.workdays):
        report.outside_hours = True
        return report
    report.broken = broken_channels(session, sender.config)
    usable = [name for name in sender.channels if name not in report.broken]
    items = digest_items(session, and_(due(now), ReminderItem.channel.in_(usable)))
    for digest in group_digests(items):
        chosen = set(digest.item_ids)
        prepared = prepare(session, sender, [i for i in items if i.id in chosen], now)
        if prepared is None:
            report.cancelled_items += len(chosen)
            continue
        report.cancelled_items += len(prepared.cancelled)
        report.messages.append(_message(prepared, None, prepared.unreachable))
    return report
