"""Robot rate limits across a run and across worker processes, against a WeCom robot played by
an HTTP server on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests import test_channel_robots as robots
from tests.helpers import shipped_catalog
from tests.reminder_support import NOW, many_branches
from tests.test_reminder_workers import finished, item_states, remind

from obligations.channels import Channel, ChannelKind, DeliveryReceipt, OutgoingMessage, WeComConfig
from obligations.channels.pacing import RateLimit
from obligations.models import DeliveryAttempt, ReminderItem
from obligations.reminders.config import ReminderConfig, load_reminder_config
from obligations.reminders.pacing import DatabaseSendLog, pause_channel
from obligations.reminders.planning import plan_reminders
from obligations.reminders.routing import build_channels
from obligations.reminders.sweep import Sender, SweepReport, sweep
from obligations.reminders.templates import NotificationRenderer
from obligations.vocabulary import AttemptResult, ItemState

provider = robots.provider  # the fake robot server, a fixture
OK = (200, {"errcode": 0, "errmsg": "ok"})
LIMITED = (200, {"errcode": 45009, "errmsg": "api freq out of limit"})


def robot_channels(url: str, **robot: Any) -> dict[str, Any]:
    """The ``channels.yaml`` entries of one WeCom robot that reaches everybody."""
    wecom = {"kind": "wecom", "key": "robot-key-1", "base_url": url, "timeout": 5, **robot}
    return {
        "channels": {"robot": wecom},
        "defaults": ["robot"],
        "admins": {"emails": ["zzb@example.edu.cn"], "channels": ["robot"]},
    }


def planned(sessions: sessionmaker[Session], config: ReminderConfig, branches: int) -> None:
    """One unit of ``branches`` branches, each secretary with one task due soon, planned."""
    with sessions.begin() as session:
        many_branches(session, units=1, branches=branches, tasks_per_branch=1)
    with sessions.begin() as session:
        plan_reminders(session, shipped_catalog(), NOW, config=config)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False) as client:
        yield client


def run(
    sessions: sessionmaker[Session], config: ReminderConfig, http: httpx.Client, now: datetime
) -> SweepReport:
    """One sweep whose robot paces its sends in the database, as the runtime's do."""
    channels = build_channels(
        config, http_client=http, send_logs=lambda name: DatabaseSendLog(sessions, name)
    )
    renderer = NotificationRenderer.for_data_dir(None)
    sender = Sender.create(channels, renderer, shipped_catalog(), config)
    return sweep(sessions, sender, now, "test")


def test_after_a_rate_limit_answer_the_run_sends_nothing_more_to_that_robot_until_the_window_ends(
    sessions: sessionmaker[Session], provider: robots.FakeProvider, http: httpx.Client
) -> None:
    config = ReminderConfig.model_validate(robot_channels(provider.url))
    planned(sessions, config, branches=7)
    # The robot takes three messages, then refuses every one until the test says otherwise.
    answers = iter([OK, OK, OK])
    provider.respond = lambda request: next(answers, LIMITED)

    first = run(sessions, config, http, NOW)

    assert len(provider.requests) == 4  # three accepted, one refused, then silence
    assert first.sent_items == 3 and first.failed_items == 0
    assert first.paused == {"robot": NOW + timedelta(seconds=60)}
    assert first.deferred_items == 3  # the ones never tried
    with sessions() as session:
        waiting = session.execute(
            select(ReminderItem.attempts, ReminderItem.next_attempt_at).where(
                ReminderItem.state == ItemState.PENDING
            )
        ).all()
    assert sorted(attempts for attempts, _ in waiting) == [0, 0, 0, 1]
    assert {at for _, at in waiting} == {NOW + timedelta(seconds=60)}

    provider.respond = lambda request: OK
    inside = run(sessions, config, http, NOW + timedelta(seconds=30))
    assert inside.paused == {"robot": NOW + timedelta(seconds=60)}
    assert len(provider.requests) == 4  # still paused: nothing sent

    after = run(sessions, config, http, NOW + timedelta(seconds=61))
    assert after.sent_items == 4 and after.paused == {}
    assert len(provider.requests) == 8
    with sessions() as session:
        states = dict(
            session.execute(
                select(ReminderItem.state, func.count()).group_by(ReminderItem.state)
            ).all()
        )
    assert states == {ItemState.SENT: 7}


def test_a_dingtalk_robot_blocked_for_ten_minutes_is_left_alone_for_ten_minutes(
    sessions: sessionmaker[Session], provider: robots.FakeProvider, http: httpx.Client
) -> None:
    dingtalk = {"kind": "dingtalk", "access_token": "tok", "base_url": provider.url}
    config = ReminderConfig.model_validate({"channels": {"ding": dingtalk}, "defaults": ["ding"]})
    planned(sessions, config, branches=3)
    provider.answer_always(200, {"errcode": 130101, "errmsg": "send too fast"})
    report = run(sessions, config, http, NOW)
    provider.respond = lambda request: OK
    nine_minutes = run(sessions, config, http, NOW + timedelta(minutes=9))
    assert report.paused == {"ding": NOW + timedelta(minutes=10)}
    assert (len(provider.requests), nine_minutes.sent_items) == (1, 0)
    assert run(sessions, config, http, NOW + timedelta(minutes=10)).sent_items == 3


def test_send_logs_of_one_channel_share_its_slots_and_other_channels_have_their_own(
    sessions: sessionmaker[Session],
) -> None:
    limits = [RateLimit(2, 60.0)]
    first, second = DatabaseSendLog(sessions, "robot"), DatabaseSendLog(sessions, "robot")
    other = DatabaseSendLog(sessions, "other-robot")
    assert [first.reserve(limits, 1000.0), second.reserve(limits, 1010.0)] == [0.0, 0.0]
    assert first.reserve(limits, 1020.0) == pytest.approx(40.0)  # until 1000 + 60
    assert other.reserve(limits, 1020.0) == 0.0
    assert second.reserve(limits, 1060.5) == 0.0  # the first send has left the window


class PausedByAnotherWorker(Channel):
    """A robot that, once its first message went out, is paused by another worker (which got
    the rate-limit answer) before this worker's next send."""

    kind = ChannelKind.WECOM
    config_class = WeComConfig

    def __init__(self, robot: Channel, sessions: sessionmaker[Session], until: datetime) -> None:
        self.robot, self.sessions, self.until = robot, sessions, until

    def send(self, message: OutgoingMessage) -> DeliveryReceipt:
        receipt = self.robot.send(message)
        with self.sessions.begin() as session:
            pause_channel(session, "robot", self.until, "45009", NOW)
        return receipt


def test_a_pause_set_by_another_worker_stops_the_next_send_and_its_items_wait_unattempted(
    sessions: sessionmaker[Session], provider: robots.FakeProvider, http: httpx.Client
) -> None:
    config = ReminderConfig.model_validate(robot_channels(provider.url))
    planned(sessions, config, branches=3)
    until = NOW + timedelta(seconds=45)
    wecom = build_channels(config, http_client=http)["robot"]
    robot = PausedByAnotherWorker(wecom, sessions, until)
    sender = Sender.create(
        {"robot": robot}, NotificationRenderer.for_data_dir(None), shipped_catalog(), config
    )

    report = sweep(sessions, sender, NOW, "test")

    assert len(provider.requests) == 1
    assert (report.sent_items, report.deferred_items, report.paused) == (1, 1, {"robot": until})
    with sessions() as session:
        pending = session.execute(
            select(ReminderItem.attempts, ReminderItem.next_attempt_at).where(
                ReminderItem.state == ItemState.PENDING
            )
        ).all()
        attempts = session.scalar(select(func.count()).select_from(DeliveryAttempt))
    # The one it had claimed waits for the end of the pause; the other was never claimed.
    (untouched, claimed) = sorted(at for _, at in pending)
    assert [n for n, _ in pending] == [0, 0] and untouched <= NOW and claimed == until
    assert attempts == 1  # no attempt was recorded for the message not sent


def most_in_any_window(arrivals: list[float], window: float) -> int:
    """The largest number of ``arrivals`` (seconds) inside any window of ``window`` seconds."""
    ordered = sorted(arrivals)
    return max(
        sum(1 for later in ordered[i:] if later - start < window) for i, start in enumerate(ordered)
    )


def test_two_worker_processes_sharing_one_robot_never_exceed_its_rate_limit(
    tmp_path: Path,
    database_url: str,
    committed_sessions: sessionmaker[Session],
    provider: robots.FakeProvider,
) -> None:
    # Three messages in any two seconds (a minute would make the test wait minutes).
    limit, window, messages = 3, 2.0, 14
    config = robot_channels(provider.url, per_minute=limit, window_seconds=window)
    (tmp_path / "channels.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    planned(committed_sessions, load_reminder_config(tmp_path), branches=messages)

    workers = [remind(tmp_path, database_url), remind(tmp_path, database_url)]
    for worker in workers:
        finished(worker)

    assert len(provider.requests) == messages
    # What arrives is what was paced, give or take the loopback's latency.
    assert most_in_any_window([r.at for r in provider.requests], window - 0.25) <= limit
    assert item_states(committed_sessions) == {ItemState.SENT: messages}
    with committed_sessions() as session:
        senders = set(session.scalars(select(DeliveryAttempt.worker_id)))
        results = set(session.scalars(select(DeliveryAttempt.result)))
    assert len(senders) == 2, "both workers should have sent, for the pacing to be shared"
    assert results == {AttemptResult.SENT}
