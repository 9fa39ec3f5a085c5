"""The channel interface: per-kind configuration, the outgoing message, receipts and errors.

A channel turns one :class:`OutgoingMessage` into one or more deliveries and answers with a
:class:`DeliveryReceipt`, or raises :class:`DeliveryError` saying whether a retry can help.
Channel configs are plain data (pydantic, secrets as ``SecretStr``) so the reminders service can
store them as JSON next to the channel row and rebuild them with :func:`parse_channel_config`.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, TypeAdapter, field_validator


class ChannelKind(enum.StrEnum):
    EMAIL = "email"
    WECOM = "wecom"
    DINGTALK = "dingtalk"
    FEISHU = "feishu"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    ChannelKind.EMAIL: "电子邮件",
    ChannelKind.WECOM: "企业微信机器人",
    ChannelKind.DINGTALK: "钉钉机器人",
    ChannelKind.FEISHU: "飞书机器人",
}


class SmtpSecurity(enum.StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    SSL = "ssl"


_DEFAULT_SMTP_PORTS = {SmtpSecurity.NONE: 25, SmtpSecurity.STARTTLS: 587, SmtpSecurity.SSL: 465}


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class EmailConfig(_Config):
    kind: Literal[ChannelKind.EMAIL] = ChannelKind.EMAIL
    host: str
    port: int | None = Field(default=None, ge=1, le=65535)
    security: SmtpSecurity = SmtpSecurity.STARTTLS
    username: str | None = None
    password: SecretStr | None = None
    from_address: str
    from_name: str = ""
    timeout: float = Field(default=30.0, gt=0)
    # A college's own mail server often has a certificate from its own authority.
    ca_file: Path | None = None
    verify_certificate: bool = True
    local_hostname: str | None = None

    @field_validator("from_address")
    @classmethod
    def _looks_like_an_address(cls, value: str) -> str:
        if "@" not in value or any(c.isspace() for c in value):
            raise ValueError(f"发件地址 {value!r} 不是有效的电子邮件地址")
        return value

    @field_validator("username", "password")
    @classmethod
    def _ascii_credentials(cls, value: str | SecretStr | None) -> str | SecretStr | None:
        # smtplib sends AUTH PLAIN/LOGIN as ASCII and fails on anything else.
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if text is not None and not text.isascii():
            raise ValueError("SMTP 用户名和密码只能包含 ASCII 字符（smtplib 的限制）")
        return value

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else _DEFAULT_SMTP_PORTS[self.security]


class RobotConfig(_Config):
    """What the group robots share: a proxy-able base URL, a timeout and a pace."""

    base_url: str
    timeout: float = Field(default=10.0, gt=0)
    # Every robot allows 20 messages a minute (Feishu more); pace below it, not at it.
    per_minute: int = Field(default=20, ge=1, le=100)
    # "Keyword" security: each message must contain one of the robot's words.
    keyword: str | None = None

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"地址 {value!r} 必须以 http:// 或 https:// 开头")
        return value.rstrip("/")


class WeComConfig(RobotConfig):
    kind: Literal[ChannelKind.WECOM] = ChannelKind.WECOM
    key: SecretStr
    base_url: str = "https://qyapi.weixin.qq.com"
    max_bytes: int = Field(default=4096, ge=256, le=4096)


class DingTalkConfig(RobotConfig):
    kind: Literal[ChannelKind.DINGTALK] = ChannelKind.DINGTALK
    access_token: SecretStr
    secret: SecretStr | None = None
    base_url: str = "https://oapi.dingtalk.com"
    # DingTalk documents no markdown size; stay at WeCom's 4096 bytes to be safe.
    max_bytes: int = Field(default=4096, ge=256, le=20000)


class FeishuConfig(RobotConfig):
    kind: Literal[ChannelKind.FEISHU] = ChannelKind.FEISHU
    hook_id: SecretStr
    secret: SecretStr | None = None
    base_url: str = "https://open.feishu.cn"
    # The whole request body is limited to 20 KB.
    max_body_bytes: int = Field(default=20000, ge=1024, le=20480)


ChannelConfig = Annotated[
    EmailConfig | WeComConfig | DingTalkConfig | FeishuConfig, Field(discriminator="kind")
]
_CONFIG_ADAPTER: TypeAdapter[ChannelConfig] = TypeAdapter(ChannelConfig)


def parse_channel_config(data: Mapping[str, Any]) -> ChannelConfig:
    """Validate a stored config (a dict with ``kind``); raises pydantic's ``ValidationError``."""
    return _CONFIG_ADAPTER.validate_python(data)


@dataclass(frozen=True)
class EmailRecipient:
    address: str
    name: str = ""


@dataclass(frozen=True)
class OutgoingMessage:
    """One message for one channel; each channel uses the parts it understands.

    Email uses ``subject``, ``text``, ``html`` and ``emails``; robots use ``subject`` as the
    title, ``markdown`` (or ``text`` when there is none) and the mentions their API allows.
    """

    subject: str
    text: str
    html: str | None = None
    markdown: str | None = None
    emails: tuple[EmailRecipient, ...] = ()
    mention_mobiles: tuple[str, ...] = ()
    mention_user_ids: tuple[str, ...] = ()

    @property
    def robot_text(self) -> str:
        return self.markdown if self.markdown is not None else self.text


@dataclass(frozen=True)
class DeliveryReceipt:
    kind: ChannelKind
    parts: int  # how many messages went out (a long markdown is split)
    message_ids: tuple[str, ...] = ()
    rejected: tuple[str, ...] = ()  # recipients the server refused while accepting others


class DeliveryError(Exception):
    """A delivery failed. ``permanent``: retrying the same message cannot help.

    ``retry_after`` (seconds) is the provider's hint for transient failures, such as a rate
    limit; ``parts_sent`` counts the parts of a split message that did go out before the failure.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        retry_after: float | None = None,
        parts_sent: int = 0,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after
        self.parts_sent = parts_sent

    def __repr__(self) -> str:
        return (
            f"DeliveryError({self.message!r}, permanent={self.permanent}, "
            f"retry_after={self.retry_after}, parts_sent={self.parts_sent})"
        )


class Channel(ABC):
    """Delivers messages of one configured channel. Reuse one instance: it paces its sends."""

    kind: ChannelKind

    @abstractmethod
    def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        """Deliver ``message`` or raise :class:`DeliveryError`."""

    def close(self) -> None:
        """Release connections the channel opened itself (email opens one per send)."""
        return None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
