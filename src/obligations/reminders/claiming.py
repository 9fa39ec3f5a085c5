"""Claiming reminder items for sending, and letting go of them, under a claim token.

A sender claims every due item of one (recipient, channel) with conditional UPDATEs (pending and
due, or claimed under an expired lease): of several processes sweeping at once, exactly one
gets each item, with no lock held while sending. Every later change to the items
(:func:`set_items`, :func:`finish`, :func:`release`) is made only while the token still holds
them, so a sender whose lease was taken over changes nothing. The guarantee these steps give
together is stated in :mod:`obligations.reminders.sweep`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, and_, or_, select, tuple_, update
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.selectable import NamedFromClause

from obligations.models import ReminderItem
from obligations.vocabulary import ItemState

_ITEMS = cast(Table, ReminderItem.__table__)


def due(now: datetime) -> ColumnElement[bool]:
    """Items a sender may take at ``now``: pending and due, or claimed under an expired lease."""
    return or_(
        and_(ReminderItem.state == ItemState.PENDING, ReminderItem.next_attempt_at <= now),
        and_(ReminderItem.state == ItemState.CLAIMED, ReminderItem.lease_until < now),
    )


def claim_group(
    sessions: sessionmaker[Session],
    token: str,
    now: datetime,
    lease_until: datetime,
    channels: Sequence[str],
) -> int:
    """Claim every due item of one (recipient, channel) with conditional UPDATEs.

    The first UPDATE finds a group in a subquery (an indexed read of one due item) and claims
    that group's due items, returning the group; a second claims the same group's items held
    under an expired lease. Each UPDATE re-checks "due" on every row it changes, so of two
    processes racing for the same group one gets the rows and the other none: it then looks
    for another group. Returns the number of items claimed (0: nothing is due).
    """
    while True:
        with sessions.begin() as session:
            claimed = _claim_first_group(session, token, now, lease_until, channels)
        if claimed or _due_group(sessions, now, channels) is None:
            return claimed


def _claim_first_group(
    session: Session, token: str, now: datetime, lease_until: datetime, channels: Sequence[str]
) -> int:
    # Core statements on the table: the ORM's bulk-update path costs more than the UPDATE.
    items = _ITEMS.c
    pending, expired = _due_conditions(now, _ITEMS)
    claim = {"state": ItemState.CLAIMED, "claim_token": token, "lease_until": lease_until}
    connection = session.connection()
    # Pending items pick the group first, then expired claims (the order of _due_group).
    for is_pending, half, rest in ((True, pending, expired), (False, expired, None)):
        found = _first_group_query(now, channels, is_pending)
        claimed = connection.execute(
            update(_ITEMS)
            .where(tuple_(items.recipient_key, items.channel).in_(found), *half)
            .values(claim)
            .returning(items.recipient_key, items.channel)
        ).all()
        if not claimed:
            continue
        recipient_key, channel = claimed[0]
        count = len(claimed)
        if rest is not None:
            # The same group's items under an expired lease go into the same message.
            statement = (
                update(_ITEMS)
                .where(items.recipient_key == recipient_key, items.channel == channel, *rest)
                .values(claim)
            )
            count += connection.execute(statement).rowcount
        return count
    return 0


def _due_conditions(
    now: datetime, items: Table | NamedFromClause
) -> tuple[tuple[ColumnElement[bool], ...], tuple[ColumnElement[bool], ...]]:
    """Pending and due; claimed under an expired lease (the two halves of :func:`due`).

    Two plain conditions rather than one OR, so each is answered by one index.
    """
    return (
        (items.c.state == ItemState.PENDING, items.c.next_attempt_at <= now),
        (items.c.state == ItemState.CLAIMED, items.c.lease_until < now),
    )


def _first_group_query(now: datetime, channels: Sequence[str], pending: bool) -> Select[Any]:
    """The (recipient, channel) of one due item: of a pending one, or of an expired claim.

    It reads an alias of the table, so that inside an UPDATE of the table it is an
    independent subquery, evaluated once (not once per row).
    """
    item = _ITEMS.alias("due_item")
    condition = _due_conditions(now, item)[0 if pending else 1]
    return (
        select(item.c.recipient_key, item.c.channel)
        .where(*condition, item.c.channel.in_(channels))
        .limit(1)
    )


def _due_group(
    sessions: sessionmaker[Session], now: datetime, channels: Sequence[str]
) -> tuple[str, str] | None:
    """A (recipient, channel) with a due item: pending ones first, then expired claims."""
    with sessions() as session:
        for pending in (True, False):
            row = session.execute(_first_group_query(now, channels, pending)).first()
            if row is not None:
                return row[0], row[1]
    return None


def set_items(session: Session, token: str, ids: Sequence[int], **values: Any) -> int:
    """Update items still held under ``token``, counting an attempt; the count of items
    changed tells whether the claim held."""
    statement = (
        update(ReminderItem)
        .where(ReminderItem.id.in_(ids), ReminderItem.claim_token == token)
        .values(attempts=ReminderItem.attempts + 1, **values)
        .execution_options(synchronize_session=False)
    )
    count: int = session.execute(statement).rowcount  # type: ignore[attr-defined]
    return count


def finish(
    sessions: sessionmaker[Session],
    token: str,
    ids: Sequence[int],
    state: ItemState,
    error: str | None = None,
) -> None:
    """Put items held under ``token`` in a final ``state`` (cancelled, failed) in their own
    transaction, with ``error`` as the reason shown."""
    with sessions.begin() as session:
        session.execute(
            update(ReminderItem)
            .where(ReminderItem.id.in_(ids), ReminderItem.claim_token == token)
            .values(state=state, lease_until=None, last_error=error)
            .execution_options(synchronize_session=False)
        )


def release(session: Session, token: str, ids: Sequence[int], **values: Any) -> None:
    """Give items held under ``token`` back, unsent and no attempt counted: due at once, for
    another sender, unless ``values`` say otherwise (``next_attempt_at``, ``last_error``)."""
    session.execute(
        update(ReminderItem)
        .where(ReminderItem.id.in_(ids), ReminderItem.claim_token == token)
        .values(state=ItemState.PENDING, claim_token=None, lease_until=None, **values)
        .execution_options(synchronize_session=False)
    )
