"""`obligations backup`, `obligations restore` and `obligations export`."""

from __future__ import annotations

from pathlib import Path

import click

from obligations.cli.context import AppContext, Failure, pass_app, refusals
from obligations.reminders.config import config_path
from obligations.safety.backup import backup
from obligations.safety.config_files import config_files
from obligations.safety.damage import BackupDamaged, DamagedObject, damage_lines
from obligations.safety.export import docx_ledgers, export_unit, ledger_years
from obligations.safety.restore import restore
from obligations.timeutil import utcnow

_FILE = click.Path(dir_okay=False, path_type=Path)


@click.command("backup")
@click.option("-o", "--output", type=_FILE, required=True, help="备份文件，如 backup.tar")
@click.option(
    "--allow-damaged", is_flag=True, help="有文件缺失或损坏时仍备份其余内容，并在清单中记下它们"
)
@pass_app
def backup_command(app: AppContext, output: Path, allow_damaged: bool) -> None:
    """备份数据库、全部佐证材料文件与数据目录中的配置（服务运行中也可执行），附哈希清单。

    配置包括日历订阅密钥、提醒渠道（channels.yaml）、本地规则目录 calendar_rules/
    （含节假日与台账模板）和消息模板 notifications/。逐一校验复制的文件：有缺失或损坏的
    文件时不写备份并退出码为 1（列出所属材料），除非加 --allow-damaged。"""
    data_dir = app.settings.data_dir
    config = config_files(data_dir, channels_file=config_path(data_dir))
    with refusals():
        try:
            report = backup(app.engine, app.settings.evidence_dir, output, now=utcnow(),
                            allow_damaged=allow_damaged, config=config)  # fmt: skip
        except BackupDamaged as exc:  # what was checked is wrong: exit status 1
            raise Failure(str(exc)) from exc
    _echo_damaged("以下文件缺失或损坏，已记入备份清单（其内容无法备份）：", report.damaged)
    size = report.bytes / 1024 / 1024
    click.echo(
        f"已备份到 {report.path}：数据库（{report.database}）、{report.files} 个文件"
        f"与 {len(report.config)} 个配置文件，共 {size:.1f} MB"
        + (f"；{len(report.damaged)} 个损坏的文件已记入清单" if report.damaged else "")
    )
    _echo_config("已备份的配置文件：", report.config)


@click.command("restore")
@click.argument("backup_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="恢复到的新数据目录（也可写在 restore 之前）",
)
@click.option("--database-url", help="恢复 PostgreSQL 备份时的目标空数据库")
@pass_app
def restore_command(
    app: AppContext, backup_file: Path, data_dir: Path | None, database_url: str | None
) -> None:
    """从备份重建数据目录（--data-dir 指定，须为新目录），逐一校验哈希，并放回配置文件。"""
    with refusals():
        report = restore(
            backup_file,
            data_dir or app.settings.data_dir,
            database_url=database_url or app.settings.database_url,
        )
    _echo_damaged("以下文件在备份时已缺失或损坏，未能恢复：", report.damaged)
    click.echo(
        f"已恢复到 {report.data_dir}：数据库（{report.database}）与 {report.files} 个文件，"
        f"备份时间 {report.created_at}；全部哈希校验通过"
        + (f"；{len(report.damaged)} 个文件备份时已损坏，见上" if report.damaged else "")
    )
    _echo_config("已恢复的配置文件：", report.config)
    if not report.config:
        click.echo(
            "备份中没有配置文件（旧格式的备份，或当时数据目录中尚无配置）："
            "日历订阅密钥、提醒渠道、本地规则与消息模板如需保留，请另行放入新数据目录"
        )


@click.command("export")
@click.option("--unit", "unit_code", required=True, help="单位编号")
@click.option("-o", "--output", type=_FILE, required=True, help="导出文件，如 U01.zip")
@pass_app
def export_command(app: AppContext, unit_code: str, output: Path) -> None:
    """导出一个单位的全部资料（任务、佐证材料与文件、操作日志、各年度台账），开放格式。"""
    with refusals(), app.sessions() as session:
        report = export_unit(
            session,
            app.catalog,
            app.store,
            unit_code=unit_code,
            output=output,
            today=app.today(),
            due_soon_days=app.settings.due_soon_days,
            ledger_years=ledger_years(session, unit_code, app.today()),
            make_ledger=docx_ledgers(app.catalog, app.ledger_template, app.today()),
        )
    click.echo(
        f"已导出到 {report.path}：任务 {report.tasks} 项，材料 {report.records} 份，"
        f"文件 {report.files} 个，台账 {report.ledgers} 份"
    )


def _echo_config(heading: str, names: list[str]) -> None:
    if names:
        click.echo("\n".join([heading, *(f"  {name}" for name in names)]))


def _echo_damaged(heading: str, damaged: list[DamagedObject]) -> None:
    if damaged:
        click.echo("\n".join([heading, *damage_lines(damaged)]), err=True)
