"""Channel pacing shared by every sender process, in the ``channel_pacing`` table.

Two things, one row per channel name:

- :class:`DatabaseSendLog` is the :class:`~obligations.channels.pacing.SendLog` the sweep gives
  its robots: the instants of the channel's recent sends. A sender takes a slot in a
  transaction that first locks the row (an upsert: on PostgreSQL it locks the row, on SQLite it
  takes the database's write lock), so two workers cannot both take the last slot of a window
  and together they stay under the robot's limit.
- A pause: after a provider answered "rate limited" (``DeliveryError.rate_limited``), nothing
  is sent on the channel until the time it gave (:func:`pause_channel`); the channel's waiting
  items are put off until then (:func:`defer_items`), as transient, not failed.

Sends are counted in wall-clock seconds (the pacer's clock); a pause is kept in the sweep's
time (``now``), the one items' ``next_attempt_at`` uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session, sessionmaker

from obligations.channels.pacing import RateLimit, kept_sends, slot_delay
from obligations.models import ChannelPacing, ReminderItem
from obligations.sql_lists import upsert
from obligations.vocabulary import ItemState

_PACING = cast(Table, ChannelPacing.__table__)


class DatabaseSendLog:
    """The send log of channel ``channel``, shared through the database."""

    def __init__(self, sessions: sessionmaker[Session], channel: str) -> None:
        self._sessions = sessions
        self._channel = channel

    def reserve(self, limits: Sequence[RateLimit], now: float) -> float:
        """Take a slot at ``now`` (seconds since the epoch) if ``limits`` allow one and return
        0.0, else the seconds until one may be free; one short transaction either way."""
        stamp = datetime.fromtimestamp(now, UTC)
        with self._sessions.begin() as session:
            sends = _locked_sends(session, self._channel, stamp)
            delay = slot_delay(sends, limits, now)
            if delay > 0:
                return delay
            session.execute(
                update(_PACING)
                .where(_PACING.c.channel == self._channel)
                .values(sends=kept_sends([*sends, now], limits, now), updated_at=stamp)
            )
            return 0.0


def _locked_sends(session: Session, channel: str, stamp: datetime) -> list[float]:
    """The channel's recorded sends, its row created if need be and locked until the end of
    the transaction."""
    locking = upsert(
        session, _PACING, {"channel": channel, "sends": [], "updated_at": stamp}, key="channel"
    ).returning(_PACING.c.sends)
    sends = session.connection().execute(locking).scalar_one()
    return [float(at) for at in sends or []]


def paused_channels(session: Session, now: datetime) -> dict[str, datetime]:
    """Channel name -> the instant its pause ends, for channels paused at ``now``."""
    rows = session.execute(
        select(ChannelPacing.channel, ChannelPacing.paused_until).where(
            ChannelPacing.paused_until > now
        )
    )
    return {channel: until for channel, until in rows if until is not None}


def paused_until(session: Session, channel: str, now: datetime) -> datetime | None:
    """When the pause of ``channel`` ends, if it is paused at ``now``."""
    until = session.scalar(
        select(ChannelPacing.paused_until).where(ChannelPacing.channel == channel)
    )
    return until if until is not None and until > now else None


def pause_channel(
    session: Session, channel: str, until: datetime, reason: str, now: datetime
) -> None:
    """Send nothing on ``channel`` before ``until`` (a later pause already set stays)."""
    _locked_sends(session, channel, now)  # the row exists and is ours until the commit
    pacing = session.get(ChannelPacing, channel, populate_existing=True)
    assert pacing is not None
    if pacing.paused_until is None or pacing.paused_until < until:
        pacing.paused_until, pacing.pause_reason = until, reason
    pacing.updated_at = now


def defer_items(session: Session, channel: str, until: datetime, reason: str) -> int:
    """Put ``channel``'s pending items due before ``until`` off until then, with ``reason``
    shown; their attempts are not counted (none was made). Returns how many were put off."""
    statement = (
        update(ReminderItem)
        .where(
            ReminderItem.channel == channel,
            ReminderItem.state == ItemState.PENDING,
            ReminderItem.next_attempt_at < until,
        )
        .values(next_attempt_at=until, last_error=reason)
        .execution_options(synchronize_session=False)
    )
    count: int = session.execute(statement).rowcount  # type: ignore[attr-defined]
    return count
