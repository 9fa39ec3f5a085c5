"""Email over SMTP (stdlib ``smtplib``): plain, STARTTLS or implicit TLS, optional login.

Messages are multipart/alternative (text, then HTML) built with ``policy.SMTP``, which encodes
Chinese subjects and display names (RFC 2047); bodies go base64 so the whole message is 7-bit
and needs no 8BITMIME from the server. SMTP 4xx answers and connection failures are transient;
5xx answers, failed logins and unusable TLS settings are permanent.
"""

from __future__ import annotations

import enum
import logging
import smtplib
import ssl
from dataclasses import dataclass
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Literal

import httpx
from pydantic import Field, SecretStr, field_validator

from obligations.channels.base import (
    Channel,
    ChannelKind,
    ChannelSettings,
    Contact,
    ContactKind,
    DeliveryError,
    DeliveryReceipt,
    OutgoingMessage,
    expect_config,
)
from obligations.channels.pacing import SendLog
from obligations.channels.reasons import connection_failure

log = logging.getLogger(__name__)


class SmtpSecurity(enum.StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    SSL = "ssl"


_DEFAULT_SMTP_PORTS = {SmtpSecurity.NONE: 25, SmtpSecurity.STARTTLS: 587, SmtpSecurity.SSL: 465}


class EmailConfig(ChannelSettings):
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


@dataclass(frozen=True)
class EmailRecipient:
    address: str
    name: str = ""


def email_recipients(message: OutgoingMessage) -> tuple[EmailRecipient, ...]:
    """One recipient per email address of each contact in ``message.to``, named after it."""
    return tuple(
        EmailRecipient(address, contact.name)
        for contact in message.to
        for address in contact.of(ContactKind.EMAIL)
    )


class EmailChannel(Channel):
    """Reaches a contact at their email addresses (:attr:`ContactKind.EMAIL`)."""

    kind = ChannelKind.EMAIL
    config_class = EmailConfig

    def __init__(self, config: EmailConfig) -> None:
        self.config = config

    @classmethod
    def build(
        cls,
        config: ChannelSettings,
        *,
        http_client: httpx.Client | None = None,
        send_log: SendLog | None = None,
    ) -> EmailChannel:
        return cls(expect_config(config, EmailConfig))

    @classmethod
    def unreachable(cls, contact: Contact) -> str | None:
        return None if contact.of(ContactKind.EMAIL) else f"{contact.who}没有邮箱地址"

    def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        if not email_recipients(message):
            raise DeliveryError("没有收件人邮箱地址", permanent=True)
        email = self.build_message(message)
        try:
            refused = self._deliver(email)
        except smtplib.SMTPException as error:
            raise _smtp_error(error) from None
        except ssl.SSLCertVerificationError as error:
            raise DeliveryError(
                f"邮件服务器证书校验失败：{error.verify_message}", permanent=True
            ) from None
        except OSError as error:
            where = f"{self.config.host}:{self.config.effective_port}"
            reason = connection_failure(error, where=where)
            raise DeliveryError(f"无法连接邮件服务器 {where}：{reason}", permanent=False) from None
        return DeliveryReceipt(
            kind=self.kind,
            parts=1,
            message_ids=(str(email["Message-ID"]),),
            rejected=tuple(sorted(refused)),
        )

    def build_message(self, message: OutgoingMessage) -> EmailMessage:
        config = self.config
        email = EmailMessage(policy=policy.SMTP)
        email["Subject"] = " ".join(message.subject.split())  # a header is one line
        email["From"] = _address(EmailRecipient(config.from_address, config.from_name))
        email["To"] = [_address(recipient) for recipient in email_recipients(message)]
        email["Date"] = formatdate(usegmt=True)
        email["Message-ID"] = make_msgid(domain=config.from_address.rpartition("@")[2])
        email.set_content(message.text, cte="base64")
        if message.html is not None:
            email.add_alternative(message.html, subtype="html", cte="base64")
        return email

    def _deliver(self, email: EmailMessage) -> dict[str, tuple[int, bytes]]:
        config = self.config
        with self._connect() as smtp:
            if config.security is SmtpSecurity.STARTTLS:
                smtp.starttls(context=self._tls_context())
            if config.username:
                password = config.password.get_secret_value() if config.password else ""
                smtp.login(config.username, password)
            return smtp.send_message(email)

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        if config.security is SmtpSecurity.SSL:
            return smtplib.SMTP_SSL(
                config.host,
                config.effective_port,
                local_hostname=config.local_hostname,
                timeout=config.timeout,
                context=self._tls_context(),
            )
        return smtplib.SMTP(
            config.host,
            config.effective_port,
            local_hostname=config.local_hostname,
            timeout=config.timeout,
        )

    def _tls_context(self) -> ssl.SSLContext:
        cafile = str(self.config.ca_file) if self.config.ca_file else None
        context = ssl.create_default_context(cafile=cafile)
        if not self.config.verify_certificate:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context


def _address(recipient: EmailRecipient) -> Address:
    return Address(display_name=recipient.name, addr_spec=recipient.address)


def _smtp_error(error: smtplib.SMTPException) -> DeliveryError:
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return DeliveryError(
            f"邮件服务器拒绝登录：{_reply(error)}，请检查用户名和密码", permanent=True
        )
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        details = "；".join(
            f"{address}（{code} {_text(reply)}）"
            for address, (code, reply) in error.recipients.items()
        )
        return DeliveryError(f"邮件服务器拒收全部收件人：{details}", permanent=_permanent(codes))
    if isinstance(error, smtplib.SMTPResponseException):
        return DeliveryError(
            f"邮件服务器拒绝了邮件：{_reply(error)}", permanent=_permanent([error.smtp_code])
        )
    log.warning("SMTP failure: %s: %s", type(error).__name__, error)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return DeliveryError("邮件服务器中途断开了连接", permanent=False)
    # SMTPNotSupportedError (no STARTTLS, no AUTH) and the like: the settings must change.
    return DeliveryError(
        "邮件服务器不支持所需功能（如 STARTTLS 加密或登录），请检查端口、加密方式与账号设置",
        permanent=True,
    )


def _permanent(codes: list[int]) -> bool:
    """Transient if any refusal was a 4xx: that recipient may pass later."""
    return not any(400 <= code < 500 for code in codes)


def _reply(error: smtplib.SMTPResponseException) -> str:
    return f"{error.smtp_code} {_text(error.smtp_error)}"


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
