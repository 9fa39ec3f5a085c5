"""Error pages: every refusal and failure answered inside the site's layout (the signed-in
user's menu, a Chinese message, a link back to where the user was), or as JSON under /api.

Also the HTTP status of each kind of service refusal, shared with the pages that answer a
refusal themselves (the task page keeps a refused upload's form)."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from obligations.accounts.access import Forbidden
from obligations.errors import AlreadyRecorded, DataDamaged, NotFound, OutOfSpace, ServiceError
from obligations.evidence.storage import FileTooLarge, FileTypeRefused
from obligations.ledger.errors import LedgerRenderError
from obligations.ledger.period import PeriodInvalid
from obligations.web.auth import LoginRequired, signed_in
from obligations.web.params import describe, is_path_error, not_found
from obligations.web.templating import page

HEADINGS = {
    400: "无法处理",
    403: "无权操作",
    404: "未找到",
    405: "无法处理",
    413: "文件过大",
    415: "文件类型不允许",
    500: "出错了",
    503: "暂时无法生成",
    507: "存储空间不足",
}
NOT_FOUND = "页面不存在：地址中的编号或年份不在可用范围内，或该内容已被删除"
# What an HTTP status from the framework says, for statuses it raises with an English detail.
STATUS_MESSAGES = {
    404: NOT_FOUND,
    405: "该地址不支持这种操作，请从页面上的按钮或链接进入",
    413: "提交的内容过大，未能接收",
    500: "服务器内部错误，本次操作未完成。请稍后重试；如果问题持续，请联系管理员",
}
_CJK = re.compile(r"[\u4e00-\u9fff]")
# Where a user goes back to from a failed address when the browser did not say where it came
# from: the nearest page above it (first match wins).
_PARENTS = (
    (re.compile(r"^/units/([^/]+)/ledger/.+"), r"/units/\1/ledger"),
    (re.compile(r"^/units/([^/]+)/.+"), r"/units/\1"),
    (re.compile(r"^/tasks/(\d{1,9})/.+"), r"/tasks/\1"),
    (re.compile(r"^/admin/.+"), "/admin"),
    (re.compile(r"^/account/.+"), "/account"),
    (re.compile(r"^/(tasks|evidence)/.*"), "/my"),
)


def status_for(exc: ServiceError) -> int:
    """404 not found, 403 forbidden, 413 too large, 415 type refused, 507 a full disk
    (Insufficient Storage, RFC 4918: the server's disk, not the file's size), 500 a damaged
    stored file, 409 a repeat of what is recorded, else 400."""
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, FileTooLarge):
        return 413
    if isinstance(exc, FileTypeRefused):
        return 415
    if isinstance(exc, OutOfSpace):
        return 507
    if isinstance(exc, DataDamaged):
        return 500
    if isinstance(exc, AlreadyRecorded):
        return 409
    return 400


def parent_of(path: str) -> str:
    """The page above ``path`` (``/units/U01/ledger/1999.docx`` -> ``/units/U01/ledger``),
    else the home page."""
    for pattern, parent in _PARENTS:
        if pattern.match(path):
            return pattern.sub(parent, path)
    return "/"


def back_link(request: Request) -> str:
    """Where the error page's link returns to: the page the user came from when the browser
    says (a Referer on this site, never another one, nor the failed address itself), else the
    page above the failed address."""
    referer = urlsplit(request.headers.get("referer", ""))
    same_site = referer.netloc == request.url.netloc and referer.scheme in ("http", "https")
    elsewhere = referer.path != request.url.path or request.method != "GET"
    if same_site and referer.path.startswith("/") and elsewhere:
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return parent_of(request.url.path)


def error_response(request: Request, status: int, message: str) -> Response:
    """JSON ``{"detail": message}`` under /api, else the error page in the site's layout."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=status)
    return page(
        request,
        "error.html",
        signed_in(request),
        status_code=status,
        error=message,
        heading=HEADINGS.get(status, "出错了"),
        back=back_link(request),
    )


def _http_message(exc: StarletteHTTPException) -> str:
    detail = str(exc.detail)
    if _CJK.search(detail):  # the app's own words
        return detail
    return STATUS_MESSAGES.get(exc.status_code, "请求未能完成，请返回后重试")


def add_error_handlers(app: FastAPI) -> None:
    """Answer every exception a request can raise: nothing reaches the user as a traceback or
    an English exception name (the server log keeps the detail)."""

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.next_path)}", status_code=303)

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> Response:
        return error_response(request, status_for(exc), str(exc))

    @app.exception_handler(PeriodInvalid)
    async def period_invalid(request: Request, exc: PeriodInvalid) -> Response:
        return error_response(request, 404, str(exc))

    @app.exception_handler(LedgerRenderError)
    async def ledger_not_rendered(request: Request, exc: LedgerRenderError) -> Response:
        # The server cannot make this ledger (LibreOffice missing, a broken college template):
        # the message says why and what to do, e.g. download the Word ledger instead.
        return error_response(request, 503, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        if is_path_error(errors):  # the address names nothing that can exist
            return error_response(request, 404, not_found(errors))
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": jsonable(errors)}, status_code=422)
        return error_response(request, 400, describe(errors, request.url.path))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/") or exc.status_code == 401:
            detail = exc.detail if exc.status_code == 401 else _http_message(exc)
            return JSONResponse(
                {"detail": detail}, status_code=exc.status_code, headers=exc.headers
            )
        return error_response(request, exc.status_code, _http_message(exc))


def fault_page(scope: Scope) -> Response:
    """The answer to an unexpected exception (logged by the caller, :mod:`web.headers`):
    a 500 inside the layout, or JSON under /api, with no detail of the failure."""
    return error_response(Request(scope), 500, STATUS_MESSAGES[500])


def jsonable(errors: object) -> object:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(errors, custom_encoder={Exception: str, bytes: lambda b: repr(b)})
