"""The application factory: pages, the JSON API, static files and error pages."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import platform
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from obligations.accounts.throttle import ThrottlePolicy
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
    pages_intake,
    pages_main,
    pages_task,
    review,
)
from obligations.web.errors import add_error_handlers, fault_page
from obligations.web.headers import SecurityHeaders, docs_page
from obligations.web.state import WebState

STATIC = Path(__file__).resolve().parent / "static"


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
        review,
        pages_intake,
        ledger,
        admin,
        admin_import,
        admin_channels,
        feed,
        api,
    ):
        app.include_router(module.router)
    add_error_handlers(app)
    app.add_middleware(SecurityHeaders, fault_page=fault_page)
    if settings.trusted_proxy_list:
        # Outermost, so that every part of the app (the login throttle above all) sees the
        # client's address. Only the named proxies are believed; the server trusts none.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list)
    return app


def app_from_environment() -> FastAPI:
    """The app for a server that starts several worker processes (``serve --workers N``,
    or ``uvicorn --factory obligations.web:app_from_environment``): each process builds its own
    from the ``OBLIGATIONS_*`` environment variables (:class:`Settings`), then settles its heap
    (:func:`settle_heap`)."""
    settings = Settings()
    refuse_uninitialised(settings)
    app = create_app(settings)
    settle_heap()
    return app


def refuse_uninitialised(settings: Settings) -> None:
    """End the process (status 3, uvicorn's "failed to start", so its supervisor does not
    restart it) with a Chinese message when the data directory was never initialised or the
    database cannot be reached: a server started by another process manager would otherwise
    serve a login page whose every use fails."""
    from sqlalchemy.exc import OperationalError

    from obligations.db import make_engine
    from obligations.errors import database_unreachable
    from obligations.schema import has_schema, not_initialised, uninitialised

    problem = uninitialised(settings.data_dir, settings.database_url)
    if problem is None:
        engine = make_engine(settings.effective_database_url)
        try:
            problem = None if has_schema(engine) else not_initialised(settings.data_dir)
        except OperationalError:
            problem = database_unreachable(settings.data_dir)
        finally:
            engine.dispose()
    if problem is not None:
        print(f"错误：{problem}", file=sys.stderr)
        raise SystemExit(3)


def settle_heap() -> None:
    """Take what a server process holds once its app is built (the imported modules, the
    catalog, the template environment: about 190,000 objects) out of the garbage collector's
    scans, so that a full collection during a request scans only what requests created.

    For a long-running server only (``serve`` calls it, never the tests, which build many apps):
    frozen objects are never freed. Measured with ``bench_web`` at 1,000,000 tasks: full
    collections every fifteen or so overview requests took 110-130 ms each, so the overview's
    p95 was 162-185 ms against a median of 47 ms; with the heap settled, p95 51 ms, median
    unchanged. ``gc.freeze`` is the standard library's tool for this (Python 3.7+).

    Also caps the C allocator's arenas at :data:`MALLOC_ARENAS` (glibc only; elsewhere nothing):
    glibc gives each thread that allocates an arena of its own, up to eight per core, and the
    request threads (up to 40 of them) leave each one holding freed memory. Measured with
    ``bench_web_load`` (demo, 2 workers, 20 clients, wrk): resident memory 403, 409 and 414 MB at
    30, 60 and 120 s with glibc's default, 388.2, 388.8 and 389.2 MB with two arenas, at the
    same throughput."""
    gc.collect()
    gc.freeze()
    _cap_malloc_arenas()


MALLOC_ARENAS = 2
_M_ARENA_MAX = -8  # mallopt's parameter number, from glibc's malloc.h


def _cap_malloc_arenas() -> None:
    """``mallopt(M_ARENA_MAX, MALLOC_ARENAS)`` in this process, unless the environment chose
    (``MALLOC_ARENA_MAX``), or the C library is not glibc. Threads started later share them."""
    if os.environ.get("MALLOC_ARENA_MAX") or platform.libc_ver()[0] != "glibc":
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).mallopt(_M_ARENA_MAX, MALLOC_ARENAS)
