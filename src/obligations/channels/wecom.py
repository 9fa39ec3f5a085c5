"""WeCom (企业微信) group robot.

Markdown messages (at most 4096 UTF-8 bytes each) mention people only as ``<@userid>``; a
mention by mobile needs a text message, so mobiles get a short text message after the markdown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from obligations.channels.base import ChannelKind, OutgoingMessage, WeComConfig
from obligations.channels.robot import AnswerCodes, Payload, RobotChannel, SignedRequest
from obligations.channels.splitting import split_lines

TEXT_MAX_BYTES = 2048

RATE_LIMITED = 45009
INVALID_WEBHOOK = 93000
SYSTEM_BUSY = -1


class WeComChannel(RobotChannel[WeComConfig]):
    kind = ChannelKind.WECOM
    label = "企业微信机器人"
    codes = AnswerCodes(
        transient={RATE_LIMITED: 60.0, SYSTEM_BUSY: None},
        hints={
            INVALID_WEBHOOK: "Webhook 地址无效，请检查机器人的 key 是否正确、机器人是否已被移除"
        },
    )

    def payloads(self, message: OutgoingMessage) -> list[Payload]:
        text = message.robot_text
        if message.mention_user_ids:
            text += "\n" + " ".join(f"<@{user_id}>" for user_id in message.mention_user_ids)
        payloads: list[Payload] = [
            {"msgtype": "markdown", "markdown": {"content": part}}
            for part in self.split(text, self.config.max_bytes)
        ]
        if message.mention_mobiles and payloads:
            payloads.append(self._mobile_mentions(message))
        return payloads

    def _mobile_mentions(self, message: OutgoingMessage) -> Payload:
        content = split_lines(message.subject or "请查收上面的提醒", TEXT_MAX_BYTES)[0]
        return {
            "msgtype": "text",
            "text": {"content": content, "mentioned_mobile_list": list(message.mention_mobiles)},
        }

    def sign(self, payload: Payload) -> SignedRequest:
        key = quote(self.config.key.get_secret_value(), safe="")
        return SignedRequest(f"{self.config.base_url}/cgi-bin/webhook/send?key={key}", payload)

    def answer_code(self, answer: Mapping[str, Any]) -> tuple[object, object]:
        return answer.get("errcode"), answer.get("errmsg")
