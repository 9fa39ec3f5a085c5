"""What the WeCom, DingTalk and Feishu group robots share: an HTTP POST of JSON, paced.

All three answer HTTP 200 when they refuse a message and put the verdict in the body
(``errcode`` or ``code``), so a 200 proves nothing: every answer is read. Rate-limit codes (each
channel module lists its own, with how long the provider holds the robot back) are transient
and ``rate_limited``, with that time as ``retry_after``: the caller sends nothing more to the
robot until then. Other transient codes are retried later; unknown codes are permanent.
"""

from __future__ import annotations

import json
import time
from abc import abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx
from pydantic import Field, field_validator

from obligations.channels.base import (
    Channel,
    ChannelSettings,
    DeliveryError,
    DeliveryReceipt,
    OutgoingMessage,
)
from obligations.channels.pacing import Pacer, RateLimit, SendLog
from obligations.channels.reasons import connection_failure
from obligations.channels.splitting import split_lines, utf8_size


class RobotConfig(ChannelSettings):
    """What the group robots share: a proxy-able base URL, a timeout and a pace."""

    base_url: str
    timeout: float = Field(default=10.0, gt=0)
    # Every robot allows 20 messages a minute (Feishu more); pace below it, not at it.
    per_minute: int = Field(default=20, ge=1, le=100)
    # The window ``per_minute`` is counted in: the providers' minute. Shorter windows let more
    # messages through, so keep 60 outside tests (which shorten it not to wait a minute).
    window_seconds: float = Field(default=60.0, gt=0, le=60.0)
    # "Keyword" security: each message must contain one of the robot's words.
    keyword: str | None = None

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"地址 {value!r} 必须以 http:// 或 https:// 开头")
        return value.rstrip("/")


ConfigT = TypeVar("ConfigT", bound=RobotConfig)
Payload = dict[str, Any]

_DEFAULT_HTTP_RETRY_AFTER = 60.0


@dataclass(frozen=True)
class AnswerCodes:
    """How one provider's answer codes read: its rate-limit codes, the other transient ones,
    and hints for the rest (permanent)."""

    rate_limited: Mapping[int, float]  # code -> seconds the provider holds the robot back
    transient: Mapping[int, float | None] = field(default_factory=dict)  # None: no hint
    hints: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SignedRequest:
    url: str
    body: Payload


class RobotChannel(Channel, Generic[ConfigT]):
    """A group robot: posts to its group, so it reaches every contact (mentions are a bonus)."""

    label: str  # the provider's name, in the error messages an administrator reads
    codes: AnswerCodes

    def __init__(
        self,
        config: ConfigT,
        *,
        client: httpx.Client | None = None,
        send_log: SendLog | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        """``send_log`` records the robot's sends for the pacer: shared by every process that
        sends to it, or this instance's own by default."""
        self.config = config
        self._own_client = client is None
        self._client = client if client is not None else httpx.Client()
        self.pacer = Pacer(self.rate_limits(), log=send_log)
        self._wall_clock = wall_clock

    def rate_limits(self) -> list[RateLimit]:
        return [RateLimit(self.config.per_minute, self.config.window_seconds)]

    def close(self) -> None:
        if self._own_client:
            self._client.close()

    def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        payloads = self.payloads(message)
        if not payloads:
            raise DeliveryError("消息内容为空，没有可发送的内容", permanent=True)
        for index, payload in enumerate(payloads):
            self.pacer.wait()
            try:
                self._post(self.sign(payload))
            except DeliveryError as error:
                error.parts_sent = index
                raise
        return DeliveryReceipt(kind=self.kind, parts=len(payloads))

    @abstractmethod
    def payloads(self, message: OutgoingMessage) -> list[Payload]:
        """The JSON bodies (before signing) that together deliver ``message``."""

    @abstractmethod
    def sign(self, payload: Payload) -> SignedRequest:
        """URL and body for one payload, signed now (signatures expire)."""

    @abstractmethod
    def answer_code(self, answer: Mapping[str, Any]) -> tuple[object, object]:
        """The provider's (code, message) in a JSON answer."""

    def now(self) -> float:
        return self._wall_clock()

    def split(self, text: str, budget: int, cost: Callable[[str], int] = utf8_size) -> list[str]:
        """Split ``text`` into parts of ``budget``, each carrying the security keyword."""
        keyword = self.config.keyword
        if not keyword:
            return split_lines(text, budget, cost=cost)
        reserve = cost("\n\n" + keyword)
        parts = split_lines(text, budget - reserve, cost=cost)
        return [part if keyword in part else f"{part}\n\n{keyword}" for part in parts]

    def _post(self, request: SignedRequest) -> None:
        content = json.dumps(request.body, ensure_ascii=False).encode("utf-8")
        timeout = self.config.timeout
        try:
            response = self._client.post(
                request.url,
                content=content,
                headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=timeout,
            )
        except httpx.TimeoutException:
            raise DeliveryError(
                f"{self.label}在 {timeout:g} 秒内没有应答", permanent=False
            ) from None
        except httpx.TransportError as error:
            # The URL carries the robot's key: never put it in the message (nor the log).
            reason = connection_failure(error, where=self.label)
            raise DeliveryError(f"无法连接{self.label}：{reason}", permanent=False) from None
        self._check_status(response)
        self._check_answer(response)

    def _check_status(self, response: httpx.Response) -> None:
        status = response.status_code
        if status == 429:
            raise DeliveryError(
                f"{self.label}限流（HTTP 429），请稍后重试",
                permanent=False,
                retry_after=_retry_after(response),
                rate_limited=True,
            )
        if status >= 500:
            raise DeliveryError(f"{self.label}服务暂时不可用（HTTP {status}）", permanent=False)
        if status >= 400:
            raise DeliveryError(f"{self.label}拒绝了请求（HTTP {status}）", permanent=True)

    def _check_answer(self, response: httpx.Response) -> None:
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            # A proxy's or gateway's page, not the robot's answer: it may pass.
            raise DeliveryError(f"{self.label}的应答无法识别（不是 JSON 对象）", permanent=False)
        code, text = self.answer_code(answer)
        if code == 0:
            return
        if not isinstance(code, int):
            raise DeliveryError(f"{self.label}的应答缺少错误码：{answer}", permanent=False)
        if code in self.codes.rate_limited:
            raise DeliveryError(
                f"{self.label}限流（错误码 {code}：{text}），暂停向它发送，稍后重试",
                permanent=False,
                retry_after=self.codes.rate_limited[code],
                rate_limited=True,
            )
        if code in self.codes.transient:
            raise DeliveryError(
                f"{self.label}暂时拒绝了消息（错误码 {code}：{text}），请稍后重试",
                permanent=False,
                retry_after=self.codes.transient[code],
            )
        hint = self.codes.hints.get(code)
        suffix = f"。{hint}" if hint else ""
        raise DeliveryError(
            f"{self.label}拒绝了消息（错误码 {code}：{text}）{suffix}", permanent=True
        )


def _retry_after(response: httpx.Response) -> float:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return _DEFAULT_HTTP_RETRY_AFTER


def part_title(title: str, index: int, count: int) -> str:
    return title if count == 1 else f"{title}（{index + 1}/{count}）"
