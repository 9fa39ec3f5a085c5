"""Send the reminder items that are due: claim, check, digest, send, record.

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
- Messages go out only on working days within the sending hours.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, Table, and_, or_, select, tuple_, update
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.selectable import NamedFromClause

from obligations.channels import (
    Channel,
    DeliveryError,
    EmailConfig,
    EmailRecipient,
    OutgoingMessage,
)
from obligations.models import DeliveryAttempt, Organization, Person, ReminderItem, Task
from obligations.reminders.config import ReminderConfig
from obligations.reminders.recipients import person_of
from obligations.reminders.routing import broken_channels, mark_broken, mark_working
from obligations.reminders.stages import SendingHours, retry_at
from obligations.reminders.templates import (
    NotificationContext,
    NotificationEvent,
    NotificationItem,
    NotificationRenderer,
)
from obligations.rules.calendars import workday_calendar
from obligations.rules.catalog import Catalog
from obligations.rules.digests import Digest, DigestItem, group_digests
from obligations.rules.workdays import WorkdayCalendar
from obligations.tasks.state import recorded_on_by_task, state_of
from obligations.tasks.status import TaskStatus
from obligations.timeutil import LOCAL_TZ, local_date
from obligations.vocabulary import ADMINS, AttemptResult, ItemState

log = logging.getLogger(__name__)

_ITEMS = cast(Table, ReminderItem.__table__)
# Give the items back rather than start a send this close to the end of the lease.
_LEASE_MARGIN = timedelta(seconds=60)


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
    broken: dict[str, str] = field(default_factory=dict)  # channels found or marked broken


@dataclass(frozen=True)
class Sender:
    """What a sweep needs besides the database and the clock."""

    channels: Mapping[str, Channel]
    renderer: NotificationRenderer
    catalog: Catalog
    config: ReminderConfig
    workdays: WorkdayCalendar
    hours: SendingHours
    due_soon_days: int = 7
    monotonic: Callable[[], float] = time.monotonic

    @classmethod
    def create(
        cls,
        channels: Mapping[str, Channel],
        renderer: NotificationRenderer,
        catalog: Catalog,
        config: ReminderConfig,
        *,
        tz: ZoneInfo = LOCAL_TZ,
        due_soon_days: int = 7,
    ) -> Sender:
        hours = SendingHours(config.send_at, config.send_until, tz)
        return cls(
            channels, renderer, catalog, config, workday_calendar(catalog), hours, due_soon_days
        )

    @property
    def lease(self) -> timedelta:
        return timedelta(minutes=self.config.lease_minutes)


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
    usable = [name for name in sender.channels if name not in report.broken]
    while usable:
        token = str(uuid.uuid4())
        claimed_at = sender.monotonic()
        if not _claim_group(sessions, token, now, now + sender.lease, usable):
            break
        _deliver(sessions, sender, token, now, worker_id, claimed_at, report)
        usable = [name for name in usable if name not in report.broken]
    return report


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(ReminderItem.state == ItemState.PENDING, ReminderItem.next_attempt_at <= now),
        and_(ReminderItem.state == ItemState.CLAIMED, ReminderItem.lease_until < now),
    )


def _claim_group(
    sessions: sessionmaker[Session],
    token: str,
    now: datetime,
    lease_until: datetime,
    channels: Sequence[str],
) -> int:
    """Claim every due item of one (recipient, channel) with conditional UPDATEs.

    The first UPDATE finds a group in a subquery (an indexed read of one due item) and claims
    that group's due items, returning the group; a second claims the same group's items held
    under an expired lease. Each UPDATE re-checks "due" on every row it changes, so of two
    processes racing for the same group one gets the rows and the other none: it then looks
    for another group.
    """
    while True:
        with sessions.begin() as session:
            claimed = _claim_first_group(session, token, now, lease_until, channels)
        if claimed or _due_group(sessions, now, channels) is None:
            return claimed


def _claim_first_group(
    session: Session, token: str, now: datetime, lease_until: datetime, channels: Sequence[str]
) -> int:
    # Core statements on the table: the ORM's bulk-update path costs more than the UPDATE.
    items = _ITEMS.c
    pending, expired = _due_conditions(now, _ITEMS)
    claim = {"state": ItemState.CLAIMED, "claim_token": token, "lease_until": lease_until}
    connection = session.connection()
    # Pending items pick the group first, then expired claims (the order of _due_group).
    for is_pending, half, rest in ((True, pending, expired), (False, expired, None)):
        found = _first_group_query(now, channels, is_pending)
        claimed = connection.execute(
            update(_ITEMS)
            .where(tuple_(items.recipient_key, items.channel).in_(found), *half)
            .values(claim)
            .returning(items.recipient_key, items.channel)
        ).all()
        if not claimed:
            continue
        recipient_key, channel = claimed[0]
        count = len(claimed)
        if rest is not None:
            # The same group's items under an expired lease go into the same message.
            statement = (
                update(_ITEMS)
                .where(items.recipient_key == recipient_key, items.channel == channel, *rest)
                .values(claim)
            )
            count += connection.execute(statement).rowcount
        return count
    return 0


def _due_conditions(
    now: datetime, items: Table | NamedFromClause
) -> tuple[tuple[ColumnElement[bool], ...], tuple[ColumnElement[bool], ...]]:
    """Pending and due; claimed under an expired lease (the two halves of :func:`_due`).

    Two plain conditions rather than one OR, so each is answered by one index.
    """
    return (
        (items.c.state == ItemState.PENDING, items.c.next_attempt_at <= now),
        (items.c.state == ItemState.CLAIMED, items.c.lease_until < now),
    )


def _first_group_query(now: datetime, channels: Sequence[str], pending: bool) -> Select[Any]:
    """The (recipient, channel) of one due item: of a pending one, or of an expired claim.

    It reads an alias of the table, so that inside an UPDATE of the table it is an
    independent subquery, evaluated once (not once per row).
    """
    item = _ITEMS.alias("due_item")
    condition = _due_conditions(now, item)[0 if pending else 1]
    return (
        select(item.c.recipient_key, item.c.channel)
        .where(*condition, item.c.channel.in_(channels))
        .limit(1)
    )


def _due_group(
    sessions: sessionmaker[Session], now: datetime, channels: Sequence[str]
) -> tuple[str, str] | None:
    """A (recipient, channel) with a due item: pending ones first, then expired claims."""
    with sessions() as session:
        for pending in (True, False):
            row = session.execute(_first_group_query(now, channels, pending)).first()
            if row is not None:
                return row[0], row[1]
    return None


@dataclass(frozen=True)
class _Prepared:
    digest: Digest
    message: OutgoingMessage
    recipient_name: str
    cancelled: list[int]
    unreachable: str | None  # why the recipient cannot be reached on this channel


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
        items = _digest_items(session, ReminderItem.claim_token == token)
        prepared = _prepare(session, sender, items, now)
    if prepared is None:  # every task was settled
        _finish(sessions, token, [i.id for i in items], ItemState.CANCELLED, now)
        report.cancelled_items += len(items)
        return
    if prepared.cancelled:
        _finish(sessions, token, prepared.cancelled, ItemState.CANCELLED, now)
        report.cancelled_items += len(prepared.cancelled)
    digest = prepared.digest
    if prepared.unreachable is not None:
        _finish(sessions, token, digest.item_ids, ItemState.FAILED, now, prepared.unreachable)
        report.failed_items += len(digest.item_ids)
        return
    if sender.monotonic() - claimed_at > (sender.lease - _LEASE_MARGIN).total_seconds():
        _release(sessions, token, digest.item_ids)  # the lease may be gone: do not send
        return
    attempt_id = _start_attempt(sessions, token, worker_id, prepared, now)
    channel = sender.channels[digest.channel]
    try:
        receipt = channel.send(prepared.message)
    except DeliveryError as error:
        _failed(sessions, sender, token, attempt_id, prepared, error, now, report)
        return
    with sessions.begin() as session:
        done = _set_items(
            session, token, digest.item_ids, state=ItemState.SENT, sent_at=now, last_error=None
        )
        _end_attempt(session, attempt_id, AttemptResult.SENT, now, parts=receipt.parts)
        mark_working(session, digest.channel, now)
    if done < len(digest.item_ids):
        log.warning("claim %s lost its lease while sending: the message may be repeated", token)
    report.sent_items += len(digest.item_ids)
    report.messages.append(_message(prepared, AttemptResult.SENT))


def _digest_items(session: Session, condition: ColumnElement[bool]) -> list[DigestItem]:
    rows = session.execute(
        select(
            ReminderItem.id,
            ReminderItem.task_id,
            ReminderItem.recipient_key,
            ReminderItem.channel,
            ReminderItem.stage,
            ReminderItem.no_recipient,
        ).where(condition)
    )
    return [DigestItem(*row) for row in rows]


def _prepare(
    session: Session, sender: Sender, items: list[DigestItem], now: datetime
) -> _Prepared | None:
    """The message for one claimed group, leaving out the tasks settled by now."""
    today = local_date(now, sender.hours.tz)
    tasks = {
        t.id: t
        for t in session.scalars(select(Task).where(Task.id.in_({i.task_id for i in items})))
    }
    recorded = recorded_on_by_task(session, list(tasks))
    status = {
        task_id: state_of(
            task, recorded.get(task_id, []), today=today, due_soon_days=sender.due_soon_days
        )
        for task_id, task in tasks.items()
    }
    cancelled = [i.id for i in items if status[i.task_id].settled]
    live = [i for i in items if not status[i.task_id].settled]
    if not live:
        return None
    digest = group_digests(live)[0]
    name, message, unreachable = _addressed(session, sender, digest)
    entries = _entries(session, sender, digest, tasks, status, today)
    context = NotificationContext(
        recipient_name=name,
        items=entries,
        dashboard_url=_dashboard(sender),
        today=today,
    )
    rendered = sender.renderer.render(NotificationEvent.DIGEST, context)
    outgoing = rendered.message(
        emails=message.emails,
        mention_mobiles=message.mention_mobiles,
        mention_user_ids=message.mention_user_ids,
    )
    return _Prepared(digest, outgoing, name, cancelled, unreachable)


def _addressed(
    session: Session, sender: Sender, digest: Digest
) -> tuple[str, OutgoingMessage, str | None]:
    """Recipient name and addresses (an empty message carrying them), or why none works."""
    is_email = isinstance(sender.config.channels.get(digest.channel), EmailConfig)
    if digest.recipient_key == ADMINS:
        admins = sender.config.admins
        address = OutgoingMessage(
            subject="",
            text="",
            emails=tuple(EmailRecipient(e, admins.name) for e in admins.emails),
            mention_mobiles=tuple(admins.mobiles),
        )
        missing = "管理员没有配置邮箱地址" if is_email and not admins.emails else None
        return admins.name, address, missing
    person = session.get(Person, person_of(digest.recipient_key))
    if person is None:
        return digest.recipient_key, OutgoingMessage("", ""), "接收人已不存在"
    address = OutgoingMessage(
        subject="",
        text="",
        emails=(EmailRecipient(person.email, person.name),) if person.email else (),
        mention_mobiles=(person.mobile,) if person.mobile else (),
        mention_user_ids=(person.wecom_userid,) if person.wecom_userid else (),
    )
    missing = (
        f"{person.name}（{person.code}）没有邮箱地址" if is_email and not person.email else None
    )
    return person.name, address, missing


def _entries(
    session: Session,
    sender: Sender,
    digest: Digest,
    tasks: Mapping[int, Task],
    status: Mapping[int, TaskStatus],
    today: date,
) -> list[NotificationItem]:
    chosen = [tasks[task_id] for task_id in digest.task_ids]
    org_ids = {t.unit_id for t in chosen} | {t.organization_id for t in chosen}
    names = {
        org_id: name
        for org_id, name in session.execute(
            select(Organization.id, Organization.name).where(Organization.id.in_(org_ids))
        )
    }
    person_ids = {t.person_id for t in chosen if t.person_id is not None}
    people = {
        person_id: name
        for person_id, name in session.execute(
            select(Person.id, Person.name).where(Person.id.in_(person_ids))
        )
    }
    titles = {located.rule.id: located.rule.title for located in sender.catalog.rules}
    entries = []
    for task in chosen:
        owner = (
            people.get(task.person_id, "")
            if task.person_id is not None
            else names.get(task.organization_id, "")
        )
        if task.id in digest.orphaned:
            owner += "（无人可接收提醒，请指定书记或联系方式）"
        entries.append(
            NotificationItem(
                unit_name=names.get(task.unit_id, ""),
                branch_name=owner,
                ledger_item=task.ledger_item,
                task_title=titles.get(task.rule_id, task.rule_id),
                period_label=task.period_key,
                due_date=task.due_on,
                status=status[task.id],
                link_url=f"{_dashboard(sender)}/tasks/{task.id}",
                days_overdue=max(0, (today - task.due_on).days),
            )
        )
    return entries


def _dashboard(sender: Sender) -> str:
    return sender.config.dashboard_url.rstrip("/")


def _message(
    prepared: _Prepared, result: AttemptResult | None, error: str | None = None
) -> Message:
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
    prepared: _Prepared,
    now: datetime,
) -> int:
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
        session.add(attempt)
        session.flush()
        return attempt.id


def _end_attempt(
    session: Session,
    attempt_id: int,
    result: AttemptResult,
    now: datetime,
    *,
    parts: int = 0,
    error: str | None = None,
) -> None:
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
    prepared: _Prepared,
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
        _set_items(
            session,
            token,
            digest.item_ids,
            state=ItemState.PENDING,
            claim_token=None,
            lease_until=None,
            next_attempt_at=next_at,
            last_error=error.message,
        )
        _end_attempt(session, attempt_id, result, now, parts=error.parts_sent, error=error.message)
    report.messages.append(_message(prepared, result, error.message))


def _set_items(session: Session, token: str, ids: Sequence[int], **values: Any) -> int:
    """Update items still held under ``token``; the count tells whether the claim held."""
    statement = (
        update(ReminderItem)
        .where(ReminderItem.id.in_(ids), ReminderItem.claim_token == token)
        .values(attempts=ReminderItem.attempts + 1, **values)
        .execution_options(synchronize_session=False)
    )
    count: int = session.execute(statement).rowcount  # type: ignore[attr-defined]
    return count


def _finish(
    sessions: sessionmaker[Session],
    token: str,
    ids: Sequence[int],
    state: ItemState,
    now: datetime,
    error: str | None = None,
) -> None:
    with sessions.begin() as session:
        session.execute(
            update(ReminderItem)
            .where(ReminderItem.id.in_(ids), ReminderItem.claim_token == token)
            .values(state=state, lease_until=None, last_error=error)
            .execution_options(synchronize_session=False)
        )


def _release(sessions: sessionmaker[Session], token: str, ids: Sequence[int]) -> None:
    with sessions.begin() as session:
        session.execute(
            update(ReminderItem)
            .where(ReminderItem.id.in_(ids), ReminderItem.claim_token == token)
            .values(state=ItemState.PENDING, claim_token=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )


def preview(session: Session, sender: Sender, now: datetime) -> SweepReport:
    """What a sweep would send now, claiming and changing nothing (in ``session``, so a
    caller may preview items it planned in the same uncommitted transaction)."""
    report = SweepReport()
    if not sender.hours.is_open(now, sender.workdays):
        report.outside_hours = True
        return report
    report.broken = broken_channels(session, sender.config)
    usable = [name for name in sender.channels if name not in report.broken]
    items = _digest_items(session, and_(_due(now), ReminderItem.channel.in_(usable)))
    for digest in group_digests(items):
        chosen = set(digest.item_ids)
        prepared = _prepare(session, sender, [i for i in items if i.id in chosen], now)
        if prepared is None:
            report.cancelled_items += len(chosen)
            continue
        report.cancelled_items += len(prepared.cancelled)
        report.messages.append(_message(prepared, None, prepared.unreachable))
    return report
