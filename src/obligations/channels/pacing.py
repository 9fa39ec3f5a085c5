"""Client-side pacing: stay under a robot's rate limits instead of hitting them.

A :class:`Pacer` asks a :class:`SendLog` for a slot before each post. The log is the record of
one robot's recent sends: :class:`MemorySendLog` (the default) holds it in this process; a log
shared by every process (the reminder sweep's, kept in the database) makes the pacing hold
across worker processes. The clock (wall-clock seconds, comparable between processes) and the
sleep are injectable so a test can check the pacing without waiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class RateLimit:
    count: int
    period: float  # seconds

    def __post_init__(self) -> None:
        if self.count < 1 or self.period <= 0:
            raise ValueError(f"invalid rate limit {self.count} per {self.period} s")


class SendLog(Protocol):
    """The instants of one robot's recent sends, where every pacer of that robot looks."""

    def reserve(self, limits: Sequence[RateLimit], now: float) -> float:
        """Take a send slot at ``now`` (seconds) if every limit allows one, and return 0.0;
        else take nothing and return the seconds until one may be free.

        Atomic: of two callers wanting the last slot of a window, one gets it.
        """
        ...


def slot_delay(sent: Sequence[float], limits: Sequence[RateLimit], now: float) -> float:
    """Seconds from ``now`` until every limit allows one more send after ``sent`` (the
    instants of earlier sends, oldest first); 0.0 when one is allowed now."""
    delays = [0.0]
    for limit in limits:
        inside = [at for at in sent if at > now - limit.period]
        if len(inside) >= limit.count:
            delays.append(inside[-limit.count] + limit.period - now)
    return max(delays)


def kept_sends(sent: Sequence[float], limits: Sequence[RateLimit], now: float) -> list[float]:
    """The sends still inside the longest window at ``now``, at most as many as the largest
    limit counts (older ones can no longer hold a send back)."""
    longest = max(limit.period for limit in limits)
    most = max(limit.count for limit in limits)
    return [at for at in sent if at > now - longest][-most:]


class MemorySendLog:
    """A :class:`SendLog` in this process only (one per channel instance by default)."""

    def __init__(self) -> None:
        self._sent: list[float] = []
        self._lock = threading.Lock()

    def reserve(self, limits: Sequence[RateLimit], now: float) -> float:
        with self._lock:
            delay = slot_delay(self._sent, limits, now)
            if delay <= 0:
                self._sent = kept_sends([*self._sent, now], limits, now)
            return max(delay, 0.0)


class Pacer:
    """Sliding-window pacing: at most ``limit.count`` sends in any ``limit.period`` seconds,
    counted in ``log`` (shared with other processes when the log is)."""

    def __init__(
        self,
        limits: Sequence[RateLimit],
        *,
        log: SendLog | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not limits:
            raise ValueError("a pacer needs at least one rate limit")
        self._limits = tuple(limits)
        self._log: SendLog = log if log is not None else MemorySendLog()
        self._clock = clock
        self._sleep = sleep

    @classmethod
    def per_minute(
        cls,
        count: int,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> Pacer:
        return cls([RateLimit(count, 60.0)], clock=clock, sleep=sleep)

    def wait(self) -> float:
        """Block until the log grants one more send (counted there), and return the seconds
        waited. Another process may take the slot it waited for: then it waits again."""
        waited = 0.0
        while (delay := self._log.reserve(self._limits, self._clock())) > 0:
            self._sleep(delay)
            waited += delay
        return waited
