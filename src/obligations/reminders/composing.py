"""The message for one claimed group of items: whom it is for, which event, which tasks.

Tasks settled by the time of the send are left out (their items are cancelled). The recipient
becomes a neutral :class:`~obligations.channels.Contact`; the channel says whether it can reach
them. The message is rendered with its event's templates (:func:`message_event`): a message
whose tasks all share one event reads as that event (due soon, overdue, escalation); a message
mixing events is the digest, grouped by unit and state.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from obligations.channels import Contact, OutgoingMessage, channel_class
from obligations.models import Organization, Person, ReminderItem, Task
from obligations.reminders.contacts import person_contacts
from obligations.reminders.digests import Digest, DigestItem, group_digests
from obligations.reminders.recipients import person_of
from obligations.reminders.sender import Sender
from obligations.reminders.stages import stage_kind
from obligations.reminders.templates import (
    NotificationContext,
    NotificationEvent,
    NotificationItem,
)
from obligations.rules.periods import period_text
from obligations.tasks.state import recorded_on_by_task, state_of
from obligations.tasks.status import TaskStatus
from obligations.timeutil import local_date
from obligations.vocabulary import ADMINS


@dataclass(frozen=True)
class Prepared:
    digest: Digest
    message: OutgoingMessage
    recipient_name: str
    cancelled: list[int]
    unreachable: str | None  # why the recipient cannot be reached on this channel


def digest_items(session: Session, condition: ColumnElement[bool]) -> list[DigestItem]:
    """The items matching ``condition``, as the digest groups them."""
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


def task_event(stages: Collection[str], status: TaskStatus) -> NotificationEvent:
    """What a task's reminder is about: an escalation when one of its ``stages`` (names, e.g.
    ``escalate_unit``) escalates, else overdue or due soon by its ``status`` at the send."""
    if any(stage_kind(stage).escalation for stage in stages):
        return NotificationEvent.ESCALATION
    if status is TaskStatus.OVERDUE:
        return NotificationEvent.OVERDUE
    return NotificationEvent.DUE_SOON


def message_event(events: Collection[NotificationEvent]) -> NotificationEvent:
    """The event of a message whose tasks have ``events``: theirs when they agree, else the
    digest (which groups the tasks by unit and state)."""
    found = set(events)
    return found.pop() if len(found) == 1 else NotificationEvent.DIGEST


def prepare(
    session: Session, sender: Sender, items: list[DigestItem], now: datetime
) -> Prepared | None:
    """The message for one claimed group, leaving out the tasks settled by now; None when
    every task is settled."""
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
    contact, unreachable = _addressed(session, sender, digest)
    stages: dict[int, list[str]] = {}
    for item in live:
        stages.setdefault(item.task_id, []).append(item.stage)
    event = message_event([task_event(stages[t], status[t]) for t in digest.task_ids])
    context = NotificationContext(
        recipient_name=contact.name,
        items=_entries(session, sender, digest, tasks, status, today),
        dashboard_url=dashboard(sender),
        today=today,
    )
    message = sender.renderer.render(event, context).message(to=(contact,))
    return Prepared(digest, message, contact.name, cancelled, unreachable)


def _addressed(session: Session, sender: Sender, digest: Digest) -> tuple[Contact, str | None]:
    """The recipient as a contact, and why the digest's channel cannot reach them (or None)."""
    if digest.recipient_key == ADMINS:
        contact = sender.config.admins.contact
    else:
        person_id = person_of(digest.recipient_key)
        found = person_contacts(session, [person_id]) if person_id is not None else {}
        if person_id not in found:
            return Contact(digest.recipient_key), "接收人已不存在"
        contact = found[person_id]
    config = sender.config.channels.get(digest.channel)
    return contact, channel_class(config).unreachable(contact) if config is not None else None


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
                period_label=period_text(task.period_key),
                due_date=task.due_on,
                status=status[task.id],
                link_url=f"{dashboard(sender)}/tasks/{task.id}",
                days_overdue=max(0, (today - task.due_on).days),
            )
        )
    return entries


def dashboard(sender: Sender) -> str:
    return sender.config.dashboard_url.rstrip("/")
