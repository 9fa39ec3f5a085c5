"""Each reminder reads as its event: due soon, overdue, escalation; a mix is the digest."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session, sessionmaker
from tests import test_channel_robots as robots
from tests.factories import assign, org, person
from tests.reminder_support import NOW, TODAY, Inbox, channels_file, inbox_server
from tests.test_reminder_sweep import _task, email_sender, plan, robot_config, robot_sender

from obligations.models import Organization, Person, PersonContact
from obligations.reminders.composing import message_event, task_event
from obligations.reminders.config import load_reminder_config
from obligations.reminders.sweep import sweep
from obligations.reminders.templates import NotificationEvent
from obligations.tasks.status import TaskStatus
from obligations.vocabulary import OrgKind, Role

provider = robots.provider  # the fake WeCom server, a fixture


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    box = Inbox()
    with inbox_server(box) as port:
        yield box, port


def _secretary(
    session: Session, code: str, where: Organization, role: Role = Role.SECRETARY
) -> Person:
    who = person(session, code, f"书记{code}")
    who.email = f"{code.lower()}@example.edu.cn"
    assign(session, who, where, role)
    return who


def _college(session: Session, *due_dates: date) -> None:
    """A unit (with a secretary) and a branch (with a secretary) owing a task per due date."""
    college = org(session, "C", OrgKind.COLLEGE)
    unit = org(session, "U1", OrgKind.GENERAL_BRANCH, college, name="第一党总支")
    branch = org(session, "U1-B1", OrgKind.BRANCH, unit, name="第一党支部")
    _secretary(session, "U1S", unit)
    _secretary(session, "B1S", branch)
    for due_on in due_dates:
        task = _task(unit.id, branch.id, due_on)
        task.period_key = f"{due_on}"  # one task per period
        session.add(task)


def _subjects(
    tmp_path: Path, sessions: sessionmaker[Session], port: int, box: Inbox
) -> dict[str, str]:
    channels_file(tmp_path, port)
    config = load_reminder_config(tmp_path)
    plan(sessions, config)
    sweep(sessions, email_sender(config), NOW, "test")
    return {message.to[0]: message.subject for message in box.messages}


def test_a_task_not_yet_due_is_reminded_with_the_due_soon_templates(
    tmp_path: Path, sessions: sessionmaker[Session], inbox: tuple[Inbox, int]
) -> None:
    box, port = inbox
    with sessions.begin() as session:
        _college(session, TODAY + timedelta(days=7))
    subjects = _subjects(tmp_path, sessions, port, box)
    assert subjects == {
        "b1s@example.edu.cn": "【党建任务提醒】“支部委员会会议”将于2026年3月31日到期"
    }


def test_an_overdue_task_reads_as_overdue_to_the_branch_and_as_an_escalation_to_the_unit(
    tmp_path: Path, sessions: sessionmaker[Session], inbox: tuple[Inbox, int]
) -> None:
    box, port = inbox
    with sessions.begin() as session:
        _college(session, TODAY - timedelta(days=10))  # past escalate_unit_after_days (7)
    subjects = _subjects(tmp_path, sessions, port, box)
    assert subjects == {
        "b1s@example.edu.cn": "【党建任务逾期】“支部委员会会议”已逾期 10 天",
        "u1s@example.edu.cn": "【党建任务督办】1 个党支部的 1 项任务逾期未完成",
    }
    unit_message = next(m for m in box.messages if m.to == ("u1s@example.edu.cn",))
    assert "请督促相关党支部尽快落实" in unit_message.text


def test_a_message_mixing_due_soon_and_overdue_tasks_is_the_digest(
    tmp_path: Path, sessions: sessionmaker[Session], inbox: tuple[Inbox, int]
) -> None:
    box, port = inbox
    with sessions.begin() as session:
        _college(session, TODAY + timedelta(days=7), TODAY - timedelta(days=3))
    subjects = _subjects(tmp_path, sessions, port, box)
    assert subjects == {
        "b1s@example.edu.cn": "【党建任务汇总】2026年3月24日：1 项已逾期，1 项即将到期"
    }


def test_a_task_is_an_escalation_when_any_of_its_stages_escalates_else_by_its_status() -> None:
    events = NotificationEvent
    assert task_event(["overdue_1", "escalate_unit"], TaskStatus.OVERDUE) is events.ESCALATION
    assert task_event(["escalate_college"], TaskStatus.OVERDUE) is events.ESCALATION
    assert task_event(["overdue_repeat_2"], TaskStatus.OVERDUE) is events.OVERDUE
    # A stage planned before the due date but sent after it (an outage) speaks of the overdue.
    assert task_event(["before_1"], TaskStatus.OVERDUE) is events.OVERDUE
    assert task_event(["before_7", "before_1"], TaskStatus.DUE_SOON) is events.DUE_SOON
    assert task_event(["before_14"], TaskStatus.OPEN) is events.DUE_SOON


def test_a_message_takes_the_event_its_tasks_share_or_else_the_digest() -> None:
    events = NotificationEvent
    assert message_event([events.OVERDUE, events.OVERDUE]) is events.OVERDUE
    assert message_event([events.ESCALATION]) is events.ESCALATION
    assert message_event([events.OVERDUE, events.DUE_SOON]) is events.DIGEST


def test_the_wecom_robot_mentions_the_secretary_by_the_user_id_in_their_contacts(
    sessions: sessionmaker[Session], provider: robots.FakeProvider
) -> None:
    with sessions.begin() as session:
        college = org(session, "C", OrgKind.COLLEGE)
        unit = org(session, "U1", OrgKind.GENERAL_BRANCH, college)
        branch = org(session, "U1-B1", OrgKind.BRANCH, unit)
        secretary = person(session, "T1", "张书记")
        secretary.contacts.append(PersonContact(kind="wecom_userid", address="zhangshuji"))
        assign(session, secretary, branch, Role.SECRETARY)
        session.add(_task(unit.id, branch.id))
    config = robot_config(provider.url)
    plan(sessions, config)
    with httpx.Client(trust_env=False) as client:
        sweep(sessions, robot_sender(config, client), NOW, "test")
    [markdown] = provider.requests  # no mobile: no text message after the markdown
    assert json.loads(markdown.body)["markdown"]["content"].endswith("\n<@zhangshuji>")
