"""`obligations serve`: the web dashboard and, unless --no-scheduler, the reminder clock."""

from __future__ import annotations

import os
import signal

import click
from apscheduler.schedulers.base import BaseScheduler

from obligations.cli import reminders
from obligations.cli.context import AppContext, Failure, pass_app
from obligations.settings import Settings
from obligations.worker import start_scheduler


def _start_scheduler(app: AppContext) -> BaseScheduler:
    """The reminder clock in this process: the same jobs `obligations worker` runs."""
    scheduler = start_scheduler(reminders.runtime_for(app), clock=app.clock)
    jobs = "、".join(job.id for job in scheduler.get_jobs())
    click.echo(f"提醒调度已在本进程启动：{jobs}")
    return scheduler


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="网页服务进程数（多核服务器上可设为核数；提醒调度始终只在一个进程中运行）",
)
@click.option(
    "--no-scheduler", is_flag=True, help="不在本进程运行提醒调度（另有 obligations worker 时）"
)
@click.option(
    "--secure-cookies", is_flag=True, help="会话 Cookie 仅经 HTTPS 发送（部署在 HTTPS 之后时使用）"
)
@pass_app
def serve(
    app: AppContext, host: str, port: int, workers: int, no_scheduler: bool, secure_cookies: bool
) -> None:
    """运行网页看板与 JSON API。"""
    import uvicorn

    from obligations.cli.serve_workers import (
        GRACEFUL_SECONDS,
        address_problem,
        check_address,
        reserve_port,
        run_workers,
    )

    app.require_database()
    settings = app.settings
    if secure_cookies:
        settings = settings.model_copy(update={"secure_cookies": True})
    guard = None
    try:
        guard = reserve_port(port) if workers > 1 else None
        check_address(host, port)
    except OSError as error:
        if guard is not None:
            guard.close()
        raise Failure(f"无法在 {host}:{port} 上监听：{address_problem(error)}") from None
    scheduler = None if no_scheduler else _start_scheduler(app)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"网页看板：http://{shown}:{port}/  （API 文档：/api/docs）")
    try:
        if workers == 1:
            from obligations.web import create_app, settle_heap

            web = create_app(settings)
            settle_heap()
            # uvicorn ends its run by raising the signal it caught again, under the handler
            # found before it: by default SIGTERM would then kill this process (status 143)
            # before the reminder clock below is shut down. Here it ends it as SIGINT does.
            signal.signal(signal.SIGTERM, _end_quietly)
            # proxy_headers off: uvicorn would otherwise believe X-Forwarded-For from loopback
            # (its default), letting any local client pick its address; the app trusts only
            # the proxies named by OBLIGATIONS_TRUSTED_PROXIES.
            uvicorn.run(
                web,
                host=host,
                port=port,
                log_level="info",
                proxy_headers=False,
                timeout_graceful_shutdown=GRACEFUL_SECONDS,
            )
        else:
            # Each worker process builds its own app from the environment; the reminder clock
            # stays here, in the parent, so it runs once however many workers serve pages. The
            # parent never loads the web app itself (about 120 MB of imports it would not use).
            _export_settings(settings)
            run_workers(
                "obligations.web:app_from_environment", workers=workers, host=host, port=port
            )
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        if guard is not None:
            guard.close()


def _end_quietly(_signal: int, _frame: object) -> None:
    raise SystemExit(0)


def _export_settings(settings: Settings) -> None:
    """Hand this process's settings to the worker processes through their environment."""
    os.environ["OBLIGATIONS_DATA_DIR"] = str(settings.data_dir.resolve())
    os.environ["OBLIGATIONS_SECURE_COOKIES"] = "1" if settings.secure_cookies else "0"
    if settings.database_url:
        os.environ["OBLIGATIONS_DATABASE_URL"] = settings.database_url
