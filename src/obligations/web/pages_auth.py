"""Login, logout and the account page (API tokens; the calendar feed is in :mod:`feed`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from obligations.accounts import access
from obligations.accounts import users as accounts
from obligations.models import Organization
from obligations.web.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    PageUser,
    clear_session_cookie,
    new_login_csrf,
    set_session_cookie,
)
from obligations.web.multipart import CSRF_REFUSED
from obligations.web.state import state_of
from obligations.web.templating import page

router = APIRouter(include_in_schema=False)


def _safe_next(target: str) -> str:
    """Only a path on this site (no scheme, no //host) is followed after login."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _login_page(
    request: Request,
    *,
    error: str = "",
    username: str = "",
    next_path: str = "/",
    status_code: int = 200,
) -> Response:
    token = new_login_csrf()
    response = page(
        request,
        "login.html",
        None,
        status_code=status_code,
        login_csrf=token,
        error=error,
        username=username,
        next=_safe_next(next_path),
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=state_of(request).secure_cookies,
        path="/login",
    )
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    return _login_page(request, next_path=next)


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    state = state_of(request)
    if not accounts.csrf_matches(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf_token):
        return _login_page(request, error=CSRF_REFUSED, username=username, status_code=403)
    address = request.client.host if request.client else "unknown"
    with state.sessions.begin() as db:
        try:
            user = accounts.login(
                db,
                username=username,
                password=password,
                address=address,
                now=state.now(),
                policy=state.throttle,
            )
        except accounts.LoginThrottled as exc:
            refused: Response = _login_page(
                request, error=str(exc), username=username, next_path=next, status_code=429
            )
            refused.headers["Retry-After"] = str(exc.retry_after)
        except accounts.LoginRefused as exc:
            refused = _login_page(
                request, error=str(exc), username=username, next_path=next, status_code=401
            )
        else:
            token, _ = accounts.start_session(
                db, user, now=state.now(), replacing=request.cookies.get(SESSION_COOKIE)
            )
            response = RedirectResponse(_safe_next(next), status_code=303)
            set_session_cookie(response, state, token)
            response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
            return response
    return refused  # the failure was counted and committed above


@router.post("/logout")
def logout(
    request: Request, auth: PageUser, csrf_token: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    auth.check_csrf(csrf_token)
    state = state_of(request)
    with state.sessions.begin() as db:
        accounts.end_session(db, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response, state)
    return response


def _account_page(request: Request, auth: PageUser, **context: Any) -> Response:
    state = state_of(request)
    scope = None
    with state.sessions() as db:
        user = accounts.get_user(db, auth.principal.username)
        if user.scope_org_id is not None:
            org = db.get(Organization, user.scope_org_id)
            scope = org.name if org else None
    can_api = access.can_create_api_tokens(auth.principal)
    return page(request, "account.html", auth, scope=scope, can_api=can_api, **context)


@router.get("/account")
def account(request: Request, auth: PageUser) -> Response:
    return _account_page(request, auth)


@router.post("/account/api-tokens")
def create_api_token(
    request: Request,
    auth: PageUser,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    name: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    auth.check_csrf(csrf_token)
    access.require_can_create_api_tokens(auth.principal)
    state = state_of(request)
    with state.sessions.begin() as db:
        user = accounts.get_user(db, auth.principal.username)
        token = accounts.create_api_token(db, user, name, now=state.now())
    return _account_page(request, auth, secret=token, secret_label="新的 API 令牌")
