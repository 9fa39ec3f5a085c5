"""WeCom (企业微信) group robot.

Markdown messages (at most 4096 UTF-8 bytes each) mention people only as ``<@userid>``; a
mention by mobile needs a text message, so mobiles get a short text message after the markdown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import quote

import httpx
from pydantic import Field, SecretStr

from obligations.channels.base import (
    ChannelKind,
    ChannelSettings,
    ContactKind,
    OutgoingMessage,
    expect_config,
)
from obligations.channels.pacing import SendLog
from obligations.channels.robot import (
    AnswerCodes,
    Payload,
    RobotChannel,
    RobotConfig,
    SignedRequest,
)
from obligations.channels.splitting import split_lines

TEXT_MAX_BYTES = 2048

RATE_LIMITED = 45009  # "api freq out of limit": 20 messages a minute
RATE_WINDOW_SECONDS = 60.0
INVALID_WEBHOOK = 93000
SYSTEM_BUSY = -1


class WeComConfig(RobotConfig):
    kind: Literal[ChannelKind.WECOM] = ChannelKind.WECOM
    key: SecretStr
    base_url: str = "https://qyapi.weixin.qq.com"
    max_bytes: int = Field(default=4096, ge=256, le=4096)


class WeComChannel(RobotChannel[WeComConfig]):
    """Mentions contacts by WeCom user id (:attr:`ContactKind.WECOM_USERID`) and by mobile."""

    kind = ChannelKind.WECOM
    config_class = WeComConfig
    label = ChannelKind.WECOM.label
    codes = AnswerCodes(
        rate_limited={RATE_LIMITED: RATE_WINDOW_SECONDS},
        transient={SYSTEM_BUSY: None},
        hints={
            INVALID_WEBHOOK: "Webhook 地址无效，请检查机器人的 key 是否正确、机器人是否已被移除"
        },
    )

    @classmethod
    def build(
        cls,
        config: ChannelSettings,
        *,
        http_client: httpx.Client | None = None,
        send_log: SendLog | None = None,
    ) -> WeComChannel:
        return cls(expect_config(config, WeComConfig), client=http_client, send_log=send_log)

    def payloads(self, message: OutgoingMessage) -> list[Payload]:
        text = message.robot_text
        user_ids = message.addresses(ContactKind.WECOM_USERID)
        if user_ids:
            text += "\n" + " ".join(f"<@{user_id}>" for user_id in user_ids)
        payloads: list[Payload] = [
            {"msgtype": "markdown", "markdown": {"content": part}}
            for part in self.split(text, self.config.max_bytes)
        ]
        mobiles = message.addresses(ContactKind.MOBILE)
        if mobiles and payloads:
            payloads.append(self._mobile_mentions(message.subject, mobiles))
        return payloads

    @staticmethod
    def _mobile_mentions(subject: str, mobiles: tuple[str, ...]) -> Payload:
        content = split_lines(subject or "请查收上面的提醒", TEXT_MAX_BYTES)[0]
        return {
            "msgtype": "text",
            "text": {"content": content, "mentioned_mobile_list": list(mobiles)},
        }

    def sign(self, payload: Payload) -> SignedRequest:
        key = quote(self.config.key.get_secret_value(), safe="")
        return SignedRequest(f"{self.config.base_url}/cgi-bin/webhook/send?key={key}", payload)

    def answer_code(self, answer: Mapping[str, Any]) -> tuple[object, object]:
        return answer.get("errcode"), answer.get("errmsg")
