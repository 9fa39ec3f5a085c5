"""`obligations serve`: the web dashboard (and the reminder scheduler, when available)."""

from __future__ import annotations

import importlib
from typing import Any

import click

from obligations.cli.context import AppContext, pass_app


def _start_scheduler(app: AppContext) -> Any | None:
    """Start the reminder scheduler in this process if the package provides one
    (``obligations.services.scheduler.start_scheduler(settings)``)."""
    try:
        module = importlib.import_module("obligations.services.scheduler")
    except ModuleNotFoundError:
        return None
    start = getattr(module, "start_scheduler", None)
    return start(app.settings) if callable(start) else None


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--no-scheduler", is_flag=True, help="不在本进程运行提醒调度（另有 obligations worker 时）"
)
@click.option(
    "--secure-cookies", is_flag=True, help="会话 Cookie 仅经 HTTPS 发送（部署在 HTTPS 之后时使用）"
)
@pass_app
def serve(app: AppContext, host: str, port: int, no_scheduler: bool, secure_cookies: bool) -> None:
    """运行网页看板与 JSON API。"""
    import uvicorn

    from obligations.web import create_app

    scheduler = None if no_scheduler else _start_scheduler(app)
    if not no_scheduler and scheduler is None:
        click.echo("提示：本版本尚未包含提醒调度器，仅启动网页服务。", err=True)
    web = create_app(app.settings, secure_cookies=secure_cookies)
    click.echo(f"网页看板：http://{host}:{port}/  （API 文档：/api/docs）")
    try:
        uvicorn.run(web, host=host, port=port, log_level="info")
    finally:
        shutdown = getattr(scheduler, "shutdown", None)
        if callable(shutdown):
            shutdown()
