"""Time conventions: instants are aware UTC datetimes, calendar facts are local dates.

Only the edges (CLI, web, scheduler) call :func:`utcnow`; everything else takes ``now`` or
``today`` as an argument.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_date(instant: datetime, tz: ZoneInfo = LOCAL_TZ) -> date:
    """The local calendar date of an aware instant."""
    if instant.tzinfo is None:
        raise ValueError(f"naive datetime {instant!r}: instants must carry a timezone")
    return instant.astimezone(tz).date()
