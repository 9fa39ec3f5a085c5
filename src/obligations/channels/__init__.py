"""Delivery channels: email and the WeCom, DingTalk and Feishu group robots.

Each channel owns its knowledge, in its own module: its config model (a
:class:`~obligations.channels.base.ChannelSettings` with a ``kind``), how it is built, which
addresses of a :class:`~obligations.channels.base.Contact` it uses and whether it can reach one
(:meth:`~obligations.channels.base.Channel.unreachable`). :mod:`obligations.channels.registry`
holds the one table from kind to class. The rest of the program hands channels neutral contacts
and never asks which kind a channel is.

``build_channel(config)`` turns a validated config into a channel; reuse the channel between
sends so its pacer can keep the robot under its rate limit, and give it a shared
:class:`~obligations.channels.pacing.SendLog` (``send_log=``) for the pacing to hold across
processes. A robot's rate-limit answer raises a ``DeliveryError`` with ``rate_limited`` set:
the caller sends nothing more to it for ``retry_after`` seconds.

To add a channel (say ``sms``):

1. add ``SMS = "sms"`` and its Chinese label to ``ChannelKind`` in ``base.py``, and a
   ``ContactKind`` member if it needs an address kind nobody has yet;
2. write ``sms.py`` with ``SmsConfig(ChannelSettings)`` (``kind: Literal[ChannelKind.SMS]``) and
   ``SmsChannel(Channel)`` setting ``kind`` and ``config_class`` and implementing ``build``,
   ``send`` and, unless it reaches everyone, ``unreachable``;
3. register the class in ``CHANNELS`` and its config in ``ChannelConfig`` (``registry.py``).

Nothing outside this package changes; ``channels.yaml`` then accepts ``kind: sms``.
"""

from __future__ import annotations

from obligations.channels.base import (
    Channel,
    ChannelKind,
    ChannelSettings,
    Contact,
    ContactKind,
    DeliveryError,
    DeliveryReceipt,
    OutgoingMessage,
)
from obligations.channels.dingtalk import DingTalkChannel, DingTalkConfig
from obligations.channels.email import EmailChannel, EmailConfig, EmailRecipient, SmtpSecurity
from obligations.channels.feishu import FeishuChannel, FeishuConfig
from obligations.channels.registry import (
    CHANNELS,
    ChannelConfig,
    build_channel,
    channel_class,
    parse_channel_config,
)
from obligations.channels.robot import RobotChannel
from obligations.channels.wecom import WeComChannel, WeComConfig

__all__ = [
    "CHANNELS",
    "Channel",
    "ChannelConfig",
    "ChannelKind",
    "ChannelSettings",
    "Contact",
    "ContactKind",
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
    "channel_class",
    "parse_channel_config",
]
