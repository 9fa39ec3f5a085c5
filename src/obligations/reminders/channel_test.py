"""A test message through one configured channel: ``obligations channels test NAME`` and the
administration page's "send test message" button.

A permanent failure marks the channel broken (with the reason); a message that goes through
marks it working again, so its waiting reminders are sent on the next sweep. Every test is
written to the delivery log (recipient :data:`TEST_RECIPIENT`), where the channels page shows
it as a test and takes the channel's last result from it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy.orm import Session, sessionmaker

from obligations.channels import (
    Contact,
    ContactKind,
    DeliveryError,
    OutgoingMessage,
    build_channel,
)
from obligations.errors import NotFound
from obligations.models import DeliveryAttempt
from obligations.reminders.config import ReminderConfig
from obligations.reminders.pacing import DatabaseSendLog
from obligations.reminders.routing import mark_broken, mark_working
from obligations.reminders.sweep import end_attempt
from obligations.vocabulary import AttemptResult

TEST_SUBJECT = "【党建任务提醒】渠道测试"
TEST_RECIPIENT = "test"  # DeliveryAttempt.recipient_key of a test message
TEST_WORKER = "channel-test"


@dataclass(frozen=True)
class ChannelTestResult:
    name: str
    ok: bool
    parts: int = 0
    error: str | None = None
    permanent: bool = False  # the failure marked the channel broken

    def describe(self) -> str:
        if self.ok:
            return f"测试消息已通过 {self.name} 发送（{self.parts} 条）"
        return f"发送失败：{self.error}"


def build_test_message(name: str, addresses: Sequence[str]) -> OutgoingMessage:
    body = f"这是一条测试消息，用于确认提醒渠道 {name} 可以正常发送。"
    return OutgoingMessage(
        subject=TEST_SUBJECT,
        text=body,
        markdown=f"**{TEST_SUBJECT}**\n\n{body}",
        to=(Contact("", {ContactKind.EMAIL: tuple(addresses)}),),
    )


def send_test_message(
    sessions: sessionmaker[Session],
    config: ReminderConfig,
    name: str,
    *,
    to: Sequence[str] = (),
    now: datetime,
    http_client: httpx.Client | None = None,
) -> ChannelTestResult:
    """Send a test message through channel ``name`` (email to ``to``, by default the
    administrators' addresses) and record the channel's health in its own transaction."""
    if name not in config.channels:
        known = "、".join(config.channels) or "（无）"
        raise NotFound(f"没有名为 {name} 的渠道；已配置：{known}")
    channel_config = config.channels[name]
    message = build_test_message(name, tuple(to) or tuple(config.admins.emails))
    # Paced with the senders: a test message counts against the robot's limit too.
    send_log = DatabaseSendLog(sessions, name)
    by_email = channel_config.kind.value == "email"
    recipient = "、".join(message.to[0].of(ContactKind.EMAIL)) if by_email else ""
    attempt_id = _log_attempt(sessions, name, message, recipient or channel_config.kind.label, now)
    channel = build_channel(channel_config, http_client=http_client, send_log=send_log)
    try:
        receipt = channel.send(message)
    except DeliveryError as error:
        result = AttemptResult.PERMANENT if error.permanent else AttemptResult.TRANSIENT
        with sessions.begin() as session:
            end_attempt(session, attempt_id, result, now, error=error.message)
            if error.permanent:
                mark_broken(session, name, channel_config, error.message, now)
        return ChannelTestResult(name, ok=False, error=error.message, permanent=error.permanent)
    finally:
        channel.close()
    with sessions.begin() as session:
        end_attempt(session, attempt_id, AttemptResult.SENT, now, parts=receipt.parts)
        mark_working(session, name, now)
    return ChannelTestResult(name, ok=True, parts=receipt.parts)


def _log_attempt(
    sessions: sessionmaker[Session],
    name: str,
    message: OutgoingMessage,
    recipient: str,
    now: datetime,
) -> int:
    """The test's delivery-log row, committed before the send (``sending``, as the sweep
    writes its own): a send that never returns is left so."""
    attempt = DeliveryAttempt(
        claim_token=str(uuid.uuid4()),
        worker_id=TEST_WORKER,
        channel=name,
        recipient_key=TEST_RECIPIENT,
        recipient_name=recipient[:200],
        subject=message.subject[:300],
        item_ids=[],
        task_ids=[],
        started_at=now,
        result=AttemptResult.SENDING,
        parts=0,
    )
    with sessions.begin() as session:
        session.add(attempt)
        session.flush()
        return attempt.id
