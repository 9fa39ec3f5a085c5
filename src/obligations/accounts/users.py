"""Web accounts: users, passwords (argon2), browser sessions, API tokens (calendar feed
addresses: :mod:`obligations.accounts.feed_address`).

Session ids and tokens are random (256 bits) and stored as SHA-256 digests only.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from obligations.accounts import throttle
from obligations.accounts.access import Principal
from obligations.errors import InvalidRequest, NotFound, ServiceError
from obligations.models import ApiToken, Organization, Person, User, WebSession
from obligations.vocabulary import OrgKind, UserRole

SESSION_LIFETIME = timedelta(hours=12)
MIN_PASSWORD = 8
API_TOKEN_PREFIX = "obl_"
_USERNAME = re.compile(r"[A-Za-z0-9_.@-]{2,64}")

hasher = PasswordHasher()
# Verified when the user does not exist, so an unknown name costs as much time as a known one.
_DUMMY_HASH = hasher.hash("not a password")

_SCOPE_KINDS: dict[UserRole, tuple[OrgKind, ...]] = {
    UserRole.ADMIN: (),
    UserRole.UNIT_MANAGER: (OrgKind.GENERAL_BRANCH, OrgKind.DIRECT_BRANCH),
    UserRole.BRANCH_SECRETARY: (OrgKind.BRANCH, OrgKind.DIRECT_BRANCH),
    UserRole.VIEWER: (OrgKind.COLLEGE, OrgKind.GENERAL_BRANCH, OrgKind.DIRECT_BRANCH),
}


class LoginRefused(ServiceError):
    """Wrong name or password, or a disabled account (the message never says which)."""


class LoginThrottled(ServiceError):
    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class NewUser:
    username: str
    display_name: str
    password: str
    role: UserRole
    scope_code: str | None = None
    person_code: str | None = None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def add_user(session: Session, data: NewUser, *, now: datetime) -> User:
    if not _USERNAME.fullmatch(data.username):
        raise InvalidRequest("用户名须为 2 至 64 个字母、数字或 _ . @ - 字符")
    if session.scalar(select(User.id).where(User.username == data.username)) is not None:
        raise InvalidRequest(f"用户名 {data.username} 已存在")
    _check_password(data.password)
    user = User(
        username=data.username,
        display_name=data.display_name.strip() or data.username,
        password_hash=hasher.hash(data.password),
        role=data.role,
        scope_org_id=_scope(session, data.role, data.scope_code),
        person_id=_person(session, data.person_code),
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, username: str, password: str, *, now: datetime) -> User:
    user = get_user(session, username)
    _check_password(password)
    user.password_hash = hasher.hash(password)
    user.updated_at = now
    _end_all_sessions(session, user.id)
    return user


def disable_user(session: Session, username: str, *, now: datetime) -> User:
    """Disable an account: its sessions end and its tokens stop working at once."""
    user = get_user(session, username)
    user.disabled_at = user.disabled_at or now
    user.updated_at = now
    _end_all_sessions(session, user.id)
    return user


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"没有用户 {username}")
    return user


def principal_of(session: Session, user: User) -> Principal:
    """What ``user`` may see and do (one query for the scope's organization, if any)."""
    scope = session.get(Organization, user.scope_org_id) if user.scope_org_id else None
    return _principal(user, scope)


def _principal(user: User, scope: Organization | None) -> Principal:
    """The :class:`Principal` of ``user`` whose scope (``user.scope_org_id``) is ``scope``."""
    unit_id, branch_id = _scope_ids(
        user.role,
        scope.id if scope else None,
        scope.kind if scope else None,
        scope.parent_id if scope else None,
    )
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        unit_id=unit_id,
        branch_id=branch_id,
        person_id=user.person_id,
    )


def _scope_ids(
    role: UserRole, scope_id: int | None, kind: OrgKind | None, parent_id: int | None
) -> tuple[int | None, int | None]:
    """The unit and branch ids of a user of ``role`` whose scope is organization ``scope_id``
    (of ``kind``, under ``parent_id``); (None, None) without a scope."""
    if scope_id is not None and kind is not None and kind.is_unit:
        # A branch secretary's direct branch is its own only branch.
        return scope_id, scope_id if role is UserRole.BRANCH_SECRETARY else None
    if kind is OrgKind.BRANCH:
        return parent_id, scope_id
    return None, None


# Login and sessions


def login(
    session: Session,
    *,
    username: str,
    password: str,
    address: str,
    now: datetime,
    policy: throttle.ThrottlePolicy | None = None,
) -> User:
    """The user if name and password match an enabled account; failures are counted and,
    past a few, answered with ``LoginThrottled`` without looking at the password."""
    policy = policy or throttle.ThrottlePolicy()
    keys = [throttle.account_key(username), throttle.address_key(address)]
    wait = throttle.blocked_for(session, keys, now)
    if wait is not None:
        seconds = max(1, int(wait.total_seconds() + 0.999))
        raise LoginThrottled(f"登录失败次数过多，请 {seconds} 秒后再试", seconds)
    user = session.scalar(select(User).where(User.username == username.strip()))
    matches = _verify(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not matches:
        throttle.record_failure(session, keys[0], policy.account_free, now)
        throttle.record_failure(session, keys[1], policy.address_free, now)
        raise LoginRefused("用户名或密码错误")
    if user.disabled_at is not None:
        raise LoginRefused("用户名或密码错误")
    throttle.clear(session, keys[0])
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user


def start_session(
    session: Session, user: User, *, now: datetime, replacing: str | None = None
) -> tuple[str, str]:
    """A new session id and CSRF token for ``user``. The session the browser came with (if
    any) is ended: the id changes at every login, so a planted id is worthless."""
    if replacing:
        end_session(session, replacing)
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    session.add(
        WebSession(
            id_hash=digest(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    session.flush()
    return token, csrf


# Built once: every page request runs it, so its SQL is neither rebuilt nor re-keyed each time.
_SESSION_PRINCIPAL = (
    select(
        User.id,
        User.username,
        User.display_name,
        User.role,
        User.person_id,
        Organization.id,
        Organization.kind,
        Organization.parent_id,
        WebSession.csrf_token,
    )
    .join(WebSession, WebSession.user_id == User.id)
    .outerjoin(Organization, Organization.id == User.scope_org_id)
    .where(
        WebSession.id_hash == bindparam("id_hash"),
        WebSession.expires_at > bindparam("now"),
        User.disabled_at.is_(None),
    )
)


def session_principal(
    session: Session, token: str, *, now: datetime
) -> tuple[Principal, str] | None:
    """The principal and CSRF token of a live session of an enabled user, or None; one query
    of columns (session, user and scope joined), since every page request asks it."""
    row = session.execute(_SESSION_PRINCIPAL, {"id_hash": digest(token), "now": now}).one_or_none()
    if row is None:
        return None
    user_id, username, display_name, role, person_id, scope_id, kind, parent_id, csrf = row
    unit_id, branch_id = _scope_ids(role, scope_id, kind, parent_id)
    principal = Principal(
        user_id=user_id,
        username=username,
        display_name=display_name,
        role=role,
        unit_id=unit_id,
        branch_id=branch_id,
        person_id=person_id,
    )
    return principal, csrf


def end_session(session: Session, token: str) -> None:
    session.execute(delete(WebSession).where(WebSession.id_hash == digest(token)))


def csrf_matches(expected: str | None, given: str | None) -> bool:
    """Whether a form's CSRF token ``given`` is the one ``expected`` (the session's, or the
    login cookie's), compared in constant time. Every form's check goes through here. An
    empty or missing token never matches, not even another empty one: a forged login with
    neither the cookie nor the field must not pass."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


# Personal tokens


def create_api_token(session: Session, user: User, name: str, *, now: datetime) -> str:
    """A new API token; only its digest is kept, so it is shown to the user once."""
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            user_id=user.id,
            name=name.strip()[:100] or "API",
            token_hash=digest(token),
            created_at=now,
        )
    )
    session.flush()
    return token


def api_token_user(session: Session, token: str, *, now: datetime) -> User | None:
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(token)))
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    if user is None or user.disabled_at is not None:
        return None
    row.last_used_at = now
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidRequest(f"密码至少 {MIN_PASSWORD} 个字符")


def _scope(session: Session, role: UserRole, code: str | None) -> int | None:
    kinds = _SCOPE_KINDS[role]
    if code is None:
        if role in (UserRole.UNIT_MANAGER, UserRole.BRANCH_SECRETARY):
            raise InvalidRequest(f"{role.label}须指定所属组织（--scope）")
        return None
    if not kinds:
        raise InvalidRequest("管理员不限定组织，请不要指定 --scope")
    org = session.scalar(select(Organization).where(Organization.code == code))
    if org is None:
        raise NotFound(f"没有编号为 {code} 的组织")
    if org.kind not in kinds:
        allowed = "、".join(k.label for k in kinds)
        raise InvalidRequest(f"{role.label}的所属组织应为{allowed}，{code} 是{org.kind.label}")
    return None if org.kind is OrgKind.COLLEGE else org.id


def _person(session: Session, code: str | None) -> int | None:
    if code is None:
        return None
    person_id = session.scalar(select(Person.id).where(Person.code == code))
    if person_id is None:
        raise NotFound(f"没有编号为 {code} 的人员")
    return person_id


def _end_all_sessions(session: Session, user_id: int) -> None:
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))
