"""Login, sessions, CSRF and the slowing down of repeated failed logins."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session
from tests.web_support import PASSWORD, USERS, WebWorld, web, world_template

from obligations.accounts import users as accounts

T = TypeVar("T")

__all__ = ["web", "world_template"]


def login_form(web: WebWorld, client=None):  # type: ignore[no-untyped-def]
    client = client or web.client
    page = client.get("/login")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match
    return client, match.group(1)


def login(web: WebWorld, username: str, password: str = PASSWORD, client=None):  # type: ignore[no-untyped-def]
    client, token = login_form(web, client)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/my"},
    )


def test_a_correct_password_signs_in_with_an_httponly_samesite_cookie(web: WebWorld) -> None:
    response = login(web, "b1_secretary")
    assert response.status_code == 303 and response.headers["location"] == "/my"
    cookie = response.headers["set-cookie"]
    assert "obl_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert web.client.get("/my").status_code == 200


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(web: WebWorld) -> None:
    wrong = login(web, "b1_secretary", "not the password")
    unknown = login(web, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "用户名或密码错误" in wrong.text and "用户名或密码错误" in unknown.text


def test_the_session_id_changes_at_login_so_a_planted_id_is_worthless(web: WebWorld) -> None:
    web.client.cookies.set("obl_session", "planted-by-an-attacker")
    response = login(web, "admin")
    new_id = response.cookies.get("obl_session")
    assert new_id and new_id != "planted-by-an-attacker"
    # Signing in again from a signed-in browser also replaces (and ends) the old session.
    again = login(web, "admin")
    assert again.cookies.get("obl_session") not in (None, new_id)
    stale = web.client.__class__(web.client.app, follow_redirects=False)
    stale.cookies.set("obl_session", new_id)
    assert stale.get("/my").status_code == 303


def test_a_secure_cookie_is_set_when_the_app_asks_for_it(
    world_template,
    tmp_path,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    from tests.web_support import FAST_HASHER, make_web_world

    from obligations.accounts import users as accounts

    monkeypatch.setattr(accounts, "hasher", FAST_HASHER)
    for world in make_web_world(world_template, tmp_path / "d", secure_cookies=True):
        response = login(world, "admin")
        assert "Secure" in response.headers["set-cookie"]


def test_login_without_the_forms_csrf_token_is_refused(web: WebWorld) -> None:
    login_form(web)
    response = web.client.post(
        "/login", data={"username": "admin", "password": PASSWORD, "csrf_token": "forged"}
    )
    assert response.status_code == 403


def test_every_form_post_without_a_valid_csrf_token_is_refused(web: WebWorld) -> None:
    client, csrf = web.login("admin")
    task, record = web.ids["task_u01"], web.ids["rec_b1"]
    posts = [
        (f"/tasks/{task}/waive", {"reason": "不适用"}),
        (f"/tasks/{task}/unwaive", {}),
        (f"/evidence/{record}/review", {"decision": "accept"}),
        (f"/evidence/{record}/withdraw", {"reason": "重复"}),
        ("/account/api-tokens", {"name": "x"}),
        ("/account/calendar-feed", {}),
        ("/logout", {}),
    ]
    for path, fields in posts:
        assert client.post(path, data=fields).status_code == 403, path
        assert client.post(path, data=fields | {"csrf_token": "forged"}).status_code == 403, path
    upload = client.post(
        f"/tasks/{task}/evidence",
        data={"csrf_token": "forged", "title": "x", "held_on": "2026-10-20"},
        files=[("files", ("a.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf"))],
    )
    assert upload.status_code == 403
    # With the token, the same review goes through.
    ok = client.post(f"/evidence/{record}/review", data={"decision": "accept", "csrf_token": csrf})
    assert ok.status_code == 303


def test_logout_ends_the_session_on_the_server(web: WebWorld) -> None:
    client, csrf = web.login("admin")
    token = client.cookies.get("obl_session")
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    replay = web.client.__class__(web.client.app, follow_redirects=False)
    replay.cookies.set("obl_session", token)
    assert replay.get("/my").status_code == 303


def test_repeated_failures_slow_down_logins_for_that_account(web: WebWorld) -> None:
    for _ in range(5):
        assert login(web, "admin", "wrong password").status_code == 401
    assert login(web, "admin", "wrong password").status_code == 401  # the 6th: blocked after it
    blocked = login(web, "admin")  # even the right password waits
    assert blocked.status_code == 429 and "秒后再试" in blocked.text
    assert int(blocked.headers["retry-after"]) >= 1
    assert login(web, "b1_secretary").status_code == 303  # other accounts are not affected
    web.clock[0] += timedelta(seconds=2)
    assert login(web, "admin").status_code == 303


def test_many_failures_from_one_address_slow_down_every_account_from_it(web: WebWorld) -> None:
    for n in range(21):
        login(web, f"guess{n}", "wrong password")
    assert login(web, "admin").status_code == 429


def test_a_disabled_account_cannot_sign_in_and_its_sessions_and_tokens_end(
    web: WebWorld,
) -> None:
    from obligations.accounts import users as accounts

    client, _ = web.login("u01_manager")
    api = web.api("u01_manager")
    with web.sessions.begin() as db:
        accounts.disable_user(db, "u01_manager", now=web.clock[0])
    assert client.get("/my").status_code == 303
    assert api.get("/api/tasks").status_code == 401
    assert login(web, "u01_manager").status_code == 401


def test_pages_carry_security_headers(web: WebWorld) -> None:
    response = web.client.get("/login")
    assert response.headers["x-frame-options"] == "SAMEORIGIN"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


def test_login_only_follows_local_next_paths(web: WebWorld) -> None:
    client, token = login_form(web)
    response = client.post(
        "/login",
        data={
            "username": "admin",
            "password": PASSWORD,
            "csrf_token": token,
            "next": "//evil.example/",
        },
    )
    assert response.headers["location"] == "/"


def statements_of(db: Session, call: Callable[[], T]) -> tuple[T, list[str]]:
    """What ``call`` returns and the SQL statements it sent on ``db``'s connection."""
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    connection = db.connection()
    event.listen(connection, "before_cursor_execute", count)
    try:
        return call(), statements
    finally:
        event.remove(connection, "before_cursor_execute", count)


def test_a_page_request_finds_its_user_and_scope_in_one_query_with_the_same_principal(
    web: WebWorld,
) -> None:
    for username in USERS:
        client, csrf = web.login(username)
        now = web.clock[0]
        token = client.cookies["obl_session"]
        with web.sessions.begin() as db:
            found, statements = statements_of(
                db, partial(accounts.session_principal, db, token, now=now)
            )
            expected = accounts.principal_of(db, accounts.get_user(db, username))
        assert len(statements) == 1, username
        assert found == (expected, csrf), username


def test_an_expired_session_finds_nobody(web: WebWorld) -> None:
    client, _ = web.login("b1_secretary")
    token = client.cookies["obl_session"]
    later = web.clock[0] + accounts.SESSION_LIFETIME
    with web.sessions.begin() as db:
        assert accounts.session_principal(db, token, now=later) is None
        assert accounts.session_principal(db, "not-a-token", now=web.clock[0]) is None
