"""The channels page tells the truth: a failed test is red and leaves the channel 异常, every
test is in the delivery log marked 测试, rows name tasks and people, a channel removed from
channels.yaml is not shown as one in use, and no English exception name reaches the page."""

from __future__ import annotations

import logging
import socket
from datetime import date, timedelta

import pytest
import yaml
from sqlalchemy import select
from tests.helpers import shipped_catalog
from tests.reminder_support import channels_file
from tests.test_web_channels import Switchable, inbox, press
from tests.web_support import NOW, WebWorld, web, world_template

from obligations.models import Person, Task
from obligations.models.reminders import DeliveryAttempt, ReminderItem
from obligations.vocabulary import AttemptResult, ItemState

__all__ = ["inbox", "web", "world_template"]


def closed_port() -> int:
    """A local port nothing listens on (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def section(page: str, marker: str, end: str = "</table>") -> str:
    return page.split(marker, 1)[1].split(end, 1)[0]


def test_a_refused_test_is_shown_in_red_and_the_channel_as_failed(
    web: WebWorld, inbox: Switchable
) -> None:
    inbox.refuse = True
    _, message, page = press(web)
    assert 'id="test-failed"' in page and 'class="notice"' not in page
    assert message in section(page, 'id="test-failed"', "</p>")
    assert "故障" in section(page, 'id="channel-mail"', "</tr>")


def test_a_connection_failure_is_told_in_chinese_and_its_detail_kept_in_the_log(
    web: WebWorld, caplog: pytest.LogCaptureFixture
) -> None:
    channels_file(web.settings.data_dir, closed_port())
    with caplog.at_level(logging.WARNING):
        _, message, page = press(web, to="a@example.edu.cn")
    assert "对方拒绝连接" in message and 'id="test-failed"' in page
    for english in ("ConnectionRefusedError", "Errno", "Connection refused", "ConnectError"):
        assert english not in page
    row = section(page, 'id="channel-mail"', "</tr>")
    assert "异常" in row and "正常" not in row and "测试失败" in row
    assert "ConnectionRefusedError" in caplog.text  # the detail, for whoever runs the server
    assert 'aria-label="测试收件地址" value="a@example.edu.cn"' in row  # kept to try again
    log = section(page, 'id="delivery-log"')
    assert "测试：发送失败" in log and "对方拒绝连接" in log


def test_a_robot_that_cannot_be_reached_is_named_without_the_exception_class(
    web: WebWorld,
) -> None:
    config = channels_file(web.settings.data_dir, 25)
    config["channels"]["wecom-u01"] = {
        "kind": "wecom",
        "key": "robot-key",
        "base_url": f"http://127.0.0.1:{closed_port()}",
    }
    (web.settings.data_dir / "channels.yaml").write_text(
        yaml.safe_dump(config, allow_unicode=True), encoding="utf-8"
    )
    _, message, page = press(web, "wecom-u01")
    assert message.startswith("发送失败：无法连接企业微信") and "连接失败" in message
    assert "ConnectError" not in page and "robot-key" not in page
    assert "异常" in section(page, 'id="channel-wecom-u01"', "</tr>")


def test_a_test_message_is_written_to_the_delivery_log_as_a_test(
    web: WebWorld, inbox: Switchable
) -> None:
    _, _, page = press(web, to="a@example.edu.cn")
    log = section(page, 'id="delivery-log"')
    assert "测试：已发送" in log and "测试消息" in log and "a@example.edu.cn" in log
    with web.sessions() as db:
        [attempt] = db.scalars(select(DeliveryAttempt)).all()
    assert (attempt.channel, attempt.result, attempt.task_ids) == ("mail", AttemptResult.SENT, [])
    row = section(page, 'id="channel-mail"', "</tr>")
    assert "正常" in row and "异常" not in row


def test_log_rows_name_their_tasks_and_failed_reminders_name_the_person(
    web: WebWorld, inbox: Switchable
) -> None:
    task = web.ids["task_b1"]
    with web.sessions.begin() as db:
        person = db.scalars(select(Person).where(Person.code == "PB1")).one()
        db.add(
            DeliveryAttempt(
                claim_token="claim-1",
                worker_id="test",
                channel="mail",
                recipient_key=f"person:{person.id}",
                recipient_name="赵支书",
                subject="【党建任务提醒】1 项任务已逾期",
                item_ids=[1],
                task_ids=[task],
                started_at=NOW,
                finished_at=NOW + timedelta(seconds=1),
                result=AttemptResult.SENT,
                parts=1,
            )
        )
        db.add(
            ReminderItem(
                task_id=task,
                stage="before_3",
                recipient_key=f"person:{person.id}",
                channel="mail",
                planned_for=date(2026, 11, 2),
                state=ItemState.FAILED,
                attempts=1,
                next_attempt_at=NOW,
                last_error="赵支书没有邮箱地址",
                created_at=NOW,
            )
        )
    _, _, page = press(web)
    log = section(page, 'id="delivery-log"')
    with web.sessions() as db:
        rule_id = db.get(Task, task).rule_id  # type: ignore[union-attr]
    title = shipped_catalog().rule(rule_id).title
    assert f"{title}（U01-B01 组织，2026-10）" in log  # the rule, the branch, the period
    failed = section(page, 'id="failed-items"')
    assert "赵支书" in failed and f"person:{person.id}" not in failed
    assert "截止前 3 天提醒" in failed
    link = failed.split(f'href="/tasks/{task}">', 1)[1].split("</a>", 1)[0]
    assert link != str(task) and "（" in link


def test_a_channel_removed_from_the_configuration_is_not_shown_as_in_use(
    web: WebWorld, inbox: Switchable
) -> None:
    with web.sessions.begin() as db:
        db.add(
            ReminderItem(
                task_id=web.ids["task_b1"],
                stage="overdue_1",
                recipient_key="admins",
                channel="old-robot",
                planned_for=date(2026, 11, 2),
                state=ItemState.PENDING,
                attempts=0,
                next_attempt_at=NOW,
                created_at=NOW,
            )
        )
    _, _, page = press(web)
    assert 'id="channel-old-robot"' not in page
    stale = section(page, 'id="stale-channels"')
    assert "old-robot（已删除）" in stale
