"""`obligations remind`, `obligations worker` and `obligations channels ...`."""

from __future__ import annotations

import logging
import signal
from datetime import datetime
from types import FrameType

import click

from obligations.cli.context import AppContext, BadInput, Failure, pass_app, refusals
from obligations.cli.table import render
from obligations.errors import ServiceError
from obligations.reminders.channel_test import send_test_message
from obligations.reminders.config import ReminderConfig
from obligations.reminders.routing import (
    assign_channels,
    list_channels,
)
from obligations.reminders.runtime import ReminderRuntime, RemindReport
from obligations.timeutil import LOCAL_TZ, utcnow
from obligations.worker import build_scheduler


def _config(app: AppContext) -> ReminderConfig:
    try:
        return app.reminder_config()
    except ServiceError as exc:
        raise BadInput(str(exc)) from exc


def runtime_for(app: AppContext) -> ReminderRuntime:
    """The reminder runtime the worker, `remind` and `serve` share, from the root."""
    try:
        return app.reminder_runtime()
    except ServiceError as exc:  # the reminder configuration is broken
        raise BadInput(str(exc)) from exc


def _parse_now(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} 不是有效时间，格式应为 YYYY-MM-DDTHH:MM（例如 2026-07-31T09:00）"
        ) from None
    if parsed.tzinfo is not None:
        return parsed
    return parsed.replace(tzinfo=LOCAL_TZ)


@click.command("remind")
@click.option("--dry-run", is_flag=True, help="只显示将要发送的提醒，不发送、不记录")
@click.option(
    "--now",
    callback=_parse_now,
    metavar="DATETIME",
    help="按该时间运行（本地时间，如 2026-07-31T09:00），默认当前时间",
)
@pass_app
def remind_command(app: AppContext, dry_run: bool, now: datetime | None) -> None:
    """运行一次提醒：安排到期的提醒并发送（每人每渠道一条汇总消息）。"""
    runtime = runtime_for(app)
    try:
        report = runtime.remind(now or app.now(), dry_run=dry_run)
    finally:
        runtime.close()
    _print_report(report, dry_run)


def _print_report(report: RemindReport, dry_run: bool) -> None:
    for name, reason in report.sweep.broken.items():
        click.echo(f"警告：渠道 {name} 故障：{reason}", err=True)
    for name, until in report.sweep.paused.items():
        resume = until.astimezone(LOCAL_TZ).strftime("%H:%M:%S")
        click.echo(f"警告：渠道 {name} 被服务方限流，{resume} 前暂停发送", err=True)
    plan = report.plan
    click.echo(f"已安排提醒 {plan.items} 条（检查任务 {plan.looked_at} 项）")
    if report.sweep.outside_hours:
        click.echo("当前不是工作日发送时段，本次不发送")
        return
    verb = "将发送" if dry_run else "已发送"
    for message in report.sweep.messages:
        result = verb if message.result is None else message.result.label
        if message.error:
            result += f"（{message.error}）"
        click.echo(
            f"[{message.channel}] {message.recipient}：{message.subject}"
            f"（{len(message.task_ids)} 项任务）{result}"
        )
    sweep = report.sweep
    if not sweep.messages:
        click.echo("没有需要发送的提醒")
    if not dry_run:
        click.echo(
            f"合计：发送 {sweep.sent_items} 条，"
            f"取消 {sweep.cancelled_items} 条（任务已完成或豁免），"
            f"无法发送 {sweep.failed_items} 条"
            + (f"，限流暂缓 {sweep.deferred_items} 条" if sweep.deferred_items else "")
        )


@click.command("worker")
@pass_app
def worker_command(app: AppContext) -> None:
    """常驻运行：每天延展任务生成，每隔几分钟安排并发送提醒（可同时运行多个）。"""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    runtime = runtime_for(app)
    scheduler = build_scheduler(runtime, clock=app.clock, blocking=True)

    def stop(signum: int, _frame: FrameType | None) -> None:
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    click.echo(
        f"提醒进程 {runtime.worker_id} 已启动，每 {runtime.config.sweep_every_minutes} 分钟运行一次"
    )
    try:
        scheduler.start()
    except KeyboardInterrupt:
        pass
    finally:
        runtime.close()


@click.group()
def channels() -> None:
    """提醒渠道：查看、测试、为组织指定。"""


@channels.command("list")
@pass_app
def list_command(app: AppContext) -> None:
    """列出渠道、状态和使用它们的组织。"""
    config = _config(app)
    with app.sessions() as session:
        views = list_channels(session, config)
    if not views:
        click.echo("尚未配置任何渠道（数据目录下的 channels.yaml）")
        return
    rows = [
        [
            v.name,
            v.kind.label if v.kind else "未配置",
            "是" if v.default else "",
            "是" if v.admins else "",
            "、".join(v.organizations),
            str(v.pending),
            str(v.failed),
            f"故障：{v.broken_reason}" if v.broken_reason is not None else "正常",
        ]
        for v in views
    ]
    headers = ["名称", "类型", "默认", "管理员", "组织", "待发送", "无法发送", "状态"]
    click.echo(render(headers, rows))


@channels.command("test")
@click.argument("name")
@click.option("--to", "to", multiple=True, help="测试邮件的收件地址（默认：管理员邮箱）")
@pass_app
def test_command(app: AppContext, name: str, to: tuple[str, ...]) -> None:
    """通过渠道 NAME 发送一条测试消息；成功后该渠道恢复使用。"""
    with refusals():
        result = send_test_message(app.sessions, _config(app), name, to=to, now=utcnow())
    if not result.ok:
        raise Failure(result.describe())
    click.echo(result.describe())


@channels.command("assign")
@click.argument("org_code")
@click.argument("names", nargs=-1)
@pass_app
def assign_command(app: AppContext, org_code: str, names: tuple[str, ...]) -> None:
    """指定组织 ORG_CODE 的人员通过哪些渠道接收提醒；不写渠道则恢复默认。"""
    config = _config(app)
    try:
        with app.sessions.begin() as session:
            assign_channels(session, org_code, names, config)
    except ServiceError as exc:
        raise BadInput(str(exc)) from exc
    shown = "、".join(names) if names else "默认渠道"
    click.echo(f"{org_code} 的提醒渠道：{shown}")
