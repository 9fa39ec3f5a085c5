"""Slow down repeated failed logins, per account and per client address.

After ``free`` failures in a row, each further failure blocks the key for a doubling delay
(1 s, 2 s, 4 s, ... capped at 15 minutes). A successful login clears the account's count.
Counters live in the database so several web workers share them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from obligations.models import LoginThrottle
from obligations.sql_lists import upsert

MAX_DELAY = timedelta(minutes=15)
# A count untouched this long starts again from zero.
FORGET_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class ThrottlePolicy:
    account_free: int = 5
    address_free: int = 20


def account_key(username: str) -> str:
    return f"user:{username.strip().lower()[:150]}"


def address_key(address: str) -> str:
    return f"ip:{address[:150]}"


def blocked_for(session: Session, keys: list[str], now: datetime) -> timedelta | None:
    """How long the longest block among ``keys`` still lasts, or None when none is blocked."""
    longest: timedelta | None = None
    for key in keys:
        row = session.get(LoginThrottle, key)
        if row is None or row.blocked_until is None or row.blocked_until <= now:
            continue
        left = row.blocked_until - now
        longest = left if longest is None else max(longest, left)
    return longest


def record_failure(session: Session, key: str, free: int, now: datetime) -> None:
    """Count one failed login for ``key`` at ``now``; past ``free`` failures in a row, block it.

    The row is created or locked by one upsert: web workers failing the same new key at once
    must neither lose a count nor fail on the key.
    """
    new = {"key": key, "failures": 0, "last_failed_at": now, "blocked_until": None}
    session.execute(upsert(session, LoginThrottle, new, key="key"))
    row = session.get(LoginThrottle, key, populate_existing=True)
    assert row is not None  # the upsert above made sure of it
    if now - row.last_failed_at > FORGET_AFTER:
        row.failures = 0
    row.failures += 1
    row.last_failed_at = now
    if row.failures > free:
        row.blocked_until = now + _delay(row.failures - free)
    session.flush()


def clear(session: Session, key: str) -> None:
    row = session.get(LoginThrottle, key)
    if row is not None:
        session.delete(row)
        session.flush()


def _delay(excess: int) -> timedelta:
    return min(timedelta(seconds=2 ** min(excess - 1, 20)), MAX_DELAY)
