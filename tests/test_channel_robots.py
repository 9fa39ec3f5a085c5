"""WeCom, DingTalk and Feishu robots against local HTTP servers that play the providers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlsplit

import httpx
import pytest

from obligations.channels import (
    ChannelKind,
    Contact,
    ContactKind,
    DeliveryError,
    DingTalkChannel,
    DingTalkConfig,
    FeishuChannel,
    FeishuConfig,
    OutgoingMessage,
    RobotChannel,
    WeComChannel,
    WeComConfig,
    build_channel,
    parse_channel_config,
)
from obligations.channels.pacing import MemorySendLog, Pacer, RateLimit
from obligations.channels.splitting import split_lines

NOW = 1_780_000_000.25  # wall clock for signatures: 2026-05-28, frozen
DINGTALK_SECRET = "SEC0123456789abcdef"
FEISHU_SECRET = "feishu-secret-密钥"
MESSAGE = OutgoingMessage(
    subject="【党建任务提醒】2 项任务即将到期",
    text="纯文本正文",
    markdown="**【党建任务提醒】**\n> 1. 召开支部党员大会\n> 2. 开展主题党日活动",
)

Answer = tuple[int, Any]  # HTTP status, JSON body (or bytes)
WAIT = (0, None)  # answer nothing until the test ends: the client times out


@dataclass
class Request:
    path: str  # with the raw query string
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)  # when it arrived

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}


@dataclass
class FakeProvider:
    """Records each POST and answers with ``respond(request)``."""

    url: str = ""
    requests: list[Request] = field(default_factory=list)
    respond: Callable[[Request], Answer] = lambda request: (200, {"errcode": 0, "errmsg": "ok"})
    release: threading.Event = field(default_factory=threading.Event)

    def answer_always(self, status: int, body: Any) -> None:
        self.respond = lambda request: (status, body)


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    fake = FakeProvider()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            request = Request(self.path, dict(self.headers.items()), body)
            fake.requests.append(request)
            status, answer = fake.respond(request)
            if (status, answer) == WAIT:
                fake.release.wait(10)
                return
            content = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield fake
    fake.release.set()
    server.shutdown()
    server.server_close()
    thread.join()


@dataclass
class FakeClock:
    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False) as client:  # no proxy from the environment
        yield client


@pytest.fixture
def make(
    provider: FakeProvider, clock: FakeClock, http: httpx.Client
) -> Callable[..., RobotChannel[Any]]:
    def make(kind: str, **overrides: Any) -> RobotChannel[Any]:
        common: dict[str, Any] = {"base_url": provider.url, "timeout": 0.5}
        channel: RobotChannel[Any]
        if kind == "wecom":
            cfg = WeComConfig(**({"key": "robot-key-1"} | common | overrides))
            channel = WeComChannel(cfg, client=http, wall_clock=lambda: NOW)
        elif kind == "dingtalk":
            values = {"access_token": "tok", "secret": DINGTALK_SECRET}
            cfg2 = DingTalkConfig(**(values | common | overrides))
            channel = DingTalkChannel(cfg2, client=http, wall_clock=lambda: NOW)
        else:
            values = {"hook_id": "hook-42", "secret": FEISHU_SECRET}
            cfg3 = FeishuConfig(**(values | common | overrides))
            channel = FeishuChannel(cfg3, client=http, wall_clock=lambda: NOW)
        channel.pacer = Pacer(channel.rate_limits(), clock=clock.monotonic, sleep=clock.sleep)
        return channel

    return make


def expected_bytes(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


# --- servers that check signatures the way the providers do ---------------------------------


def dingtalk_checks_signature(request: Request) -> Answer:
    timestamp, sign = request.query.get("timestamp"), request.query.get("sign")
    digest = hmac.new(
        DINGTALK_SECRET.encode(), f"{timestamp}\n{DINGTALK_SECRET}".encode(), hashlib.sha256
    ).digest()
    if sign != base64.b64encode(digest).decode():  # parse_qs undid the URL encoding once
        return 200, {"errcode": 310000, "errmsg": "sign not match"}
    return 200, {"errcode": 0, "errmsg": "ok"}


def feishu_checks_signature(request: Request) -> Answer:
    body = request.json
    key = f"{body['timestamp']}\n{FEISHU_SECRET}".encode()
    if body["sign"] != base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode():
        return 200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}
    return 200, {"code": 0, "msg": "success", "data": {}}


# --- WeCom ----------------------------------------------------------------------------------


def test_wecom_posts_the_markdown_to_the_webhook_with_its_key(
    make: Callable[..., RobotChannel[Any]], provider: FakeProvider
) -> None:
    receipt = make("wecom").send(MESSAGE)

    (request,) = provider.requests
    assert request.path == "/cgi-bin/webhook/send?key=robot-key-1"
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.body == expected_bytes(
        {"msgtype": "markdown", "markdown": {"content": MESSAGE.markdown}}
    )
    assert receipt.kind is ChannelKind.WECOM
    assert receipt.parts == 1


def test_wecom_mentions_user_ids_in_markdown_and_mobiles_in_a_following_text_message(
    make: Callable[..., RobotChannel[Any]], provider: FakeProvider
) -> None:
    message = OutgoingMessage(
        subject="【党建任务逾期】1 项任务已逾期",
        text="正文",
        markdown="**逾期提醒**",
        to=(
            Contact(
                "张三",
                {
                    ContactKind.MOBILE: ("13800138000",),
                    ContactKind.WECOM_USERID: ("zhangsan",),
                    ContactKind.FEISHU_USER_ID: ("ou_abc",),
                },
            ),
        ),
    )
    receipt = make("wecom").send(message)

    assert [r.json for r in provider.requests] == [
        {"msgtype": "markdown", "markdown": {"content": "**逾期提醒**\n<@zhangsan>"}},
        {
            "msgtype": "text",
            "text": {
                "content": "【党建任务逾期】1 项任务已逾期",
                "mentioned_mobile_list": ["13800138000"],
            },
        },
    ]
    assert receipt.parts == 2


def test_wecom_rate_limit_answered_with_http_200_is_transient_with_retry_after(
    make: Callable[..., RobotChannel[Any]], provider: FakeProvider
) -> None:
    provider.answer_always(200, {"errcode": 45009, "errmsg": "api freq out of limit"})
    with pytest.raises(DeliveryError) as failure:
        make("wecom").send(MESSAGE)
    assert not failure.value.permanent
    assert failure.value.retry_after == 60.0
    assert "45009" in failure.value.message


def test_wecom_invalid_webhook_key_is_permanent(
    make: Callable[..., RobotChannel[Any]], provider: FakeProvider
) -> None:
    provider.answer_always(200, {"errcode": 93000, "errmsg": "invalid webhook url"})
    with pytest.raises(DeliveryError) as failure:
        make("wecom").send(MESSAGE)
    assert failure.value.permanent
    assert "93000" in failure.value.message
    assert "robot-key-1" not in failure.value.message


def test_wecom_splits_a_long_markdown_into_messages_of_at_most_4096_bytes_at_line_ends(
    make: Callable[..., RobotChannel[Any]], provider: FakeProvider
) -> None:
    lines = [f"> {i}. 马克思主义学院党委教工第一党支部召开支部党员大会" for i in range(200)]
    make("wecom").send(OutgoingMessage(subject="汇总", text="", markdown="\n".join(lines)))

    contents = [r.json["markdown"]["content"] for r in provider.requests]
    assert len(contents) > 1
    assert all(len(c.encode()) <= 4096 for c in contents)
    assert [line for c in contents for line in c.split("\n")] == lines


# --- DingTalk -------------------------------------------------------------------------------


def test_dingtalk_signs_the_request_with_timestamp_and_secret(
    make: Callable[..., RobotChannel[Any]], provider: FakeProvider
) -> None:
    provider.respond = dingtalk_checks_signature
    make("dingtalk").send(MESSAGE)

    (request,) = provider.requests
    timestamp = int(NOW * 1000)
    digest = hmac.new(
        DINGTALK_SECRET.encode(), f"{timestamp}\n{DINGTALK_SECRET}".encode(), hashlib.sha256
    ).digest()
    sign = quote_plus(base64.b64encode(digest).decode())
    assert request.path == f"/robot/send?access_token=tok&timestamp={timestamp}&sign={sign}"
    assert request.body == expected_bytes(
        {
            "msgtype": "markdown",
            "markdown": {"title": MESSAGE.subject, "text": MESSAGE.markdown},
            "at": {"atMobiles": [], "isAtAll": False},
        }
    )


def test_dingtalk_with_a_wrong_secret_is_refused_permanently(
    make: Callable[..., RobotChannel[Any]], provider: FakeProvider
) -> None:
    provider.respond = dingtalk_checks_signature
    with pytest.raises(DeliveryError) as failure:
        make("dingtalk", secret="not-the-secret").send(MESSAGE)
    assert failure.value.permanent
    assert "310000" in failure.value.message


def test_dingtalk_without_a_secret_sends_no_signature(
    make: Callable[..., RobotChannel[Any]], provider: FakeProvider
) -> None:
    make("dingtalk", secret=None).send(MESSAGE)
    assert provider.requests[0].path == "/robot/send?access_token=tok"


def test_dingtalk_mentions_mobiles_in_at_and_in_the_text_of_the_last_part_only(
    make: Callable[..., RobotChannel[Any]], provider: FakeProvider
) -> None:
    body = "\n".join(f"- 第{i}项：召开支部党员大会并上传会议记录" for i in range(150))
    message = OutgoingMessage(
        subject="逾期",
        text="",
        markdown=body,
        to=(
            Contact("张三", {ContactKind.MOBILE: ("13800138000",)}),
            Contact("管理员", {ContactKind.MOBILE: ("@all",)}),
        ),
    )
    make("dingtalk").send(message)

    sent = [r.json for r in provider.requests]
    assert len(sent) > 1
    assert [s["markdown"]["title"] for s in sent] == [
        f"逾期（{i}/{len(sent)}）" for i in range(1, len(sent) + 1)
    ]
    assert all(s["at"] == {"atMobiles": [], "isAtAll": False} for s in sent[:-1])
    assert sent[-1]["at"] == {"atMobiles": ["13800138000"], "isAtAll": True}
    assert sent[-1]["markdown"]["text"].endswith("\n\n@13800138000")
    assert all(len(s["markdown"]["text"].encode()) <= 4096 for s in sent)


def test_dingtalk_send_too_fast_is_transient_for_the_ten_minute_block(
    make: Callable[..., RobotChannel[Any]], provider: FakeProvider
) -> None:
    provider.answer_always(200, {"errcode": 130101, "errmsg": "send too fast"})
    with pytest.raises(DeliveryError) as failure:
        make("dingtalk").send(MESSAGE)
    assert not failure.value.permanent
    assert failure.value.retry_after == 600.0


def test_dingtalk_keyword_security_puts_the_keyword_in_every_part(
    make: Callable[..., RobotChannel[Any]], provider: FakeProvider
) -> None:
    body = "\n".join(f"- 第{i}项任务" for i in range(400))
    make("dingtalk", keyword="党建").send(OutgoingMessage(subject="汇总", text="", markdown=body))
    texts = [r.json["markdown"]["text"] for r in provider.requests]
    assert len(texts) > 1
    assert all("党建" in t and len(t.encode()) <= 4096 for t in texts)


# --- Feishu ---------------------------------------------------------------------------------


def test_feishu_signs_the_body_with_timestamp_seconds_and_secret(
    make: Callable[..., RobotChannel[Any]], provider: FakeProvider
) -> None:
    provider.respond = feishu_checks_signature
    make("feishu").send(MESSAGE)

    (request,) = provider.requests
    assert request.path == "/open-apis/bot/v2/hook/hook-42"
    key = f"{int(NOW)}\n{FEISHU_SECRET}".encode()
    sign = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert request.body == expected_bytes(
        {
            "timestamp": str(int(NOW)),
            "sign": sign,
            "msg_type": "interactive",
            "card": {
                "header": {"title": {"tag": "plain_text", "content": MESSAGE.subject}},
                "elements": [{"tag": "markdown", "content": MESSAGE.markdown}],
            },
        }
    )


def test_feishu_with_a_wrong_secret_is_refused_permanently(
    make: Callable[..., RobotChannel[Any]], provider: FakeProvider
) -> None:
    provider.respond = feishu_checks_signature
    with pytest.raises(DeliveryError) as failure:
        make("feishu", secret="wrong").send(MESSAGE)
    assert failure.value.permanent
    assert "19021" in failure.value.message


def test_feishu_rate_limit_is_transient(
    make: Callable[..., RobotChannel[Any]], provider: FakeProvider
) -> None:
    provider.answer_always(200, {"code": 11232, "msg": "frequency limited psm"})
    with pytest.raises(DeliveryError) as failure:
        make("feishu").send(MESSAGE)
    assert not failure.value.permanent
    assert failure.value.retry_after is not None


@pytest.mark.parametrize(
    ("kind", "answer", "pause"),
    [
        ("wecom", {"errcode": 45009, "errmsg": "api freq out of limit"}, 60.0),
        ("dingtalk", {"errcode": 130101, "errmsg": "send too fast"}, 600.0),
        ("feishu", {"code": 11232, "msg": "frequency limited psm"}, 60.0),
        ("feishu", {"code": 9499, "msg": "too many request"}, 60.0),
    ],
)
def test_each_robots_rate_limit_answer_asks_to_pause_the_robot_for_its_window(
    make: Callable[..., RobotChannel[Any]],
    provider: FakeProvider,
    kind: str,
    answer: dict[str, Any],
    pause: float,
) -> None:
    provider.answer_always(200, answer)
    with pytest.raises(DeliveryError) as failure:
        make(kind).send(MESSAGE)
    assert failure.value.rate_limited and not failure.value.permanent
    assert failure.value.retry_after == pause


def test_http_429_pauses_the_robot_for_its_retry_after_and_a_busy_system_does_not(
    make: Callable[..., RobotChannel[Any]], provider: FakeProvider
) -> None:
    provider.respond = lambda request: (429, {"errcode": 45009})
    with pytest.raises(DeliveryError) as limited:
        make("wecom").send(MESSAGE)
    provider.answer_always(200, {"errcode": -1, "errmsg": "system busy"})
    with pytest.raises(DeliveryError) as busy:
        make("wecom").send(MESSAGE)
    assert limited.value.rate_limited and limited.value.retry_after == 60.0
    assert not busy.value.rate_limited and not busy.value.permanent


def test_feishu_mentions_user_ids_in_the_card_and_cannot_mention_mobiles(
    make: Callable[..., RobotChannel[Any]], provider: FakeProvider
) -> None:
    provider.respond = feishu_checks_signature
    message = OutgoingMessage(
        subject="提醒",
        text="",
        markdown="请处理",
        to=(
            Contact(
                "张三",
                {
                    ContactKind.MOBILE: ("13800138000",),
                    ContactKind.WECOM_USERID: ("zhangsan",),
                    ContactKind.FEISHU_USER_ID: ("ou_abc",),
                },
            ),
        ),
    )
    make("feishu").send(message)
    card = provider.requests[0].json["card"]
    assert card["elements"] == [{"tag": "markdown", "content": "请处理\n<at id=ou_abc></at>"}]
    assert "13800138000" not in provider.requests[0].body.decode()
    assert "zhangsan" not in provider.requests[0].body.decode()


def test_feishu_keeps_every_request_body_under_20_kb(
    make: Callable[..., RobotChannel[Any]], provider: FakeProvider
) -> None:
    provider.respond = feishu_checks_signature
    lines = [f'- "第{i}项"：马克思主义学院党委教工第一党支部召开支部党员大会' for i in range(1000)]
    make("feishu").send(OutgoingMessage(subject="汇总", text="", markdown="\n".join(lines)))

    assert len(provider.requests) > 1
    assert all(len(r.body) <= 20000 for r in provider.requests)
    contents = [r.json["card"]["elements"][0]["content"] for r in provider.requests]
    assert "\n".join(contents).split("\n") == lines


def test_feishu_reads_the_older_status_code_answer(
    make: Callable[..., RobotChannel[Any]], provider: FakeProvider
) -> None:
    provider.answer_always(200, {"StatusCode": 0, "StatusMessage": "success"})
    assert make("feishu").send(MESSAGE).parts == 1


# --- what every robot shares ----------------------------------------------------------------

ROBOTS = ["wecom", "dingtalk", "feishu"]


@pytest.mark.parametrize("kind", ROBOTS)
def test_robot_http_500_is_transient(
    kind: str, make: Callable[..., RobotChannel[Any]], provider: FakeProvider
) -> None:
    provider.answer_always(500, b"Internal Server Error")
    with pytest.raises(DeliveryError) as failure:
        make(kind).send(MESSAGE)
    assert not failure.value.permanent


@pytest.mark.parametrize("kind", ROBOTS)
def test_robot_http_404_is_permanent(
    kind: str, make: Callable[..., RobotChannel[Any]], provider: FakeProvider
) -> None:
    provider.answer_always(404, b"Not Found")
    with pytest.raises(DeliveryError) as failure:
        make(kind).send(MESSAGE)
    assert failure.value.permanent


@pytest.mark.parametrize("kind", ROBOTS)
def test_robot_http_429_is_transient_with_the_retry_after_header(
    kind: str, make: Callable[..., RobotChannel[Any]], provider: FakeProvider
) -> None:
    def respond(request: Request) -> Answer:
        return 429, b"{}"

    provider.respond = respond
    with pytest.raises(DeliveryError) as failure:
        make(kind).send(MESSAGE)
    assert not failure.value.permanent
    assert failure.value.retry_after is not None


@pytest.mark.parametrize("kind", ROBOTS)
def test_robot_that_does_not_answer_within_the_timeout_is_transient(
    kind: str, make: Callable[..., RobotChannel[Any]], provider: FakeProvider
) -> None:
    provider.answer_always(*WAIT)
    with pytest.raises(DeliveryError) as failure:
        make(kind, timeout=0.2).send(MESSAGE)
    assert not failure.value.permanent
    assert "0.2 秒" in failure.value.message


@pytest.mark.parametrize("kind", ROBOTS)
def test_robot_answer_that_is_not_json_is_transient(
    kind: str, make: Callable[..., RobotChannel[Any]], provider: FakeProvider
) -> None:
    provider.answer_always(200, b"<html>gateway</html>")
    with pytest.raises(DeliveryError) as failure:
        make(kind).send(MESSAGE)
    assert not failure.value.permanent


@pytest.mark.parametrize("kind", ROBOTS)
def test_robot_that_cannot_be_reached_is_transient(
    kind: str, make: Callable[..., RobotChannel[Any]]
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DeliveryError) as failure:
        make(kind, base_url=f"http://127.0.0.1:{port}").send(MESSAGE)
    assert not failure.value.permanent


def test_robot_failure_midway_reports_how_many_parts_went_out(
    make: Callable[..., RobotChannel[Any]], provider: FakeProvider
) -> None:
    answers = iter([(200, {"errcode": 0}), (200, {"errcode": 45009, "errmsg": "limit"})])
    provider.respond = lambda request: next(answers)
    long = "\n".join(f"第{i}行：党支部工作任务提醒内容" for i in range(400))
    with pytest.raises(DeliveryError) as failure:
        make("wecom").send(OutgoingMessage(subject="汇总", text="", markdown=long))
    assert failure.value.parts_sent == 1


def test_robot_uses_the_plain_text_when_there_is_no_markdown(
    make: Callable[..., RobotChannel[Any]], provider: FakeProvider
) -> None:
    make("wecom").send(OutgoingMessage(subject="提醒", text="纯文本正文"))
    assert provider.requests[0].json["markdown"]["content"] == "纯文本正文"


# --- pacing ---------------------------------------------------------------------------------


def test_robot_paces_the_21st_message_of_a_minute_until_the_first_leaves_the_window(
    make: Callable[..., RobotChannel[Any]], provider: FakeProvider, clock: FakeClock
) -> None:
    channel = make("wecom")
    for _ in range(21):
        channel.send(MESSAGE)
    assert clock.sleeps == [60.0]
    assert len(provider.requests) == 21


def test_feishu_paces_to_five_messages_a_second(
    make: Callable[..., RobotChannel[Any]], provider: FakeProvider, clock: FakeClock
) -> None:
    provider.respond = feishu_checks_signature
    channel = make("feishu", per_minute=100)
    for _ in range(6):
        channel.send(MESSAGE)
    assert clock.sleeps == [1.0]


def test_pacer_counts_only_the_sends_inside_the_sliding_window(clock: FakeClock) -> None:
    pacer = Pacer([RateLimit(2, 60.0)], clock=clock.monotonic, sleep=clock.sleep)
    pacer.wait()  # t=1000
    clock.now += 30
    pacer.wait()  # t=1030
    clock.now += 40  # t=1070: the first send has left the window, the second has not
    assert pacer.wait() == 0.0
    assert pacer.wait() == pytest.approx(20.0)  # until 1030 + 60
    assert clock.sleeps == [pytest.approx(20.0)]


def test_two_pacers_sharing_one_send_log_together_stay_under_the_limit(clock: FakeClock) -> None:
    log = MemorySendLog()
    limits = [RateLimit(3, 60.0)]
    first, second = (
        Pacer(limits, log=log, clock=clock.monotonic, sleep=clock.sleep) for _ in range(2)
    )
    assert [first.wait(), second.wait(), first.wait()] == [0.0, 0.0, 0.0]
    assert second.wait() == pytest.approx(60.0)  # the fourth send of the minute waits
    assert clock.sleeps == [pytest.approx(60.0)]


def test_a_robot_built_with_a_send_log_paces_in_it(
    provider: FakeProvider, http: httpx.Client
) -> None:
    log = MemorySendLog()
    config = WeComConfig(key="k", base_url=provider.url, per_minute=2)
    for _ in range(2):
        build_channel(config, http_client=http, send_log=log).send(MESSAGE)
    assert log.reserve([RateLimit(2, 60.0)], time.time()) > 0  # both sends were counted there


# --- splitting and the registry -------------------------------------------------------------


def test_split_cuts_a_single_overlong_line_between_characters() -> None:
    parts = split_lines("党" * 10, 9)  # 3 bytes a character
    assert parts == ["党党党", "党党党", "党党党", "党"]


def test_split_drops_blank_lines_at_the_edges_of_parts() -> None:
    assert split_lines("aaaa\n\nbbbb\n", 5) == ["aaaa", "bbbb"]


def test_build_channel_makes_each_kind_from_its_stored_config(http: httpx.Client) -> None:
    stored = [
        {"kind": "email", "host": "smtp.example.edu.cn", "from_address": "dw@example.edu.cn"},
        {"kind": "wecom", "key": "k"},
        {"kind": "dingtalk", "access_token": "t", "secret": "s"},
        {"kind": "feishu", "hook_id": "h"},
    ]
    kinds = [build_channel(parse_channel_config(c), http_client=http).kind for c in stored]
    assert kinds == [ChannelKind.EMAIL, ChannelKind.WECOM, ChannelKind.DINGTALK, ChannelKind.FEISHU]


def test_robot_config_hides_its_secrets() -> None:
    cfg = parse_channel_config({"kind": "dingtalk", "access_token": "tok-1", "secret": "sec-1"})
    assert "tok-1" not in repr(cfg) and "sec-1" not in repr(cfg)
