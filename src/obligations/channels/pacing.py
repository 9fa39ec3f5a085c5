"""Client-side pacing: stay under a robot's rate limits instead of hitting them.

The clock and the sleep are injectable so a test can check the pacing without waiting.
One :class:`Pacer` paces one robot within one process; keep the channel instance alive
between sends for it to work.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimit:
    count: int
    period: float  # seconds

    def __post_init__(self) -> None:
        if self.count < 1 or self.period <= 0:
            raise ValueError(f"invalid rate limit {self.count} per {self.period} s")


class Pacer:
    """Sliding-window pacing: at most ``limit.count`` sends in any ``limit.period`` seconds."""

    def __init__(
        self,
        limits: Sequence[RateLimit],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not limits:
            raise ValueError("a pacer needs at least one rate limit")
        self._limits = tuple(limits)
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque(maxlen=max(limit.count for limit in limits))
        self._lock = threading.Lock()

    @classmethod
    def per_minute(
        cls,
        count: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> Pacer:
        return cls([RateLimit(count, 60.0)], clock=clock, sleep=sleep)

    def wait(self) -> float:
        """Block until one more send is allowed, count it, and return the seconds waited."""
        with self._lock:
            now = self._clock()
            delay = max(self._delay(limit, now) for limit in self._limits)
            if delay > 0:
                self._sleep(delay)
                now = self._clock()
            self._sent.append(now)
            return delay

    def _delay(self, limit: RateLimit, now: float) -> float:
        if len(self._sent) < limit.count:
            return 0.0
        oldest_in_window = self._sent[-limit.count]
        return max(0.0, oldest_in_window + limit.period - now)
