"""Feishu / Lark (飞书) custom bot.

Signing: ``timestamp`` in seconds and ``sign = base64(hmac_sha256(key=f"{timestamp}\\n{secret}",
msg=b""))``, both in the JSON body. Markdown goes in an interactive card; the card can mention
people by Feishu user id (``<at id=...></at>``), not by mobile, so mobiles are not mentioned.
The request body is limited to 20 KB, and a bot to 100 messages a minute and 5 a second.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
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
from obligations.channels.pacing import RateLimit, SendLog
from obligations.channels.robot import (
    AnswerCodes,
    Payload,
    RobotChannel,
    RobotConfig,
    SignedRequest,
    part_title,
)
from obligations.channels.splitting import json_string_size, utf8_size

RATE_LIMITED = 11232  # "frequency limited"
TOO_MANY_REQUESTS = 9499  # "too many request", the gateway's answer to the same
RATE_WINDOW_SECONDS = 60.0
BAD_SIGNATURE = 19021
IP_NOT_ALLOWED = 19022
KEYWORD_MISSING = 19024

# Room in the body for the signature, the timestamp and a "（12/12）" title suffix.
_SIGNING_OVERHEAD = 120


def feishu_signature(timestamp_s: int, secret: str) -> str:
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


class FeishuConfig(RobotConfig):
    kind: Literal[ChannelKind.FEISHU] = ChannelKind.FEISHU
    hook_id: SecretStr
    secret: SecretStr | None = None
    base_url: str = "https://open.feishu.cn"
    # The whole request body is limited to 20 KB.
    max_body_bytes: int = Field(default=20000, ge=1024, le=20480)


class FeishuChannel(RobotChannel[FeishuConfig]):
    """Mentions contacts by Feishu user id (:attr:`ContactKind.FEISHU_USER_ID`)."""

    kind = ChannelKind.FEISHU
    config_class = FeishuConfig
    label = ChannelKind.FEISHU.label
    codes = AnswerCodes(
        rate_limited={RATE_LIMITED: RATE_WINDOW_SECONDS, TOO_MANY_REQUESTS: RATE_WINDOW_SECONDS},
        hints={
            BAD_SIGNATURE: "签名校验失败，请检查机器人的签名密钥和服务器时间",
            IP_NOT_ALLOWED: "请求 IP 不在机器人的白名单内",
            KEYWORD_MISSING: "消息不含机器人设置的关键词",
        },
    )

    @classmethod
    def build(
        cls,
        config: ChannelSettings,
        *,
        http_client: httpx.Client | None = None,
        send_log: SendLog | None = None,
    ) -> FeishuChannel:
        return cls(expect_config(config, FeishuConfig), client=http_client, send_log=send_log)

    def rate_limits(self) -> list[RateLimit]:
        return [RateLimit(self.config.per_minute, self.config.window_seconds), RateLimit(5, 1.0)]

    def payloads(self, message: OutgoingMessage) -> list[Payload]:
        text = message.robot_text
        user_ids = message.addresses(ContactKind.FEISHU_USER_ID)
        if user_ids:
            text += "\n" + " ".join(f"<at id={uid}></at>" for uid in user_ids)
        empty = json.dumps(self._card(message.subject, ""), ensure_ascii=False)
        budget = self.config.max_body_bytes - utf8_size(empty) - _SIGNING_OVERHEAD
        parts = self.split(text, budget, cost=json_string_size)
        return [
            self._card(part_title(message.subject, i, len(parts)), part)
            for i, part in enumerate(parts)
        ]

    @staticmethod
    def _card(title: str, content: str) -> Payload:
        return {
            "msg_type": "interactive",
            "card": {
                "header": {"title": {"tag": "plain_text", "content": title}},
                "elements": [{"tag": "markdown", "content": content}],
            },
        }

    def sign(self, payload: Payload) -> SignedRequest:
        hook = quote(self.config.hook_id.get_secret_value(), safe="")
        url = f"{self.config.base_url}/open-apis/bot/v2/hook/{hook}"
        if self.config.secret is None:
            return SignedRequest(url, payload)
        timestamp = int(self.now())
        signature = feishu_signature(timestamp, self.config.secret.get_secret_value())
        return SignedRequest(url, {"timestamp": str(timestamp), "sign": signature, **payload})

    def answer_code(self, answer: Mapping[str, Any]) -> tuple[object, object]:
        # Older hooks answer {"StatusCode": 0, "StatusMessage": "success"}.
        if "code" in answer:
            return answer.get("code"), answer.get("msg")
        return answer.get("StatusCode"), answer.get("StatusMessage")
