"""Web accounts: users and their scope, browser sessions, API and calendar-feed tokens, and
the counters that slow down repeated failed logins.

Secrets (session ids, tokens) are stored only as SHA-256 digests: a copy of the database does
not let anyone sign in. Passwords are argon2 hashes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from obligations.models.base import Base, intpk
from obligations.models.org import Organization, Person
from obligations.vocabulary import UserRole


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[UserRole] = mapped_column(Enum(UserRole, native_enum=False, length=32))
    # The organization the role is scoped to: a unit (unit manager, viewer), a branch (branch
    # secretary); none for administrators and college-wide viewers.
    scope_org_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    # Makes the calendar feed's address with the server's feed key (not a secret by itself;
    # see obligations.accounts.feed_address); None: no address made yet. A new one replaces
    # the address.
    feed_nonce: Mapped[str | None] = mapped_column(String(32))
    disabled_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    scope_org: Mapped[Organization | None] = relationship()
    person: Mapped[Person | None] = relationship()


class WebSession(Base):
    __tablename__ = "web_session"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class ApiToken(Base):
    __tablename__ = "api_token"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class CalendarFeedToken(Base):
    """A calendar feed address of the kind made before migration 0016 (a random token stored
    hashed): still honoured until its user makes a new address."""

    __tablename__ = "calendar_feed_token"

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class LoginThrottle(Base):
    """Failed logins counted per key (``user:<name>`` or ``ip:<address>``)."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int]
    last_failed_at: Mapped[datetime]
    blocked_until: Mapped[datetime | None]
