"""Delivery channels: email and the WeCom, DingTalk and Feishu group robots.

``build_channel(config)`` turns a validated config into a channel; reuse the channel between
sends so its pacer can keep the robot under its rate limit.
"""

from __future__ import annotations

import httpx

from obligations.channels.base import (
    Channel,
    ChannelConfig,
    ChannelKind,
    DeliveryError,
    DeliveryReceipt,
    DingTalkConfig,
    EmailConfig,
    EmailRecipient,
    FeishuConfig,
    OutgoingMessage,
    SmtpSecurity,
    WeComConfig,
    parse_channel_config,
)
from obligations.channels.dingtalk import DingTalkChannel
from obligations.channels.email import EmailChannel
from obligations.channels.feishu import FeishuChannel
from obligations.channels.robot import RobotChannel
from obligations.channels.wecom import WeComChannel

CHANNEL_CLASSES: dict[ChannelKind, type[Channel]] = {
    ChannelKind.EMAIL: EmailChannel,
    ChannelKind.WECOM: WeComChannel,
    ChannelKind.DINGTALK: DingTalkChannel,
    ChannelKind.FEISHU: FeishuChannel,
}


def build_channel(config: ChannelConfig, *, http_client: httpx.Client | None = None) -> Channel:
    """The channel for ``config``; robots use ``http_client`` when given (proxies, tests)."""
    if isinstance(config, EmailConfig):
        return EmailChannel(config)
    if isinstance(config, WeComConfig):
        return WeComChannel(config, client=http_client)
    if isinstance(config, DingTalkConfig):
        return DingTalkChannel(config, client=http_client)
    return FeishuChannel(config, client=http_client)


__all__ = [
    "CHANNEL_CLASSES",
    "Channel",
    "ChannelConfig",
    "ChannelKind",
    "DeliveryError",
    "DeliveryReceipt",
    "DingTalkChannel",
    "DingTalkConfig",
    "EmailChannel",
    "EmailConfig",
    "EmailRecipient",
    "FeishuChannel",
    "FeishuConfig",
    "OutgoingMessage",
    "RobotChannel",
    "SmtpSecurity",
    "WeComChannel",
    "WeComConfig",
    "build_channel",
    "parse_channel_config",
]
