"""The one table from channel kind to channel class, and the config union it implies.

Everything outside :mod:`obligations.channels` reaches a channel through here: it builds one
from a stored config (:func:`build_channel`) and asks whether a contact can be reached
(:func:`channel_class` then :meth:`~obligations.channels.base.Channel.unreachable`), never by
testing the kind of a config.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import httpx
from pydantic import Field, TypeAdapter

from obligations.channels.base import Channel, ChannelKind, ChannelSettings
from obligations.channels.dingtalk import DingTalkChannel, DingTalkConfig
from obligations.channels.email import EmailChannel, EmailConfig
from obligations.channels.feishu import FeishuChannel, FeishuConfig
from obligations.channels.pacing import SendLog
from obligations.channels.wecom import WeComChannel, WeComConfig

CHANNELS: Mapping[ChannelKind, type[Channel]] = {
    channel.kind: channel
    for channel in (EmailChannel, WeComChannel, DingTalkChannel, FeishuChannel)
}

# The ``channels:`` entries of channels.yaml: one config model per kind in CHANNELS.
ChannelConfig = Annotated[
    EmailConfig | WeComConfig | DingTalkConfig | FeishuConfig, Field(discriminator="kind")
]
_CONFIG_ADAPTER: TypeAdapter[ChannelConfig] = TypeAdapter(ChannelConfig)


def parse_channel_config(data: Mapping[str, Any]) -> ChannelConfig:
    """Validate a stored config (a dict with ``kind``); raises pydantic's ``ValidationError``."""
    return _CONFIG_ADAPTER.validate_python(data)


def channel_class(config: ChannelSettings) -> type[Channel]:
    """The class of the channel ``config`` configures."""
    return CHANNELS[config.kind]


def build_channel(
    config: ChannelSettings,
    *,
    http_client: httpx.Client | None = None,
    send_log: SendLog | None = None,
) -> Channel:
    """The channel for ``config``; robots use ``http_client`` when given (proxies, tests) and
    pace their sends in ``send_log`` (give every process the same shared log for the pacing
    to hold across processes; by default the channel keeps its own).

    Reuse the channel between sends so its pacer can keep the robot under its rate limit.
    """
    return channel_class(config).build(config, http_client=http_client, send_log=send_log)
