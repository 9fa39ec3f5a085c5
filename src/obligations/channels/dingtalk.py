"""DingTalk (钉钉) custom robot.

Signing: ``timestamp`` is the time in milliseconds and ``sign`` is
``quote_plus(base64(hmac_sha256(key=secret, msg=f"{timestamp}\\n{secret}")))``, both as query
parameters; a signature is valid for an hour, so each part is signed just before it is posted.
Mentions by mobile go in ``at.atMobiles`` and, for the client to highlight them, as ``@mobile``
in the text. Past 20 messages a minute the robot is blocked for 10 minutes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import quote_plus

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
    part_title,
)

SEND_TOO_FAST = 130101
REJECTED = 310000  # keyword, signature or IP address
TOKEN_NOT_FOUND = 300005
SYSTEM_BUSY = -1
BLOCKED_SECONDS = 600.0

ALL = "@all"


def dingtalk_signature(timestamp_ms: int, secret: str) -> str:
    """The ``sign`` query value, already URL-encoded."""
    string_to_sign = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), string_to_sign, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode("ascii"))


class DingTalkConfig(RobotConfig):
    kind: Literal[ChannelKind.DINGTALK] = ChannelKind.DINGTALK
    access_token: SecretStr
    secret: SecretStr | None = None
    base_url: str = "https://oapi.dingtalk.com"
    # DingTalk documents no markdown size; stay at WeCom's 4096 bytes to be safe.
    max_bytes: int = Field(default=4096, ge=256, le=20000)


class DingTalkChannel(RobotChannel[DingTalkConfig]):
    """Mentions contacts by mobile (:attr:`ContactKind.MOBILE`; ``@all`` mentions everyone)."""

    kind = ChannelKind.DINGTALK
    config_class = DingTalkConfig
    label = ChannelKind.DINGTALK.label
    codes = AnswerCodes(
        rate_limited={SEND_TOO_FAST: BLOCKED_SECONDS},
        transient={SYSTEM_BUSY: None},
        hints={
            REJECTED: "请检查机器人的加签密钥、关键词或 IP 地址白名单设置",
            TOKEN_NOT_FOUND: "access_token 不存在，请检查机器人是否已被移除",
        },
    )

    @classmethod
    def build(
        cls,
        config: ChannelSettings,
        *,
        http_client: httpx.Client | None = None,
        send_log: SendLog | None = None,
    ) -> DingTalkChannel:
        return cls(expect_config(config, DingTalkConfig), client=http_client, send_log=send_log)

    def payloads(self, message: OutgoingMessage) -> list[Payload]:
        mentioned = message.addresses(ContactKind.MOBILE)
        mobiles = [m for m in mentioned if m != ALL]
        at_all = ALL in mentioned
        text = message.robot_text
        if mobiles:
            text += "\n\n" + " ".join(f"@{mobile}" for mobile in mobiles)
        parts = self.split(text, self.config.max_bytes)
        return [
            {
                "msgtype": "markdown",
                "markdown": {"title": part_title(message.subject, i, len(parts)), "text": part},
                # Mention only once, with the last part, which carries the @mobile text.
                "at": {
                    "atMobiles": mobiles if i == len(parts) - 1 else [],
                    "isAtAll": at_all and i == len(parts) - 1,
                },
            }
            for i, part in enumerate(parts)
        ]

    def sign(self, payload: Payload) -> SignedRequest:
        token = quote_plus(self.config.access_token.get_secret_value())
        url = f"{self.config.base_url}/robot/send?access_token={token}"
        if self.config.secret is not None:
            timestamp = int(self.now() * 1000)
            signature = dingtalk_signature(timestamp, self.config.secret.get_secret_value())
            url += f"&timestamp={timestamp}&sign={signature}"
        return SignedRequest(url, payload)

    def answer_code(self, answer: Mapping[str, Any]) -> tuple[object, object]:
        return answer.get("errcode"), answer.get("errmsg")
