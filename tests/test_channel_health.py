"""A channel's health row, written by several reminder workers at once."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker
from tests.helpers import second_writer_waits

from obligations.channels import parse_channel_config
from obligations.models import ChannelHealth
from obligations.reminders.routing import mark_broken, mark_working

NOW = datetime(2026, 3, 24, 1, 30, tzinfo=UTC)
ROBOT = parse_channel_config({"kind": "wecom", "key": "robot-key-1"})


def test_two_workers_reporting_one_new_channel_at_once_both_succeed_and_the_later_wins(
    committed_sessions: sessionmaker[Session],
) -> None:
    # The fault seen in CI: both workers found no row, both inserted one, the second failed on
    # the primary key and its whole delivery transaction was lost.
    failures = second_writer_waits(
        committed_sessions,
        lambda session: mark_working(session, "robot", NOW),
        lambda session: mark_broken(session, "robot", ROBOT, "401 key invalid", NOW),
    )

    assert failures == []
    with committed_sessions() as session:
        health = session.get(ChannelHealth, "robot")
        assert health is not None
        assert (health.broken_reason, health.last_ok_at) == ("401 key invalid", NOW)


def test_a_channel_that_works_again_loses_its_broken_mark_and_keeps_when_it_last_worked(
    committed_sessions: sessionmaker[Session],
) -> None:
    with committed_sessions.begin() as session:
        mark_broken(session, "robot", ROBOT, "401 key invalid", NOW)
    with committed_sessions.begin() as session:
        mark_working(session, "robot", NOW.replace(hour=2))
    with committed_sessions() as session:
        health = session.get(ChannelHealth, "robot")
        assert health is not None
        assert health.broken_at is None and health.broken_reason is None
        assert health.config_digest is None
        assert health.last_ok_at == NOW.replace(hour=2)
