"""Who is asking: the session cookie for pages, a Bearer token for the API."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from obligations.accounts import users as accounts
from obligations.accounts.access import Forbidden, Principal
from obligations.web.multipart import CSRF_REFUSED
from obligations.web.state import WebState, state_of

logger = logging.getLogger(__name__)
SESSION_COOKIE = "obl_session"
LOGIN_CSRF_COOKIE = "obl_login_csrf"


class LoginRequired(Exception):
    """No live session: pages answer with a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


@dataclass(frozen=True)
class PageAuth:
    principal: Principal
    csrf: str

    def check_csrf(self, token: str | None) -> None:
        if not accounts.csrf_matches(self.csrf, token):
            raise Forbidden(CSRF_REFUSED)


def page_auth(request: Request) -> PageAuth:
    state = state_of(request)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with state.sessions.begin() as db:
            found = accounts.session_principal(db, token, now=state.now())
            if found is not None:
                return PageAuth(*found)
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    raise LoginRequired(target)


def signed_in(request: Request) -> PageAuth | None:
    """The live session's user, or None (no cookie, an expired session, or a database that
    cannot answer): for pages that must render whoever asks, the error pages above all."""
    try:
        return page_auth(request)
    except LoginRequired:
        return None
    except Exception:  # an error page must not fail for the error it reports
        logger.warning("error page shown without the user's menu", exc_info=True)
        return None


bearer = HTTPBearer(auto_error=False, description="个人 API 令牌（在“我的账户”页面创建）")


def api_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    state = state_of(request)
    if credentials is not None and credentials.scheme.lower() == "bearer":
        with state.sessions.begin() as db:
            user = accounts.api_token_user(db, credentials.credentials, now=state.now())
            if user is not None:
                return accounts.principal_of(db, user)
    raise HTTPException(
        status_code=401,
        detail="需要有效的 API 令牌（Authorization: Bearer ...）",
        headers={"WWW-Authenticate": "Bearer"},
    )


PageUser = Annotated[PageAuth, Depends(page_auth)]
ApiUser = Annotated[Principal, Depends(api_principal)]


def set_session_cookie(response: Response, state: WebState, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(accounts.SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=state.secure_cookies,
        path="/",
    )


def clear_session_cookie(response: Response, state: WebState) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=state.secure_cookies, path="/"
    )


def new_login_csrf() -> str:
    return secrets.token_urlsafe(32)
