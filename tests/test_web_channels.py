"""Administration: the reminder channels with their state, a test message through each (the
service behind ``obligations channels test``), and the delivery log with its failures."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import pytest
import yaml
from aiosmtpd.smtp import SMTP, Envelope, Session
from tests.reminder_support import Inbox, channels_file, inbox_server
from tests.web_support import NOW, WebWorld, web, world_template

from obligations.models import ChannelHealth
from obligations.models.reminders import DeliveryAttempt, ReminderItem
from obligations.vocabulary import AttemptResult, ItemState

__all__ = ["web", "world_template"]


@dataclass
class Switchable(Inbox):
    """An inbox that refuses every message for good (554) while ``refuse`` is set."""

    refuse: bool = False

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse:
            return "554 5.7.1 message refused"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def inbox(web: WebWorld) -> Iterator[Switchable]:
    box = Switchable()
    with inbox_server(box) as port:
        channels_file(web.settings.data_dir, port)
        yield box


def press_test(web: WebWorld, name: str = "mail", to: str = "") -> tuple[int, str]:
    """Press the button; the status and the message the page is sent back with."""
    return press(web, name, to)[:2]


def press(web: WebWorld, name: str = "mail", to: str = "") -> tuple[int, str, str]:
    """Press the button: the status, the message and the page it leads to."""
    client, csrf = web.login("admin")
    response = client.post(f"/admin/channels/{name}/test", data={"csrf_token": csrf, "to": to})
    if response.status_code != 303:
        return response.status_code, response.text, ""
    location = response.headers["location"]
    assert location.startswith(("/admin/channels?message=", "/admin/channels?failed="))
    page = client.get(location)
    assert page.status_code == 200
    return 303, unquote(location.split("=", 1)[1]), page.text


def channels_page(web: WebWorld, query: str = "") -> str:
    client, _ = web.login("admin")
    response = client.get(f"/admin/channels{query}")
    assert response.status_code == 200, response.text[:500]
    return str(response.text)


def test_the_channels_page_lists_each_channel_with_its_kind_and_state(
    web: WebWorld, inbox: Switchable
) -> None:
    page = channels_page(web)
    row = page.split('id="channel-mail"', 1)[1].split("</tr>", 1)[0]
    assert "电子邮件" in row and "正常" in row and "发送测试消息" in row


def test_the_test_button_sends_a_message_to_the_administrators_through_the_channel(
    web: WebWorld, inbox: Switchable
) -> None:
    status, message = press_test(web)
    assert (status, message) == (303, "测试消息已通过 mail 发送（1 条）")
    assert [m.to for m in inbox.messages] == [("zzb@example.edu.cn",)]
    assert inbox.messages[0].subject == "【党建任务提醒】渠道测试"
    with web.sessions() as db:
        health = db.get(ChannelHealth, "mail")
        assert health is not None and health.last_ok_at is not None


def test_a_test_message_goes_to_the_addresses_typed_in(web: WebWorld, inbox: Switchable) -> None:
    press_test(web, to="a@example.edu.cn， b@example.edu.cn")
    assert inbox.messages[0].to == ("a@example.edu.cn", "b@example.edu.cn")


def test_a_refused_test_marks_the_channel_broken_and_a_later_success_repairs_it(
    web: WebWorld, inbox: Switchable
) -> None:
    inbox.refuse = True
    status, message = press_test(web)
    assert status == 303 and message.startswith("发送失败：") and "554" in message
    row = channels_page(web).split('id="channel-mail"', 1)[1].split("</tr>", 1)[0]
    assert "故障：" in row and "554" in row
    inbox.refuse = False
    assert press_test(web)[1].startswith("测试消息已通过 mail 发送")
    row = channels_page(web).split('id="channel-mail"', 1)[1].split("</tr>", 1)[0]
    assert "故障" not in row and "正常" in row and "测试通过" in row


@pytest.fixture
def robot_hook() -> Iterator[tuple[str, list[tuple[str, Any]]]]:
    """A local HTTP server playing WeCom's group robot webhook: (its URL, what it received)."""
    received: list[tuple[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.path, json.loads(body)))
            answer = json.dumps({"errcode": 0, "errmsg": "ok"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()
    thread.join()


def test_a_robot_channels_test_message_reaches_its_webhook(
    web: WebWorld, robot_hook: tuple[str, list[tuple[str, Any]]]
) -> None:
    url, received = robot_hook
    config = channels_file(web.settings.data_dir, 25)
    config["channels"]["wecom-u01"] = {"kind": "wecom", "key": "robot-key", "base_url": url}
    (web.settings.data_dir / "channels.yaml").write_text(
        yaml.safe_dump(config, allow_unicode=True), encoding="utf-8"
    )
    assert "企业微信" in channels_page(web).split('id="channel-wecom-u01"', 1)[1]
    status, message = press_test(web, "wecom-u01")
    assert (status, message) == (303, "测试消息已通过 wecom-u01 发送（1 条）")
    [(path, body)] = received
    assert "key=robot-key" in path and "渠道测试" in json.dumps(body, ensure_ascii=False)


def test_an_unknown_channel_is_not_found(web: WebWorld, inbox: Switchable) -> None:
    status, text = press_test(web, "nope")
    assert status == 404 and "没有名为 nope 的渠道" in text


def test_the_test_button_refuses_a_request_without_the_csrf_token(
    web: WebWorld, inbox: Switchable
) -> None:
    client, _ = web.login("admin")
    response = client.post("/admin/channels/mail/test", data={})
    assert response.status_code == 403 and inbox.messages == []


def test_without_a_channels_file_the_page_says_none_is_configured(web: WebWorld) -> None:
    assert "尚未配置任何渠道" in channels_page(web)


def test_a_broken_channels_file_is_named_on_the_page(web: WebWorld) -> None:
    (web.settings.data_dir / "channels.yaml").write_text("defaults: [missing]\n", "utf-8")
    page = channels_page(web)
    assert 'id="channels-config-error"' in page and "missing" in page


def _log(web: WebWorld) -> None:
    """A sent message, a permanent failure, and a reminder nobody can be sent."""
    with web.sessions.begin() as db:
        for minutes, result, error in (
            (0, AttemptResult.SENT, None),
            (5, AttemptResult.PERMANENT, "535 认证失败"),
        ):
            db.add(
                DeliveryAttempt(
                    claim_token=f"claim-{minutes}",
                    worker_id="test",
                    channel="mail",
                    recipient_key="person:1",
                    recipient_name=f"收件人{minutes}",
                    subject="【党建任务提醒】1 项任务即将到期",
                    item_ids=[1],
                    task_ids=[web.ids["task_b1"]],
                    started_at=NOW + timedelta(minutes=minutes),
                    finished_at=NOW + timedelta(minutes=minutes, seconds=2),
                    result=result,
                    parts=1 if result is AttemptResult.SENT else 0,
                    error=error,
                )
            )
        db.add(
            ReminderItem(
                task_id=web.ids["task_b1"],
                stage="overdue_1",
                recipient_key="admins",
                channel="mail",
                planned_for=date(2026, 11, 2),
                state=ItemState.FAILED,
                attempts=3,
                next_attempt_at=NOW,
                last_error="没有可用的渠道",
                created_at=NOW,
            )
        )


def test_the_delivery_log_lists_attempts_newest_first_and_can_show_failures_only(
    web: WebWorld,
) -> None:
    _log(web)
    log = channels_page(web).split('id="delivery-log"', 1)[1].split("</table>", 1)[0]
    assert log.index("收件人5") < log.index("收件人0")
    assert "失败，渠道转为故障" in log and "535 认证失败" in log and "已发送" in log
    failures = channels_page(web, "?failures=true")
    only = failures.split('id="delivery-log"', 1)[1].split("</table>", 1)[0]
    assert "收件人5" in only and "收件人0" not in only
    failed = failures.split('id="failed-items"', 1)[1]
    assert "逾期提醒" in failed and "没有可用的渠道" in failed and "管理员" in failed
    assert "overdue_1" not in failed and ">admins<" not in failed
    assert f'href="/tasks/{web.ids["task_b1"]}"' in failed
