"""What the calendar feed keeps in memory between requests, so an unchanged feed costs almost
nothing: whole bodies by their ETag, and single events by everything they are written from
(one event serves every user whose feed carries the task, until the task or the day changes).
Both are bounded in bytes; each process of the server keeps its own."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable


class BytesCache:
    """Byte strings by key, the least recently used dropped beyond ``max_bytes`` in all.
    Shared by the threads of one process."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: bytes) -> bytes:
        """Keeps ``value`` (unless larger than the whole cache) and returns it."""
        with self._lock:
            if key not in self._items and len(value) <= self.max_bytes:
                self._items[key] = value
                self._size += len(value)
                while self._size > self.max_bytes:
                    _, dropped = self._items.popitem(last=False)
                    self._size -= len(dropped)
        return value

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0


# A body of 300 events is about 100 KB, an event about 330 bytes.
BODIES = BytesCache(max_bytes=16 * 1024 * 1024)
EVENTS = BytesCache(max_bytes=32 * 1024 * 1024)
