"""Time conventions: instants are aware UTC datetimes, calendar facts are local dates.

Only the edges (CLI, web, scheduler) call :func:`utcnow`; everything else takes ``now`` or
``today`` as an argument.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

LOCAL_ZONE = "Asia/Shanghai"
"""The one zone of every local date and time (due dates, sending hours, the scheduler, SQL).
Not a setting: the catalog, the holiday data and the Party calendar are China's."""
LOCAL_TZ = ZoneInfo(LOCAL_ZONE)
# China has kept no daylight saving time since 1991: one offset, which SQLite (no zone data)
# applies to a UTC timestamp to get a local date.
LOCAL_UTC_OFFSET: timedelta = datetime(2000, 1, 1, tzinfo=LOCAL_TZ).utcoffset() or timedelta(0)


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_date(instant: datetime, tz: ZoneInfo = LOCAL_TZ) -> date:
    """The local calendar date of an aware instant."""
    if instant.tzinfo is None:
        raise ValueError(f"naive datetime {instant!r}: instants must carry a timezone")
    return instant.astimezone(tz).date()


def local_date_sql(column: str, *, sqlite: bool) -> str:
    """SQL for the local date (:data:`LOCAL_ZONE`) of ``column``, a UTC timestamp: SQLite
    adds the fixed :data:`LOCAL_UTC_OFFSET`, PostgreSQL converts with its zone data."""
    if sqlite:
        hours = int(LOCAL_UTC_OFFSET.total_seconds() // 3600)
        return f"date({column}, '{hours:+d} hours')"
    return f"CAST({column} AT TIME ZONE '{LOCAL_ZONE}' AS DATE)"
