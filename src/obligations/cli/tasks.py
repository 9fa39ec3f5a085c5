"""`obligations tasks ...`."""

from __future__ import annotations

import json
from datetime import date

import click

from obligations.accounts.access import operator
from obligations.cli.context import AppContext, BadInput, pass_app, refusals
from obligations.cli.params import parse_date
from obligations.cli.table import render
from obligations.errors import NotFound
from obligations.lookup import organization_id
from obligations.rules.periods import period_text
from obligations.tasks import waivers
from obligations.tasks.listing import TaskFilter, TaskOrder, TaskView, list_tasks
from obligations.tasks.status import TaskStatus
from obligations.timeutil import utcnow


@click.group()
def tasks() -> None:
    """周期任务：生成与查看。"""


@tasks.command()
@click.option(
    "--through",
    callback=parse_date,
    metavar="DATE",
    help="生成到该日期（含）为止开始的周期，默认今天起90天",
)
@click.option(
    "--full",
    is_flag=True,
    help="逐条规则、逐个单位重新核对全部任务（默认只处理输入有变化的规则和单位）",
)
@pass_app
def generate(app: AppContext, through: date | None, full: bool) -> None:
    """按规则生成（或更新）各单位、支部和人员的任务；可重复运行。"""
    from obligations.orgdata.setup import default_through
    from obligations.tasks.generation import generate_tasks

    through = through or default_through(app.today(), app.settings)
    # Committed a chunk of units at a time: an interrupted run is finished by the next one.
    with app.sessions() as session:
        report = generate_tasks(
            session,
            app.catalog,
            through=through,
            now=utcnow(),
            full=full,
            actor=app.actor,
            commit_chunks=True,
        )
    for warning in report.warnings:
        click.echo(f"警告：{warning}", err=True)
    click.echo(
        f"任务已生成至 {through}：新增 {report.created}，更新 {report.updated}，"
        f"恢复 {report.restored}，不再要求 {report.retired}，未变 {report.unchanged}"
        + (
            f"；其中 {report.provisional} 项到期日待定（缺少节假日或校历数据）"
            if report.provisional
            else ""
        )
    )


_STATUS_CHOICE = click.Choice([s.value for s in TaskStatus])


@tasks.command("list")
@click.option("--unit", "unit_code", help="单位编号")
@click.option("--rule", "rule_id", help="规则编号")
@click.option("--status", "statuses", multiple=True, type=_STATUS_CHOICE, help="状态，可重复")
@click.option("--today", callback=parse_date, metavar="DATE", help="按该日期计算状态，默认今天")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@pass_app
def list_command(
    app: AppContext,
    unit_code: str | None,
    rule_id: str | None,
    statuses: tuple[str, ...],
    today: date | None,
    as_json: bool,
) -> None:
    """列出任务及其状态。"""
    if rule_id is not None and rule_id not in {r.rule.id for r in app.catalog.rules}:
        known = "、".join(sorted(r.rule.id for r in app.catalog.rules))
        raise BadInput(f"没有编号为 {rule_id} 的规则；现有规则：{known}")
    try:
        with app.sessions() as session:
            where = TaskFilter(
                unit_id=organization_id(session, unit_code) if unit_code is not None else None,
                rule_id=rule_id,
                statuses=[TaskStatus(s) for s in statuses],
            )
            views = list_tasks(
                session,
                where,
                today=today or app.today(),
                due_soon_days=app.settings.due_soon_days,
                order=TaskOrder.DUE_BY_UNIT,
                titles={r.rule.id: r.rule.title for r in app.catalog.rules},
            )
    except NotFound as exc:
        raise BadInput(str(exc)) from exc
    if as_json:
        click.echo(json.dumps([v.as_json() for v in views], ensure_ascii=False, indent=2))
        return
    click.echo(render(_HEADERS, [_row(v) for v in views]) if views else "没有符合条件的任务")


_HEADERS = ["编号", "条目", "任务", "单位", "支部", "人员", "周期", "开始", "截止", "状态"]


def _row(view: TaskView) -> list[str]:
    due = view.due_on.isoformat() + ("（待定）" if view.provisional else "")
    return [
        str(view.id),
        view.ledger_item,
        view.title,
        view.unit_name,
        view.branch_name or "",
        view.person_name or "",
        period_text(view.period_key),
        view.opens_on.isoformat(),
        due,
        view.status.label,
    ]


@tasks.command()
@click.argument("task_id", type=int)
@click.option("--reason", required=True, help="豁免原因（本周期不适用的理由）")
@pass_app
def waive(app: AppContext, task_id: int, reason: str) -> None:
    """豁免一个任务（本周期不适用），记录原因、人员和时间。"""
    with refusals(), app.sessions.begin() as session:
        waivers.waive(session, task_id=task_id, reason=reason, by=operator(app.actor), now=utcnow())
    click.echo(f"任务 {task_id} 已豁免")


@tasks.command()
@click.argument("task_id", type=int)
@pass_app
def unwaive(app: AppContext, task_id: int) -> None:
    """撤销对一个任务的豁免。"""
    with refusals(), app.sessions.begin() as session:
        waivers.unwaive(session, task_id=task_id, by=operator(app.actor), now=utcnow())
    click.echo(f"任务 {task_id} 的豁免已撤销")
