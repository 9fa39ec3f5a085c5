"""The application factory: pages, the JSON API, static files and error pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from obligations.accounts.throttle import ThrottlePolicy
from obligations.errors import ServiceError
from obligations.ledger.errors import LedgerRenderError
from obligations.safety.verify import GRACE
from obligations.scratch import scratch_dir, sweep_scratch
from obligations.settings import Settings
from obligations.timeutil import utcnow
from obligations.web import (
    admin,
    admin_channels,
    admin_import,
    api,
    feed,
    ledger,
    overview,
    pages_auth,
    pages_main,
    pages_task,
)
from obligations.web.auth import LoginRequired
from obligations.web.errors import status_for
from obligations.web.headers import SecurityHeaders, docs_page
from obligations.web.state import WebState
from obligations.web.templating import page

STATIC = Path(__file__).resolve().parent / "static"

HEADINGS = {
    400: "无法处理",
    403: "无权操作",
    404: "未找到",
    413: "文件过大",
    415: "文件类型不允许",
    503: "暂时无法生成",
    507: "存储空间不足",
}


def create_app(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utcnow,
    secure_cookies: bool | None = None,
    engine: Engine | None = None,
    throttle: ThrottlePolicy | None = None,
) -> FastAPI:
    app = FastAPI(
        title="党组织标准化建设 API",
        description="任务、佐证材料与年度台账。认证：个人 API 令牌（Authorization: Bearer）。",
        version="1",
        docs_url=None,  # served below, with a content security policy of its own
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.web = WebState(
        settings=settings,
        clock=clock,
        secure_cookies=settings.secure_cookies if secure_cookies is None else secure_cookies,
        throttle=throttle or ThrottlePolicy(),
        engine_override=engine,
    )
    sweep_scratch(scratch_dir(settings.data_dir), older_than=GRACE, now=clock())
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.get("/api/docs", include_in_schema=False)(
        lambda: docs_page("/api/openapi.json", f"{app.title} - Swagger UI")
    )
    for module in (
        pages_auth,
        overview,
        pages_main,
        pages_task,
        ledger,
        admin,
        admin_import,
        admin_channels,
        feed,
        api,
    ):
        app.include_router(module.router)
    _add_error_handlers(app)
    app.add_middleware(SecurityHeaders)
    if settings.trusted_proxy_list:
        # Outermost, so that every part of the app (the login throttle above all) sees the
        # client's address. Only the named proxies are believed; the server trusts none.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list)
    return app


def app_from_environment() -> FastAPI:
    """The app for a server that starts several worker processes (``serve --workers N``,
    or ``uvicorn --factory obligations.web:app_from_environment``): each process builds its own
    from the ``OBLIGATIONS_*`` environment variables (:class:`Settings`)."""
    return create_app(Settings())


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error(request: Request, status: int, message: str) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    back = request.headers.get("referer", "/")
    return page(
        request,
        "error.html",
        None,
        status_code=status,
        error=message,
        heading=HEADINGS.get(status, "出错了"),
        back=back if back.startswith("/") else "/",
    )


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.next_path)}", status_code=303)

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> Response:
        return _error(request, status_for(exc), str(exc))

    @app.exception_handler(LedgerRenderError)
    async def ledger_not_rendered(request: Request, exc: LedgerRenderError) -> Response:
        # The server cannot make this ledger (LibreOffice missing, a broken college template):
        # the message says why and what to do, e.g. download the Word ledger instead.
        return _error(request, 503, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": jsonable(exc.errors())}, status_code=422)
        return _error(request, 400, "请求参数有误，请检查后重试")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request) or exc.status_code == 401:
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        message = "页面不存在" if exc.status_code == 404 else str(exc.detail)
        return _error(request, exc.status_code, message)


def jsonable(errors: object) -> object:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(errors, custom_encoder={Exception: str, bytes: lambda b: repr(b)})
