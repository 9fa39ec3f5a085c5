"""`obligations serve`: the web dashboard and, unless --no-scheduler, the reminder clock."""

from __future__ import annotations

import click
from apscheduler.schedulers.base import BaseScheduler

from obligations.cli import reminders
from obligations.cli.context import AppContext, pass_app
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
    web = create_app(app.settings, secure_cookies=secure_cookies)
    click.echo(f"网页看板：http://{host}:{port}/  （API 文档：/api/docs）")
    try:
        # proxy_headers off: uvicorn would otherwise believe X-Forwarded-For from loopback
        # (its default), letting any local client pick its address; the app trusts only the
        # proxies named by OBLIGATIONS_TRUSTED_PROXIES.
        uvicorn.run(web, host=host, port=port, log_level="info", proxy_headers=False)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
