"""The email channel against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from pydantic import ValidationError

from obligations.channels import (
    Contact,
    ContactKind,
    DeliveryError,
    EmailChannel,
    EmailConfig,
    OutgoingMessage,
    SmtpSecurity,
    build_channel,
)

USER = "dangjian@example.edu.cn"
PASSWORD = "s3cret-Pa55"

MESSAGE = OutgoingMessage(
    subject="【党建任务提醒】“召开支部党员大会”将于2026年6月30日到期",
    text="张三同志：\n\n您好！请按时完成支部党员大会并上传佐证材料。\n",
    html="<p>张三同志：</p><p>您好！请按时完成<strong>支部党员大会</strong>。</p>",
    to=(Contact("张三", {ContactKind.EMAIL: ("zhangsan@example.edu.cn",)}),),
)


def free_port() -> int:
    # aiosmtpd cannot listen on port 0 (its issue 276): pick a free port first.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Mailbox:
    """An aiosmtpd handler that keeps what it receives and answers as told."""

    data_reply: str = "250 OK"
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    envelopes: list[Envelope] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        reply = self.rcpt_replies.get(address, "250 OK")
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        self.sessions.append(session)
        return self.data_reply

    # Methods, not properties: aiosmtpd inspects every attribute of its handler.
    def raw(self) -> bytes:
        content = self.envelopes[-1].content
        assert isinstance(content, bytes)
        return content

    def received(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw(), policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


def authenticator(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd sends the 535


@contextmanager
def smtp_server(mailbox: Mailbox, **smtp_options: Any) -> Iterator[int]:
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **smtp_options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1 (the openssl command; no Python package)."""
    openssl = shutil.which("openssl")
    assert openssl is not None, "the TLS tests need the openssl command (Debian's openssl)"
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return Certificate(cert, key)


def config(port: int, **overrides: Any) -> EmailConfig:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "security": SmtpSecurity.NONE,
        "from_address": "dangwei@example.edu.cn",
        "from_name": "学院党委组织部",
        "timeout": 5,
    }
    return EmailConfig(**(values | overrides))


def send(cfg: EmailConfig, message: OutgoingMessage = MESSAGE) -> Any:
    return EmailChannel(cfg).send(message)


def test_email_arrives_as_text_and_html_with_chinese_subject_and_names_encoded() -> None:
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        receipt = send(config(port))

    envelope = mailbox.envelopes[0]
    assert envelope.mail_from == "dangwei@example.edu.cn"
    assert envelope.rcpt_tos == ["zhangsan@example.edu.cn"]
    assert mailbox.raw().isascii()  # RFC 2047 headers, base64 bodies: no 8BITMIME needed
    assert mailbox.raw().startswith(b"Subject: =?utf-8?b?")
    email = mailbox.received()
    assert email["Subject"] == MESSAGE.subject
    assert email["From"].addresses[0].display_name == "学院党委组织部"
    assert email["To"].addresses[0].display_name == "张三"
    assert email["To"].addresses[0].addr_spec == "zhangsan@example.edu.cn"
    assert email.get_content_type() == "multipart/alternative"
    text, html = (part for part in email.iter_parts() if isinstance(part, EmailMessage))
    assert text.get_content_type() == "text/plain"
    assert text.get_content().replace("\r\n", "\n") == MESSAGE.text
    assert html.get_content_type() == "text/html"
    assert html.get_content().strip() == MESSAGE.html
    assert receipt.parts == 1
    assert receipt.message_ids == (email["Message-ID"],)
    assert receipt.rejected == ()


def test_email_without_html_is_a_single_text_part() -> None:
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        send(config(port), OutgoingMessage(subject="测试", text="纯文本", to=MESSAGE.to))
    assert mailbox.received().get_content_type() == "text/plain"
    assert mailbox.received().get_content() == "纯文本\r\n"


def test_email_logs_in_after_starttls_with_a_trusted_certificate(
    certificate: Certificate,
) -> None:
    mailbox = Mailbox()
    with smtp_server(
        mailbox,
        tls_context=certificate.server_context(),
        require_starttls=True,
        auth_required=True,
        authenticator=authenticator,
    ) as port:
        cfg = config(
            port,
            security=SmtpSecurity.STARTTLS,
            username=USER,
            password=PASSWORD,
            ca_file=certificate.cert,
        )
        send(cfg)

    session = mailbox.sessions[0]
    assert session.ssl is not None
    assert session.authenticated
    assert mailbox.received()["Subject"] == MESSAGE.subject


def test_email_logs_in_over_implicit_tls(certificate: Certificate) -> None:
    mailbox = Mailbox()
    # aiosmtpd counts only STARTTLS as TLS for AUTH, so allow AUTH "without" it here.
    with smtp_server(
        mailbox,
        ssl_context=certificate.server_context(),
        auth_require_tls=False,
        authenticator=authenticator,
    ) as port:
        cfg = config(
            port, security=SmtpSecurity.SSL, username=USER, password=PASSWORD,
            ca_file=certificate.cert,
        )  # fmt: skip
        send(cfg)

    assert mailbox.sessions[0].authenticated
    assert mailbox.received()["To"].addresses[0].display_name == "张三"


def test_email_logs_in_over_a_plain_connection_when_the_server_allows_it() -> None:
    mailbox = Mailbox()
    with smtp_server(mailbox, auth_require_tls=False, authenticator=authenticator) as port:
        send(config(port, username=USER, password=PASSWORD))
    assert mailbox.sessions[0].authenticated


def test_email_with_a_wrong_password_fails_permanently() -> None:
    mailbox = Mailbox()
    with (
        smtp_server(mailbox, auth_require_tls=False, authenticator=authenticator) as port,
        pytest.raises(DeliveryError) as failure,
    ):
        send(config(port, username=USER, password="wrong"))
    assert failure.value.permanent
    assert "535" in failure.value.message
    assert mailbox.envelopes == []


def test_email_certificate_the_client_does_not_trust_fails_permanently(
    certificate: Certificate,
) -> None:
    mailbox = Mailbox()
    with (
        smtp_server(mailbox, tls_context=certificate.server_context()) as port,
        pytest.raises(DeliveryError) as failure,
    ):
        send(config(port, security=SmtpSecurity.STARTTLS))
    assert failure.value.permanent
    assert "证书" in failure.value.message


def test_email_certificate_check_can_be_switched_off(certificate: Certificate) -> None:
    mailbox = Mailbox()
    with smtp_server(mailbox, tls_context=certificate.server_context()) as port:
        send(config(port, security=SmtpSecurity.STARTTLS, verify_certificate=False))
    assert mailbox.sessions[0].ssl is not None


def test_email_starttls_the_server_does_not_offer_fails_permanently() -> None:
    with smtp_server(Mailbox()) as port, pytest.raises(DeliveryError) as failure:
        send(config(port, security=SmtpSecurity.STARTTLS))
    assert failure.value.permanent


def test_email_4xx_answer_to_the_message_is_transient() -> None:
    mailbox = Mailbox(data_reply="451 4.3.0 Mailbox busy, try again later")
    with smtp_server(mailbox) as port, pytest.raises(DeliveryError) as failure:
        send(config(port))
    assert not failure.value.permanent
    assert "451" in failure.value.message


def test_email_5xx_answer_to_the_message_is_permanent() -> None:
    mailbox = Mailbox(data_reply="554 5.7.1 Message rejected as spam")
    with smtp_server(mailbox) as port, pytest.raises(DeliveryError) as failure:
        send(config(port))
    assert failure.value.permanent
    assert "554" in failure.value.message


def test_email_refused_by_550_for_every_recipient_is_permanent() -> None:
    mailbox = Mailbox(rcpt_replies={"zhangsan@example.edu.cn": "550 5.1.1 No such user"})
    with smtp_server(mailbox) as port, pytest.raises(DeliveryError) as failure:
        send(config(port))
    assert failure.value.permanent
    assert "zhangsan@example.edu.cn" in failure.value.message


def test_email_refused_by_450_greylisting_is_transient() -> None:
    mailbox = Mailbox(rcpt_replies={"zhangsan@example.edu.cn": "450 4.2.0 Greylisted"})
    with smtp_server(mailbox) as port, pytest.raises(DeliveryError) as failure:
        send(config(port))
    assert not failure.value.permanent


def test_email_delivered_to_some_recipients_names_the_refused_ones_in_the_receipt() -> None:
    mailbox = Mailbox(rcpt_replies={"lisi@example.edu.cn": "550 5.1.1 No such user"})
    message = OutgoingMessage(
        subject="提醒",
        text="正文",
        to=(*MESSAGE.to, Contact("李四", {ContactKind.EMAIL: ("lisi@example.edu.cn",)})),
    )
    with smtp_server(mailbox) as port:
        receipt = send(config(port), message)
    assert mailbox.envelopes[0].rcpt_tos == ["zhangsan@example.edu.cn"]
    assert receipt.rejected == ("lisi@example.edu.cn",)


def test_email_to_a_server_that_is_not_listening_is_transient() -> None:
    with pytest.raises(DeliveryError) as failure:
        send(config(free_port()))
    assert not failure.value.permanent


def test_email_to_a_server_that_never_greets_times_out_as_transient() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # accepts the connection in the kernel, never says a word
        with pytest.raises(DeliveryError) as failure:
            send(config(silent.getsockname()[1], timeout=0.3))
    assert not failure.value.permanent


def test_email_without_recipients_fails_permanently() -> None:
    with pytest.raises(DeliveryError) as failure:
        send(config(free_port()), OutgoingMessage(subject="提醒", text="正文"))
    assert failure.value.permanent


def test_email_config_builds_an_email_channel_with_the_default_port_for_its_security() -> None:
    cfg = EmailConfig(host="smtp.example.edu.cn", security="ssl", from_address="a@b.cn")
    assert isinstance(build_channel(cfg), EmailChannel)
    assert cfg.effective_port == 465


def test_email_config_refuses_a_password_smtplib_could_not_send() -> None:
    with pytest.raises(ValidationError, match="ASCII"):
        EmailConfig(host="h", from_address="a@b.cn", username=USER, password="口令123")
