"""Plan reminder items: idempotent, and reading only the tasks whose moment has come.

Each task has a stored, indexed next moment (:class:`ReminderCursor.next_on`, the working day its
next stage goes out). A run asks two indexed questions:

1. which cursors are due (``next_on <= today``): their stages up to today become items and the
   cursor moves to the next stage;
2. which tasks near their due date (``due_on`` between ``today - lookback_days`` and
   ``today + the longest before_days``) have no cursor yet, one computed from an older due date,
   or a stopped one not looked at today: those are (re)planned from their first stage.

So the cost follows the tasks near their due date and the overdue ones, not the whole table.
Items have a natural key (task, stage, recipient, channel) and are inserted with "on conflict do
nothing": running twice, or in two processes at once, never doubles anything. A settled task
(done, waived, retired) gets no items and its cursor stops; it is looked at again once a day
while it is near its due date, in case a record is withdrawn or a waiver undone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, and_, or_, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from obligations.channels import Contact, channel_class
from obligations.models import (
    OrganizationChannel,
    ReminderCursor,
    ReminderItem,
    RoleAssignment,
    Task,
)
from obligations.reminders.config import ReminderConfig
from obligations.reminders.contacts import person_contacts
from obligations.reminders.recipients import Holding, TaskSubject, person_of, recipients
from obligations.reminders.stages import (
    ScheduledStage,
    SendDays,
    SendingHours,
    stages_due,
    task_stages,
)
from obligations.rules.calendars import workday_calendar
from obligations.rules.catalog import Catalog
from obligations.rules.schema import Reminders, Rule
from obligations.rules.workdays import WorkdayCalendar
from obligations.sql_lists import id_in, is_postgresql, unnest_insert
from obligations.tasks.state import recorded_on_by_task, state_of
from obligations.timeutil import LOCAL_TZ, local_date
from obligations.vocabulary import ADMINS, ItemState

_CHUNK = 2_000  # tasks per round of reads and writes (SQLite allows 32,766 bound parameters)
# Core inserts: the ORM's bulk path adds bookkeeping and hides the row count.
_ITEM_TABLE = cast(Table, ReminderItem.__table__)
_CURSOR_TABLE = cast(Table, ReminderCursor.__table__)


@dataclass
class PlanReport:
    looked_at: int = 0  # tasks read this run
    items: int = 0  # items inserted (new)
    stopped: int = 0  # tasks found settled
    orphaned: int = 0  # items sent to administrators because nobody else could receive them


@dataclass(frozen=True)
class Planner:
    """What planning needs besides the database; built once per run."""

    catalog: Catalog
    config: ReminderConfig
    workdays: WorkdayCalendar
    hours: SendingHours
    rules: dict[str, Rule]
    send_days: SendDays

    @classmethod
    def create(cls, catalog: Catalog, config: ReminderConfig, tz: ZoneInfo = LOCAL_TZ) -> Planner:
        hours = SendingHours(config.send_at, config.send_until, tz)
        rules = {located.rule.id: located.rule for located in catalog.rules}
        workdays = workday_calendar(catalog)
        return cls(catalog, config, workdays, hours, rules, SendDays(workdays))

    def reminders_of(self, rule_id: str) -> Reminders:
        rule = self.rules.get(rule_id)
        return rule.reminders if rule is not None else Reminders()


def plan_reminders(
    session: Session,
    catalog: Catalog,
    now: datetime,
    *,
    config: ReminderConfig,
    tz: ZoneInfo = LOCAL_TZ,
) -> PlanReport:
    """Bring the reminder items up to ``now``; safe to run any number of times, anywhere."""
    planner = Planner.create(catalog, config, tz)
    today = local_date(now, planner.hours.tz)
    task_ids = sorted(set(_due_cursors(session, today)) | set(_unplanned(session, planner, today)))
    report = PlanReport(looked_at=len(task_ids))
    for chunk in _chunks(task_ids):
        _plan_chunk(session, planner, chunk, today, now, report)
    return report


def _due_cursors(session: Session, today: date) -> list[int]:
    return list(
        session.scalars(select(ReminderCursor.task_id).where(ReminderCursor.next_on <= today))
    )


def _unplanned(session: Session, planner: Planner, today: date) -> list[int]:
    rules = planner.catalog.enabled_rules
    ahead = max((d for r in rules for d in r.reminders.before_days), default=0)
    query = (
        select(Task.id)
        .outerjoin(ReminderCursor, ReminderCursor.task_id == Task.id)
        .where(
            Task.due_on >= today - timedelta(days=planner.config.lookback_days),
            Task.due_on <= today + timedelta(days=ahead),
            Task.retired_at.is_(None),
            or_(
                ReminderCursor.task_id.is_(None),
                ReminderCursor.due_on != Task.due_on,
                and_(ReminderCursor.next_on.is_(None), ReminderCursor.checked_on < today),
            ),
        )
    )
    return list(session.scalars(query))


def _plan_chunk(
    session: Session,
    planner: Planner,
    task_ids: Sequence[int],
    today: date,
    now: datetime,
    report: PlanReport,
) -> None:
    tasks = list(
        session.scalars(select(Task).where(id_in(session, Task.id, task_ids)).order_by(Task.id))
    )
    cursors = {
        c.task_id: c
        for c in session.scalars(
            select(ReminderCursor).where(id_in(session, ReminderCursor.task_id, task_ids))
        )
    }
    recorded = recorded_on_by_task(
        session, select(Task.id).where(id_in(session, Task.id, task_ids))
    )
    routes = _Routes.load(session, planner.config, tasks, today)
    items: list[dict[str, Any]] = []
    cursor_rows: list[dict[str, Any]] = []
    for task in tasks:
        cursor = cursors.get(task.id)
        status = state_of(task, recorded.get(task.id, []), today=today, due_soon_days=0)
        next_on: date | None = None
        if status.settled:
            report.stopped += 1
        else:
            since = _resume_from(cursor, task)
            plan = stages_due(
                task_stages(
                    due_on=task.due_on,
                    opens_on=task.opens_on,
                    reminders=planner.reminders_of(task.rule_id),
                ),
                planner.send_days,
                today=today,
                since=since,
            )
            next_on = plan.next_on
            for scheduled in plan.due:
                items.extend(_items_for(planner, routes, task, scheduled, today, now, report))
        cursor_rows.append(
            {
                "task_id": task.id,
                "due_on": task.due_on,
                "next_on": next_on,
                "checked_on": today,
                "updated_at": now,
            }
        )
    report.items += _insert_items(session, items)
    _upsert_cursors(session, cursor_rows)


def _resume_from(cursor: ReminderCursor | None, task: Task) -> date | None:
    """The day planning stopped at, when the cursor is still valid for this task."""
    if cursor is None or cursor.due_on != task.due_on or cursor.next_on is None:
        return None
    return cursor.next_on


def _items_for(
    planner: Planner,
    routes: _Routes,
    task: Task,
    scheduled: ScheduledStage,
    today: date,
    now: datetime,
    report: PlanReport,
) -> Iterator[dict[str, Any]]:
    rule = planner.rules.get(task.rule_id)
    subject = TaskSubject(
        scope=rule.scope if rule else None,
        unit_id=task.unit_id,
        organization_id=task.organization_id,
        person_id=task.person_id,
    )
    found = recipients(scheduled.stage.kind, subject, routes.holdings, today)
    targets = [(key, routes.channels_for(key, task)) for key in found.keys]
    orphaned = found.orphaned
    if not orphaned and not any(channels for _, channels in targets):
        # Someone holds the role but no channel reaches them: the administrators are told.
        targets, orphaned = [(ADMINS, routes.admin_channels)], True
    for key, channels in targets:
        if key == ADMINS and not channels:
            # Nobody at all can be reached: keep a visible failed item rather than nothing.
            channels = [""]
        for channel in channels:
            report.orphaned += orphaned
            yield {
                "task_id": task.id,
                "stage": scheduled.stage.name,
                "recipient_key": key,
                "person_id": person_of(key),
                "channel": channel,
                "no_recipient": orphaned,
                "planned_for": scheduled.send_on,
                "state": ItemState.PENDING if channel else ItemState.FAILED,
                "attempts": 0,
                "next_attempt_at": planner.hours.moment(scheduled.send_on),
                "last_error": None
                if channel
                else "没有配置管理员接收渠道（channels.yaml 的 admins）",
                "created_at": now,
            }


@dataclass
class _Routes:
    """Role holders, contacts and channel choices for one chunk of tasks."""

    config: ReminderConfig
    holdings: dict[int, list[Holding]]
    contacts: dict[int, Contact]
    org_channels: dict[int, list[str]]

    @classmethod
    def load(
        cls, session: Session, config: ReminderConfig, tasks: Sequence[Task], today: date
    ) -> _Routes:
        org_ids = {t.unit_id for t in tasks} | {t.organization_id for t in tasks}
        holdings: dict[int, list[Holding]] = defaultdict(list)
        query = select(RoleAssignment).where(
            id_in(session, RoleAssignment.organization_id, org_ids)
        )
        for a in session.scalars(query.order_by(RoleAssignment.id)):
            holdings[a.organization_id].append(Holding(a.person_id, a.role, a.start_on, a.end_on))
        person_ids = {h.person_id for hs in holdings.values() for h in hs}
        person_ids |= {t.person_id for t in tasks if t.person_id is not None}
        contacts = person_contacts(session, person_ids)
        org_channels: dict[int, list[str]] = defaultdict(list)
        rows = session.scalars(
            select(OrganizationChannel)
            .where(id_in(session, OrganizationChannel.organization_id, org_ids))
            .order_by(OrganizationChannel.position, OrganizationChannel.channel)
        )
        for row in rows:
            org_channels[row.organization_id].append(row.channel)
        return cls(config, holdings, contacts, org_channels)

    @property
    def admin_channels(self) -> list[str]:
        return [name for name in self.config.admins.channels if self.config.reaches_admins(name)]

    def channels_for(self, key: str, task: Task) -> list[str]:
        if key == ADMINS:
            return self.admin_channels
        contact = self.contacts.get(person_of(key) or -1)
        if contact is None:
            return []
        chosen = (
            self.org_channels.get(task.organization_id)
            or self.org_channels.get(task.unit_id)
            or self.config.defaults
        )
        return [name for name in chosen if self._reaches(name, contact)]

    def _reaches(self, name: str, contact: Contact) -> bool:
        config = self.config.channels.get(name)
        return config is not None and channel_class(config).reaches(contact)


_ITEM_KEY = ["task_id", "stage", "recipient_key", "channel"]
_ITEM_COLUMNS = [
    "task_id",
    "stage",
    "recipient_key",
    "person_id",
    "channel",
    "no_recipient",
    "planned_for",
    "state",
    "attempts",
    "next_attempt_at",
    "last_error",
    "created_at",
]
_CURSOR_COLUMNS = ["task_id", "due_on", "next_on", "checked_on", "updated_at"]


def _insert_items(session: Session, items: list[dict[str, Any]]) -> int:
    """Insert the items not planned yet; the number actually inserted.

    Conflicts on the natural key are skipped, never raised: planning twice, or in two
    processes at once, never doubles anything.
    """
    if not items:
        return 0
    # One order for every process, so concurrent planners wait on each other, never deadlock;
    # by (recipient, channel) first, so that the rows a sender claims together lie together in
    # the table, and claiming a group rewrites a few pages rather than one page per item.
    items.sort(key=lambda i: (i["recipient_key"], i["channel"], i["task_id"], i["stage"]))
    if is_postgresql(session):
        # One statement, one array per column.
        statement: Any = unnest_insert(_ITEM_TABLE, _ITEM_COLUMNS, items)
        parameters: list[dict[str, Any]] | None = None
    else:
        # SQLite: one executemany (its driver binds rows in a C loop).
        statement, parameters = sqlite.insert(_ITEM_TABLE), items
    # The row count is the number of rows inserted: a single statement's on PostgreSQL; on
    # SQLite the driver sums the changes of every row, and a row skipped on conflict changes
    # nothing. (SQLAlchemy keeps the count of an INSERT only when asked to.)
    skipping = statement.on_conflict_do_nothing(index_elements=_ITEM_KEY).execution_options(
        preserve_rowcount=True
    )
    count: int = session.connection().execute(skipping, parameters).rowcount
    return count


def _upsert_cursors(session: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if is_postgresql(session):
        insert: Any = unnest_insert(_CURSOR_TABLE, _CURSOR_COLUMNS, rows)
        parameters: list[dict[str, Any]] | None = None
    else:
        insert, parameters = sqlite.insert(_CURSOR_TABLE), rows
    upsert = insert.on_conflict_do_update(
        index_elements=["task_id"],
        set_={
            "due_on": insert.excluded.due_on,
            "next_on": insert.excluded.next_on,
            "checked_on": insert.excluded.checked_on,
            "updated_at": insert.excluded.updated_at,
        },
    )
    session.connection().execute(upsert, parameters)


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]
