"""Calendar feed addresses that can be shown again, with no secret stored in the database.

A user's feed token is ``<user id>-<mac>``, the mac being HMAC-SHA256 under the server's feed
key (:func:`load_feed_key`: ``OBLIGATIONS_FEED_KEY``, else a key file made once in the data
directory) of the user id and the user's feed nonce (``app_user.feed_nonce``, random, not
secret). The database holds only the nonce, so a copy of it opens no feed; the address is
recomputed whenever the user opens the calendar page. A request's token is checked by
recomputing the mac and comparing in constant time. Making a new address draws a new nonce:
the old address stops working at once. A nonce of None means the user has no address yet.

Addresses made before (migration 0016) were random tokens stored hashed
(``calendar_feed_token``) and cannot be shown again; they keep working until the user makes
a new address, which revokes them, so no subscribed calendar stops updating unannounced.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import tempfile
from datetime import datetime
from pathlib import Path

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from obligations.models import CalendarFeedToken, User

KEY_FILE = "calendar-feed.key"
_MAC_CHARS = 43  # 32 bytes in unpadded base64url
_KEY_BYTES = 32


def load_feed_key(data_dir: Path, configured: str | None = None) -> bytes:
    """The server's feed key: ``configured`` (the setting, any text of 32 characters or more)
    if given, else the key file in ``data_dir``, made with 32 random bytes the first time
    (atomically: several web processes starting together agree on one key). Losing the key
    changes every feed address (users subscribe again); backups should keep the file.
    Raises ``ValueError`` for a configured key shorter than 32 characters."""
    if configured is not None:
        if len(configured) < 32:
            raise ValueError("日历订阅密钥（OBLIGATIONS_FEED_KEY）至少需要 32 个字符")
        return configured.encode()
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=data_dir, delete=False) as draft:
            draft.write(secrets.token_hex(_KEY_BYTES))
        os.chmod(draft.name, 0o600)
        try:
            os.link(draft.name, path)  # fails if another process made the file first
        except FileExistsError:
            pass
        finally:
            os.unlink(draft.name)
    return path.read_text().strip().encode()


def _mac(key: bytes, user_id: int, nonce: str) -> str:
    message = f"calendar-feed:{user_id}:{nonce}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def feed_token(key: bytes, user: User) -> str | None:
    """The user's current feed token, or None if they have not made an address."""
    if user.feed_nonce is None:
        return None
    return f"{user.id}-{_mac(key, user.id, user.feed_nonce)}"


def new_feed_address(session: Session, user: User, *, now: datetime) -> None:
    """Give ``user`` a new feed address: a new nonce (the previous address stops working) and
    every older stored token revoked."""
    user.feed_nonce = secrets.token_urlsafe(16)
    user.updated_at = now
    session.execute(
        update(CalendarFeedToken)
        .where(CalendarFeedToken.user_id == user.id, CalendarFeedToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.flush()


def has_old_address(session: Session, user: User) -> bool:
    """Whether ``user`` has a working address of the earlier kind (stored hashed, not
    showable)."""
    live = exists().where(
        CalendarFeedToken.user_id == user.id, CalendarFeedToken.revoked_at.is_(None)
    )
    return bool(session.scalar(select(live)))


def feed_user(session: Session, key: bytes, token: str) -> User | None:
    """The enabled user whose current address carries ``token``, or None. Tokens of the
    earlier kind are looked up by their digest."""
    user_part, _, mac = token.partition("-")
    if user_part.isdigit() and len(user_part) <= 18 and len(mac) == _MAC_CHARS:
        user = session.get(User, int(user_part))
        if user is None or user.disabled_at is not None or user.feed_nonce is None:
            return None
        expected = _mac(key, user.id, user.feed_nonce)
        return user if hmac.compare_digest(expected.encode(), mac.encode()) else None
    return _old_token_user(session, token)


def _old_token_user(session: Session, token: str) -> User | None:
    digest = hashlib.sha256(token.encode()).hexdigest()
    row = session.scalar(select(CalendarFeedToken).where(CalendarFeedToken.token_hash == digest))
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    return None if user is None or user.disabled_at is not None else user
