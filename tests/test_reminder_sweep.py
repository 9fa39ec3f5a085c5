"""One sweep against real channels: an SMTP server and a WeCom robot on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests import test_channel_robots as robots
from tests.factories import assign, org, person
from tests.helpers import shipped_catalog
from tests.reminder_support import NOW, TODAY, Inbox, channels_file, inbox_server, many_branches

from obligations.accounts.access import operator
from obligations.channels import build_channel
from obligations.models import DeliveryAttempt, ReminderItem, Task
from obligations.reminders.config import ReminderConfig, load_reminder_config
from obligations.reminders.planning import plan_reminders
from obligations.reminders.sweep import Sender, sweep
from obligations.reminders.templates import NotificationRenderer
from obligations.rules.planning import scope_key
from obligations.tasks.waivers import waive
from obligations.vocabulary import AttemptResult, ItemState, OrgKind, Role

provider = robots.provider  # the fake WeCom server, a fixture


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    box = Inbox()
    with inbox_server(box) as port:
        yield box, port


def plan(sessions: sessionmaker[Session], config: ReminderConfig) -> None:
    with sessions.begin() as session:
        plan_reminders(session, shipped_catalog(), NOW, config=config)


def email_sender(config: ReminderConfig) -> Sender:
    channels = {name: build_channel(c) for name, c in config.channels.items()}
    return Sender.create(
        channels, NotificationRenderer.for_data_dir(None), shipped_catalog(), config
    )


def states(sessions: sessionmaker[Session]) -> dict[ItemState, int]:
    with sessions() as session:
        rows = session.execute(
            select(ReminderItem.state, func.count()).group_by(ReminderItem.state)
        )
        return {state: count for state, count in rows}


def test_each_secretary_gets_one_due_soon_email_listing_their_tasks(
    tmp_path: Path, sessions: sessionmaker[Session], inbox: tuple[Inbox, int]
) -> None:
    box, port = inbox
    channels_file(tmp_path, port)
    config = load_reminder_config(tmp_path)
    with sessions.begin() as session:
        many_branches(session, units=1, branches=3, tasks_per_branch=4)
    plan(sessions, config)
    plan(sessions, config)  # planning twice doubles nothing
    report = sweep(sessions, email_sender(config), NOW, "test")
    assert report.sent_items == 12
    assert sorted(m.to for m in box.messages) == [
        ("s-u00-b00@example.edu.cn",),
        ("s-u00-b01@example.edu.cn",),
        ("s-u00-b02@example.edu.cn",),
    ]
    first = box.messages[0]
    assert len(first.task_ids) == 4
    assert first.subject == "【党建任务提醒】4 项党建工作任务即将到期"  # the due-soon template
    assert "支部委员会会议" in first.text and "http://dangjian.example.edu.cn/tasks/" in first.text
    assert sweep(sessions, email_sender(config), NOW, "test").messages == []
    assert len(box.messages) == 3


def test_nothing_is_sent_outside_the_sending_hours_or_on_a_holiday(
    tmp_path: Path, sessions: sessionmaker[Session], inbox: tuple[Inbox, int]
) -> None:
    box, port = inbox
    channels_file(tmp_path, port)
    config = load_reminder_config(tmp_path)
    with sessions.begin() as session:
        many_branches(session, units=1, branches=1, tasks_per_branch=1)
    plan(sessions, config)
    early = NOW - timedelta(hours=2)  # 07:30 local
    national_day = NOW.replace(month=10, day=2)
    for moment in (early, national_day):
        assert sweep(sessions, email_sender(config), moment, "test").outside_hours
    assert box.messages == []


def test_tasks_done_or_waived_before_the_send_are_cancelled_not_sent(
    tmp_path: Path, sessions: sessionmaker[Session], inbox: tuple[Inbox, int]
) -> None:
    box, port = inbox
    channels_file(tmp_path, port)
    config = load_reminder_config(tmp_path)
    with sessions.begin() as session:
        many_branches(session, units=1, branches=1, tasks_per_branch=2)
    plan(sessions, config)
    with sessions.begin() as session:
        first, second = session.scalars(select(Task.id).order_by(Task.id)).all()
        waive(session, task_id=first, reason="本月合并召开", by=operator("admin"), now=NOW)
    report = sweep(sessions, email_sender(config), NOW, "test")
    assert report.cancelled_items == 1 and report.sent_items == 1
    assert [m.task_ids for m in box.messages] == [(second,)]
    assert states(sessions) == {ItemState.CANCELLED: 1, ItemState.SENT: 1}


def test_a_branch_without_a_secretary_is_reported_to_the_administrators(
    tmp_path: Path, sessions: sessionmaker[Session], inbox: tuple[Inbox, int]
) -> None:
    box, port = inbox
    channels_file(tmp_path, port, admins=["zzb@example.edu.cn"])
    config = load_reminder_config(tmp_path)
    with sessions.begin() as session:
        college = org(session, "C", OrgKind.COLLEGE)
        unit = org(session, "U9", OrgKind.GENERAL_BRANCH, college, name="第九党总支")
        branch = org(session, "U9-B1", OrgKind.BRANCH, unit, name="第九党总支第一支部")
        session.add(_task(unit.id, branch.id))
    plan(sessions, config)
    sweep(sessions, email_sender(config), NOW, "test")
    [message] = box.messages
    assert message.to == ("zzb@example.edu.cn",)
    assert "无人可接收提醒" in message.text and "第九党总支第一支部" in message.text


def _task(unit_id: int, org_id: int, due_on: date = TODAY + timedelta(days=7)) -> Task:
    return Task(
        rule_id="branch-committee-meeting",
        ledger_item="4.3",
        unit_id=unit_id,
        organization_id=org_id,
        scope_key=scope_key(org_id, None),
        period_key="2026-03",
        period_start=date(2026, 3, 1),
        period_end=due_on,
        opens_on=date(2026, 3, 1),
        due_on=due_on,
        min_count=1,
        created_at=NOW,
        updated_at=NOW,
    )


def robot_config(url: str) -> ReminderConfig:
    return ReminderConfig.model_validate(
        {
            "channels": {
                "robot": {"kind": "wecom", "key": "robot-key-1", "base_url": url, "timeout": 0.5}
            },
            "defaults": ["robot"],
        }
    )


def robot_sender(config: ReminderConfig, client: httpx.Client) -> Sender:
    channels = {name: build_channel(c, http_client=client) for name, c in config.channels.items()}
    return Sender.create(
        channels, NotificationRenderer.for_data_dir(None), shipped_catalog(), config
    )


@pytest.fixture
def robot_college(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        college = org(session, "C", OrgKind.COLLEGE)
        unit = org(session, "U1", OrgKind.GENERAL_BRANCH, college, name="第一党总支")
        branch = org(session, "U1-B1", OrgKind.BRANCH, unit, name="第一党支部")
        secretary = person(session, "T1", "张书记")
        secretary.mobile = "13800000001"
        assign(session, secretary, branch, Role.SECRETARY)
        task = _task(unit.id, branch.id)
        session.add(task)
        session.flush()
        return task.id


def test_the_robot_gets_a_markdown_digest_mentioning_the_secretary(
    sessions: sessionmaker[Session],
    provider: robots.FakeProvider,
    robot_college: int,
) -> None:
    config = robot_config(provider.url)
    plan(sessions, config)
    with httpx.Client(trust_env=False) as client:
        sweep(sessions, robot_sender(config, client), NOW, "test")
    digest, mention = provider.requests  # WeCom mentions by mobile only in a text message
    assert digest.path == "/cgi-bin/webhook/send?key=robot-key-1"
    body = json.loads(digest.body)
    assert body["msgtype"] == "markdown"
    assert "支部委员会会议" in body["markdown"]["content"]
    assert f"/tasks/{robot_college}" in body["markdown"]["content"]
    assert json.loads(mention.body)["text"]["mentioned_mobile_list"] == ["13800000001"]
    assert states(sessions) == {ItemState.SENT: 1}


def test_a_rate_limited_robot_is_retried_later_and_then_delivers(
    sessions: sessionmaker[Session],
    provider: robots.FakeProvider,
    robot_college: int,
) -> None:
    config = robot_config(provider.url)
    plan(sessions, config)
    provider.answer_always(200, {"errcode": 45009, "errmsg": "api freq out of limit"})
    with httpx.Client(trust_env=False) as client:
        report = sweep(sessions, robot_sender(config, client), NOW, "test")
        assert [m.result for m in report.messages] == [AttemptResult.TRANSIENT]
        assert states(sessions) == {ItemState.PENDING: 1}
        # Not due again at once: the same sweep moment sends nothing more.
        assert sweep(sessions, robot_sender(config, client), NOW, "test").messages == []
        provider.answer_always(200, {"errcode": 0, "errmsg": "ok"})
        later = NOW + timedelta(minutes=2)
        report = sweep(sessions, robot_sender(config, client), later, "test")
    assert [m.result for m in report.messages] == [AttemptResult.SENT]
    assert len(provider.requests) == 1 + 2  # the refused digest, then digest and mention
    with sessions() as session:
        item = session.scalars(select(ReminderItem)).one()
        results = session.scalars(select(DeliveryAttempt.result).order_by(DeliveryAttempt.id))
        assert list(results) == [AttemptResult.TRANSIENT, AttemptResult.SENT]
    assert item.attempts == 2 and item.state is ItemState.SENT


@pytest.mark.parametrize("answer", [(500, {"errcode": -1}), (200, {"errmsg": "no code"})])
def test_http_500_and_unreadable_answers_are_transient(
    sessions: sessionmaker[Session],
    provider: robots.FakeProvider,
    robot_college: int,
    answer: tuple[int, object],
) -> None:
    config = robot_config(provider.url)
    plan(sessions, config)
    provider.answer_always(*answer)
    with httpx.Client(trust_env=False) as client:
        report = sweep(sessions, robot_sender(config, client), NOW, "test")
    assert [m.result for m in report.messages] == [AttemptResult.TRANSIENT]
    assert report.broken == {}


def test_a_bad_robot_key_marks_the_channel_broken_until_its_configuration_changes(
    sessions: sessionmaker[Session],
    provider: robots.FakeProvider,
    robot_college: int,
) -> None:
    config = robot_config(provider.url)
    plan(sessions, config)
    provider.answer_always(200, {"errcode": 93000, "errmsg": "invalid webhook url"})
    with httpx.Client(trust_env=False) as client:
        report = sweep(sessions, robot_sender(config, client), NOW, "test")
        assert [m.result for m in report.messages] == [AttemptResult.PERMANENT]
        assert "93000" in report.broken["robot"]
        provider.answer_always(200, {"errcode": 0, "errmsg": "ok"})
        later = NOW + timedelta(hours=1)
        again = sweep(sessions, robot_sender(config, client), later, "test")
        assert again.messages == [] and "robot" in again.broken  # the item waits
        assert states(sessions) == {ItemState.PENDING: 1}
        fixed = ReminderConfig.model_validate(
            {
                "channels": {
                    "robot": {"kind": "wecom", "key": "robot-key-2", "base_url": provider.url}
                },
                "defaults": ["robot"],
            }
        )
        repaired = sweep(sessions, robot_sender(fixed, client), later, "test")
    assert [m.result for m in repaired.messages] == [AttemptResult.SENT]
    assert states(sessions) == {ItemState.SENT: 1}
