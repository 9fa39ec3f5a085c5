"""The channel interface: per-kind configuration, the outgoing message, receipts and errors.

A channel turns one :class:`OutgoingMessage` into one or more deliveries and answers with a
:class:`DeliveryReceipt`, or raises :class:`DeliveryError` saying whether a retry can help.
Channel configs are plain data (pydantic, secrets as ``SecretStr``, one model per channel module
deriving from :class:`ChannelSettings`). Messages go to neutral :class:`Contact` s (a name and
addresses by :class:`ContactKind`): the channel, not its caller, picks the addresses it uses.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import ClassVar, Self, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict

from obligations.channels.pacing import SendLog


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


class ChannelSettings(BaseModel):
    """Base of every channel's config model (one per channel module, with its ``kind``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ChannelKind


ConfigT = TypeVar("ConfigT", bound=ChannelSettings)


def expect_config(config: ChannelSettings, config_class: type[ConfigT]) -> ConfigT:
    """``config`` as ``config_class``; raises ``TypeError`` when it is another channel's."""
    if not isinstance(config, config_class):
        raise TypeError(f"{type(config).__name__} is not a {config_class.__name__}")
    return config


class ContactKind(enum.StrEnum):
    """The kinds of address a contact may have; each channel picks the ones it uses."""

    EMAIL = "email"
    MOBILE = "mobile"
    WECOM_USERID = "wecom_userid"  # 企业微信 UserID, mentioned by the WeCom robot
    FEISHU_USER_ID = "feishu_user_id"  # 飞书 user id, mentioned by the Feishu bot


@dataclass(frozen=True)
class Contact:
    """Someone a message is for, as the core knows them: a name and addresses by kind.

    ``label`` names them in an error an administrator reads (e.g. ``张三（T0001）``); it
    defaults to ``name``. A channel decides which addresses it uses (:meth:`Channel.unreachable`).
    """

    name: str
    addresses: Mapping[ContactKind, tuple[str, ...]] = field(default_factory=dict, hash=False)
    label: str = ""

    @property
    def who(self) -> str:
        return self.label or self.name

    def of(self, kind: ContactKind) -> tuple[str, ...]:
        """This contact's addresses of ``kind`` (empty ones left out)."""
        return tuple(address for address in self.addresses.get(kind, ()) if address)


@dataclass(frozen=True)
class OutgoingMessage:
    """One message for one channel, to the contacts in ``to``; each channel uses the parts it
    understands.

    Email uses ``subject``, ``text``, ``html`` and the recipients' email addresses; robots post
    to their group, use ``subject`` as the title, ``markdown`` (or ``text`` when there is none)
    and mention the recipients by the addresses their API allows.
    """

    subject: str
    text: str
    html: str | None = None
    markdown: str | None = None
    to: tuple[Contact, ...] = ()

    @property
    def robot_text(self) -> str:
        return self.markdown if self.markdown is not None else self.text

    def addresses(self, kind: ContactKind) -> tuple[str, ...]:
        """Every recipient's addresses of ``kind``, each once, in order."""
        return tuple(dict.fromkeys(a for contact in self.to for a in contact.of(kind)))


@dataclass(frozen=True)
class DeliveryReceipt:
    kind: ChannelKind
    parts: int  # how many messages went out (a long markdown is split)
    message_ids: tuple[str, ...] = ()
    rejected: tuple[str, ...] = ()  # recipients the server refused while accepting others


class DeliveryError(Exception):
    """A delivery failed. ``permanent``: retrying the same message cannot help.

    ``retry_after`` (seconds) is the provider's hint for transient failures; ``rate_limited``
    says the provider refused because of its rate limit, so that nothing more should be sent on
    the channel for ``retry_after`` seconds (every later message would be refused too);
    ``parts_sent`` counts the parts of a split message that did go out before the failure.
    """

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        retry_after: float | None = None,
        rate_limited: bool = False,
        parts_sent: int = 0,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.retry_after = retry_after
        self.rate_limited = rate_limited
        self.parts_sent = parts_sent

    def __repr__(self) -> str:
        return (
            f"DeliveryError({self.message!r}, permanent={self.permanent}, "
            f"retry_after={self.retry_after}, rate_limited={self.rate_limited}, "
            f"parts_sent={self.parts_sent})"
        )


class Channel(ABC):
    """Delivers messages of one configured channel. Reuse one instance: it paces its sends.

    A channel class says what it is (``kind``, ``config_class``), how it is built from its
    config (:meth:`build`) and whom it can reach (:meth:`unreachable`); the registry in
    :mod:`obligations.channels.registry` maps each kind to its class.
    """

    kind: ClassVar[ChannelKind]
    config_class: ClassVar[type[ChannelSettings]]

    @classmethod
    def build(
        cls,
        config: ChannelSettings,
        *,
        http_client: httpx.Client | None = None,
        send_log: SendLog | None = None,
    ) -> Channel:
        """The channel for ``config`` (of :attr:`config_class`); robots use ``http_client`` and
        pace their sends in ``send_log`` (shared by every process that sends on the channel;
        by default one of this instance's own)."""
        raise NotImplementedError(f"{cls.__name__} cannot be built from a config")

    @classmethod
    def unreachable(cls, contact: Contact) -> str | None:
        """Why a message on this channel cannot reach ``contact`` (Chinese), or None if it can.

        A group robot posts to its group, so it reaches everyone; mentions are a bonus.
        """
        return None

    @classmethod
    def reaches(cls, contact: Contact) -> bool:
        return cls.unreachable(contact) is None

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
