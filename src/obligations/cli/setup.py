"""`obligations init`."""

from __future__ import annotations

import click

from obligations.cli.context import AppContext, BadInput, pass_app
from obligations.demo.history import record_history
from obligations.orgdata.service import ImportRejected
from obligations.orgdata.setup import default_through, load_demo, prepare
from obligations.timeutil import utcnow


@click.command()
@click.option("--demo", is_flag=True, help="载入示例学院（约10个单位）并生成任务")
@click.option(
    "--without-history",
    is_flag=True,
    help="示例学院不带过去一年的记录（材料、审核、豁免、台账数据），任务全部未完成",
)
@pass_app
def init(app: AppContext, demo: bool, without_history: bool) -> None:
    """创建或升级数据目录与数据库结构。"""
    app.creates_database = True
    prepare(app.settings, app.engine)
    click.echo(f"数据目录已就绪：{app.settings.data_dir.resolve()}")
    if not demo:
        return
    through = default_through(app.today(), app.settings)
    try:
        with app.sessions.begin() as session:
            report = load_demo(session, app.catalog, through=through, now=utcnow())
    except ImportRejected as exc:  # only if the shipped demo itself is broken
        raise BadInput(str(exc)) from exc
    g = report.generated
    click.echo(f"示例学院已载入：{len(report.imported.changes)} 项变更")
    click.echo(f"任务已生成至 {through}：新增 {g.created}，更新 {g.updated}，不再要求 {g.retired}")
    if not without_history:
        history = record_history(
            app.sessions, app.store, app.evidence_policy, app.catalog, today=app.today()
        )
        if history is None:
            click.echo("数据目录中已有佐证材料，未再补录示例学院过去一年的记录")
        else:
            click.echo(
                f"示例学院过去一年的记录：材料 {history.records} 份（待审核 {history.pending}，"
                f"已退回 {history.returned}），豁免 {history.waived} 项，"
                f"常规材料 {history.standing} 份"
            )
    for account in report.accounts:
        click.echo(f"示例网页账户：{account.username}  密码 {account.password}（{account.label}）")
