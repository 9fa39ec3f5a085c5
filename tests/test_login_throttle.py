"""The login throttle's counts, written by several web workers at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker
from tests.helpers import second_writer_waits

from obligations.accounts import throttle
from obligations.models import LoginThrottle

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
KEY = throttle.address_key("203.0.113.7")


def test_two_workers_counting_a_new_address_at_once_lose_no_failure_and_fail_on_no_key(
    committed_sessions: sessionmaker[Session],
) -> None:
    failures = second_writer_waits(
        committed_sessions,
        lambda session: throttle.record_failure(session, KEY, free=1, now=NOW),
        lambda session: throttle.record_failure(
            session, KEY, free=1, now=NOW + timedelta(seconds=1)
        ),
    )

    assert failures == []
    with committed_sessions() as session:
        row = session.get(LoginThrottle, KEY)
        assert row is not None
        assert row.failures == 2  # both counted: past the one free failure, so blocked
        assert row.blocked_until is not None and row.blocked_until > NOW


def test_a_count_untouched_for_a_day_starts_again_from_zero(
    committed_sessions: sessionmaker[Session],
) -> None:
    with committed_sessions.begin() as session:
        throttle.record_failure(session, KEY, free=1, now=NOW)
        throttle.record_failure(session, KEY, free=1, now=NOW)
    later = NOW + throttle.FORGET_AFTER + timedelta(seconds=1)
    with committed_sessions.begin() as session:
        throttle.record_failure(session, KEY, free=1, now=later)
    with committed_sessions() as session:
        row = session.get(LoginThrottle, KEY)
        assert row is not None and row.failures == 1 and row.last_failed_at == later
