"""A whole year (2026) of daily runs with the shipped catalog and a small college.

The clock is frozen at 09:30 local each day (freezegun) and the same service functions the
worker calls plan and sweep; emails arrive at a real SMTP server on loopback.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from tests.evidence_support import add_to_task
from tests.factories import assign, person, small_college
from tests.helpers import shipped_catalog
from tests.reminder_support import Inbox, channels_file, inbox_server
from tests.storage_samples import PDF

from obligations.accounts.access import operator
from obligations.db import session_factory
from obligations.evidence.intake import Upload
from obligations.evidence.records import EvidenceInput, EvidencePolicy
from obligations.evidence.storage import LocalBlobStore, UploadLimits
from obligations.models import Person, ReminderItem, Task
from obligations.reminders.config import load_reminder_config
from obligations.reminders.runtime import ReminderRuntime
from obligations.rules.catalog import Catalog
from obligations.rules.workdays import WorkdayCalendar
from obligations.settings import Settings
from obligations.tasks.generation import generate_tasks
from obligations.tasks.waivers import waive
from obligations.timeutil import LOCAL_TZ, utcnow
from obligations.vocabulary import Role

BRANCH_SECRETARY = "t4@example.edu.cn"
UNIT_SECRETARY = "t1@example.edu.cn"
ADMINS = "zzb@example.edu.cn"
# The asyncio loop of the SMTP server keeps real time; only the application's clock is frozen.
REAL_TIME = ["asyncio", "aiosmtpd", "smtplib", "socket", "selectors"]


def local(day: date, hour: int = 9, minute: int = 30) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL_TZ).astimezone(UTC)


def days_of(year: int) -> Iterator[date]:
    day = date(year, 1, 1)
    while day.year == year:
        yield day
        day += timedelta(days=1)


class Year:
    """What arrived, by (address, task) -> the days it was listed."""

    def __init__(self) -> None:
        self.seen: dict[tuple[str, int], list[date]] = defaultdict(list)
        self.message_days: list[date] = []
        self.unowned: dict[int, date] = {}  # the tasks of the secretary-less branch: first reminder
        self.flagged: set[int] = set()  # tasks with reminders marked "no recipient"

    def days(self, address: str, task_id: int) -> list[date]:
        return self.seen[(address, task_id)]

    def listed(self, task_id: int) -> list[date]:
        return sorted({d for (_, t), days in self.seen.items() if t == task_id for d in days})


def first_reminders(session: Session, catalog: Catalog, org_id: int) -> dict[int, date]:
    """The day of the first reminder of each task of ``org_id``, by the rule's settings: the
    earliest ``before_N`` day not before the task opens, else the day after the due date."""
    reminders = {located.rule.id: located.rule.reminders for located in catalog.rules}
    first: dict[int, date] = {}
    for task in session.scalars(select(Task).where(Task.organization_id == org_id)):
        before = [task.due_on - timedelta(days=d) for d in reminders[task.rule_id].before_days]
        after_opening = [day for day in before if day >= task.opens_on]
        first[task.id] = min(after_opening, default=task.due_on + timedelta(days=1))
    return first


def task_id(session: Session, rule: str, org_code: str, period: str) -> int:
    from obligations.models import Organization

    org_id = session.scalar(select(Organization.id).where(Organization.code == org_code))
    found = session.scalar(
        select(Task.id).where(
            Task.rule_id == rule, Task.organization_id == org_id, Task.period_key == period
        )
    )
    assert found is not None, (rule, org_code, period)
    return found


@pytest.fixture(scope="module")
def year(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[tuple[Year, dict[str, int]]]:
    import shutil

    from obligations.db import make_engine

    folder = tmp_path_factory.mktemp("year")
    shutil.copyfile(sqlite_template, folder / "db.sqlite3")
    engine: Engine = make_engine(f"sqlite:///{folder / 'db.sqlite3'}")
    sessions: sessionmaker[Session] = session_factory(engine)
    catalog = shipped_catalog()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    seen = Year()
    with sessions.begin() as session:
        orgs = small_college(session)
        for someone in session.scalars(select(Person)):
            someone.email = f"{someone.code.lower()}@example.edu.cn"
        branch_secretary = person(session, "T4", "赵支书")
        branch_secretary.email = BRANCH_SECRETARY
        assign(session, branch_secretary, orgs["B1"], Role.SECRETARY)
        generate_tasks(session, catalog, through=date(2026, 12, 31), now=start)
        ids = {
            "watched": task_id(session, "branch-committee-meeting", "U01-B01", "2026-09"),
            "done": task_id(session, "branch-committee-meeting", "U01-B01", "2026-05"),
            "waived": task_id(session, "theme-party-day", "U01-B01", "2026-06"),
        }
        seen.unowned = first_reminders(session, catalog, orgs["B2"].id)
    store = LocalBlobStore(folder / "blobs")
    policy = EvidencePolicy(limits=UploadLimits(), review_enabled=False)
    inbox = Inbox()
    with inbox_server(inbox) as port:
        channels_file(folder, port, admins=[ADMINS])
        runtime = ReminderRuntime.create(
            Settings(data_dir=folder), sessions, catalog, config=load_reminder_config(folder)
        )
        clock = freeze_time(local(date(2026, 1, 1)), ignore=REAL_TIME)
        frozen = clock.start()
        for day in days_of(2026):
            if day == date(2026, 5, 20):
                with sessions.begin() as session:
                    add_to_task(
                        session,
                        store,
                        policy,
                        task_id=ids["done"],
                        data=EvidenceInput(title="5月支委会", held_on=day),
                        uploads=[Upload("支委会记录.pdf", io.BytesIO(PDF))],
                        actor="赵支书",
                        now=local(day, 8),
                    )
            if day == date(2026, 6, 10):
                with sessions.begin() as session:
                    waive(
                        session,
                        task_id=ids["waived"],
                        reason="与党员大会合并",
                        by=operator("admin"),
                        now=local(day, 8),
                    )
            before = inbox.count()
            frozen.move_to(local(day))  # type: ignore[union-attr]
            runtime.remind(utcnow())
            for message in inbox.messages[before:]:
                seen.message_days.append(day)
                for address in message.to:
                    for listed in message.task_ids:
                        seen.seen[(address, listed)].append(day)
        clock.stop()
        runtime.close()
    with sessions() as session:
        flagged = select(ReminderItem.task_id).where(ReminderItem.no_recipient.is_(True))
        seen.flagged = set(session.scalars(flagged))
    engine.dispose()
    yield seen, ids


def test_messages_go_out_on_working_days_only(year: tuple[Year, dict[str, int]]) -> None:
    seen, _ = year
    workdays = WorkdayCalendar(shipped_catalog().holidays)
    assert seen.message_days, "a year of tasks sends reminders"
    assert all(workdays.check(day)[0] for day in seen.message_days)
    national_day = {date(2026, 10, d) for d in range(1, 8)}
    spring_festival = {date(2026, 2, d) for d in range(15, 24)}
    assert not set(seen.message_days) & (national_day | spring_festival)
    assert date(2026, 10, 10) in seen.message_days  # a Saturday worked for National Day (调休)


def test_a_branch_task_reminds_its_secretary_before_and_weekly_after_the_due_date(
    year: tuple[Year, dict[str, int]],
) -> None:
    seen, ids = year
    # Due Wednesday 30 September. The day after falls in the National Day holiday, so the
    # first overdue reminder (and the first weekly repeat) go out on Thursday 8 October.
    weekly = [date(2026, 10, 8) + timedelta(weeks=k) for k in range(13)]
    assert seen.days(BRANCH_SECRETARY, ids["watched"]) == [
        date(2026, 9, 23),
        date(2026, 9, 29),
        *weekly,
    ]


def test_an_overdue_branch_task_is_escalated_to_the_unit_then_the_department(
    year: tuple[Year, dict[str, int]],
) -> None:
    seen, ids = year
    assert seen.days(UNIT_SECRETARY, ids["watched"]) == [date(2026, 10, 8)]  # 7 days overdue
    assert seen.days(ADMINS, ids["watched"]) == [date(2026, 10, 30)]  # 30 days overdue


def test_nothing_is_sent_for_a_task_done_or_waived_before_its_reminders(
    year: tuple[Year, dict[str, int]],
) -> None:
    seen, ids = year
    assert seen.listed(ids["done"]) == []
    assert seen.listed(ids["waived"]) == []


def test_the_branch_without_a_secretary_is_reported_to_the_department(
    year: tuple[Year, dict[str, int]],
) -> None:
    seen, _ = year
    # U01-B02 has no secretary: every task of it whose first reminder falls in 2026 (31
    # December 2026 is a working day) reaches the administrators, marked as having nobody
    # to receive it; no other task is so marked, every other one has its secretary.
    expected = {task for task, first in seen.unowned.items() if first <= date(2026, 12, 31)}
    admin_tasks = {task for (address, task) in seen.seen if address == ADMINS}
    assert len(expected) == 46  # a branch's 2026: 36 monthly, 8 quarterly, 2 yearly tasks
    assert admin_tasks & set(seen.unowned) == expected
    assert seen.flagged == expected
