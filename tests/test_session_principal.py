"""The session lookup every page request makes, on both databases: one query of columns that
gives the user's principal for each kind of scope, and nothing for an ended, expired or
disabled session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker
from tests import factories

from obligations.accounts import users as accounts
from obligations.vocabulary import UserRole

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
FAST = accounts.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
SCOPES = [
    ("chief", UserRole.ADMIN, None),
    ("college_viewer", UserRole.VIEWER, "C"),
    ("general_manager", UserRole.UNIT_MANAGER, "U01"),
    ("direct_manager", UserRole.UNIT_MANAGER, "U02"),
    ("branch_secretary", UserRole.BRANCH_SECRETARY, "U01-B01"),
    ("direct_secretary", UserRole.BRANCH_SECRETARY, "U02"),
]


def test_a_live_session_gives_its_users_principal_for_every_kind_of_scope(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accounts, "hasher", FAST)
    with sessions.begin() as db:
        factories.small_college(db)
        started = {}
        for name, role, scope in SCOPES:
            data = accounts.NewUser(name, name, "correct horse battery", role, scope)
            user = accounts.add_user(db, data, now=NOW)
            started[name] = (accounts.start_session(db, user, now=NOW), user)
    with sessions() as db:
        for name, ((token, csrf), user) in started.items():
            found = accounts.session_principal(db, token, now=NOW + timedelta(hours=1))
            assert found == (accounts.principal_of(db, user), csrf), name
        branch = accounts.session_principal(db, started["branch_secretary"][0][0], now=NOW)
        direct = accounts.session_principal(db, started["direct_secretary"][0][0], now=NOW)
        assert branch is not None and direct is not None
        assert branch[0].unit_id != branch[0].branch_id  # a branch under its general branch
        assert direct[0].unit_id == direct[0].branch_id  # a direct branch: its own only branch


def test_an_expired_ended_or_disabled_session_gives_nobody(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accounts, "hasher", FAST)
    with sessions.begin() as db:
        factories.small_college(db)
        for name in ("kept", "ended", "gone"):
            data = accounts.NewUser(name, name, "correct horse battery", UserRole.ADMIN)
            accounts.add_user(db, data, now=NOW)
        kept, _ = accounts.start_session(db, accounts.get_user(db, "kept"), now=NOW)
        ended, _ = accounts.start_session(db, accounts.get_user(db, "ended"), now=NOW)
        gone, _ = accounts.start_session(db, accounts.get_user(db, "gone"), now=NOW)
        accounts.end_session(db, ended)
        accounts.disable_user(db, "gone", now=NOW)
    later = NOW + accounts.SESSION_LIFETIME
    with sessions() as db:
        assert accounts.session_principal(db, kept, now=later - timedelta(seconds=1)) is not None
        assert accounts.session_principal(db, kept, now=later) is None
        assert accounts.session_principal(db, ended, now=NOW) is None
        assert accounts.session_principal(db, gone, now=NOW) is None
        assert accounts.session_principal(db, "never issued", now=NOW) is None
