"""Security headers on every answer, error answers included, and the API documentation page.

:class:`SecurityHeaders` is plain ASGI middleware, outside the app's exception handling: it
adds the headers to whatever starts a response (pages, downloads, 404 and 400 pages, the API's
JSON errors) and answers an unexpected exception itself with a 500 that carries them too
(Starlette's own 500 comes from outside all middleware and would carry none).

The pages use no inline script or style (the stylesheet is ``/static/app.css``), so the policy
allows only this site's own files. Two pages have policies of their own: the ledger's
self-contained HTML allows its inline stylesheet by hash (:func:`self_contained_page`), and the
Swagger UI page its CDN files and, by hash, its one inline script (:func:`docs_page`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from collections.abc import Callable

from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)
COMMON = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "SAMEORIGIN",
    # Keeps calendar-feed tokens and task ids out of other sites' logs.
    "referrer-policy": "same-origin",
}
# Pages, files and API answers are per user: no browser or proxy may keep a copy.
NO_STORE = {"cache-control": "no-store"}
STATIC_PREFIX = "/static/"

SERVER_ERROR = "服务器内部错误，请稍后重试；如果一再出现，请联系管理员"
SERVER_ERROR_PAGE = (
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
    '<title>出错了 · 党组织标准化建设</title><link rel="stylesheet" href="/static/app.css">'
    f'</head><body><main><h1>出错了</h1><p class="error">{SERVER_ERROR}</p>'
    '<p><a href="/">返回首页</a></p></main></body></html>'
)


def headers_for(path: str) -> dict[str, str]:
    """The headers every answer for ``path`` carries (unless the route set its own)."""
    if path.startswith(STATIC_PREFIX):
        return COMMON
    return COMMON | NO_STORE


class SecurityHeaders:
    """ASGI middleware: :func:`headers_for` on every response; an unexpected exception before
    the response started is logged and answered with a 500 carrying them: ``fault_page(scope)``
    (the site's error page, with the user's menu), else, should that fail too, a plain page."""

    def __init__(self, app: ASGIApp, fault_page: Callable[[Scope], Response] | None = None) -> None:
        self.app = app
        self.fault_page = fault_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = headers_for(scope.get("path", ""))
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                present = {name.lower() for name, _ in message.get("headers", [])}
                added = [
                    (name.encode(), value.encode())
                    for name, value in extra.items()
                    if name.encode() not in present
                ]
                message = {**message, "headers": [*message.get("headers", []), *added]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            if started:
                raise  # the answer is under way: nothing else can be sent
            log.exception("unexpected error answering %s %s", scope["method"], scope["path"])
            if self.fault_page is not None:
                try:
                    response = self.fault_page(scope)
                except Exception:
                    log.exception("the error page failed too; answering a plain one")
                else:
                    await response(scope, receive, send_with_headers)
                    return
            await _server_error(scope, send_with_headers)


async def _server_error(scope: Scope, send: Send) -> None:
    if scope.get("path", "").startswith("/api/"):
        body = json.dumps({"detail": SERVER_ERROR}, ensure_ascii=False).encode()
        content_type = b"application/json"
    else:
        body, content_type = SERVER_ERROR_PAGE.encode(), b"text/html; charset=utf-8"
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def inline_hashes(html: str, tag: str) -> str:
    """CSP sources (``'sha256-...'``) allowing each inline ``<script>`` or ``<style>`` block of
    ``html`` (``tag``: "script" or "style"), exactly as written; "" when there is none."""
    blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.DOTALL)
    return " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(block.encode()).digest()).decode() + "'"
        for block in blocks
    )


def self_contained_page(html: str) -> HTMLResponse:
    """A page that carries its own stylesheet (the ledger's HTML, also saved as a file by the
    CLI): the site's policy, plus its inline ``<style>`` blocks by hash."""
    policy = CSP.replace("style-src 'self'", f"style-src 'self' {inline_hashes(html, 'style')}")
    return HTMLResponse(html, headers={"Content-Security-Policy": policy})


def docs_page(openapi_url: str, title: str) -> HTMLResponse:
    """FastAPI's Swagger UI page with a policy it satisfies: its CDN's script and stylesheet,
    its one inline script by hash, inline styles (the UI sets them as it draws)."""
    page = get_swagger_ui_html(openapi_url=openapi_url, title=title)
    body = bytes(page.body).decode()
    cdn = "https://cdn.jsdelivr.net"
    policy = (
        f"default-src 'self'; script-src 'self' {cdn} {inline_hashes(body, 'script')}; "
        f"style-src 'self' {cdn} 'unsafe-inline'; "
        "img-src 'self' data: https://fastapi.tiangolo.com; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
    )
    return HTMLResponse(body, headers={"Content-Security-Policy": policy})
