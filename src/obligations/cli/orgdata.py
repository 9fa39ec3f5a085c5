"""`obligations import` and `obligations template`: organizations, people, roles, the calendar."""

from __future__ import annotations

from pathlib import Path

import click

from obligations.cli.context import AppContext, BadInput, Failure, pass_app
from obligations.errors import os_error_text
from obligations.orgdata.service import ImportRejected, import_paths
from obligations.orgdata.setup import prepare
from obligations.timeutil import utcnow


@click.command("import")
@click.argument(
    "files",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option("--dry-run", is_flag=True, help="只检查并列出将做的变更，不写入数据库")
@pass_app
def import_command(app: AppContext, files: tuple[Path, ...], dry_run: bool) -> None:
    """导入组织、人员、职务和校历（YAML、CSV 或 Excel .xlsx 文件，可一次导入多个）。

    所有文件在同一事务中导入：任何一个文件有错误，就不写入任何数据，退出码为 2。
    """
    app.creates_database = True
    prepare(app.settings, app.engine)
    with app.sessions() as session:
        try:
            report = import_paths(session, files, now=utcnow())
        except ImportRejected as exc:
            raise BadInput(str(exc)) from exc
        if dry_run:
            session.rollback()
        else:
            session.commit()
    for line in report.changes:
        click.echo(line)
    click.echo(report.summary() + ("（试运行，未写入数据库）" if dry_run else ""))


@click.command("template")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="覆盖已有的同名文件")
def template_command(path: Path, force: bool) -> None:
    """生成 Excel 导入模板（.xlsx）：各工作表的表头、示例行、下拉选项和填写说明。

    填好后用 obligations import 导入。
    """
    if path.suffix.lower() != ".xlsx":
        raise BadInput(f"模板文件名应以 .xlsx 结尾，不是 {path.name}")
    if path.exists() and not force:
        raise BadInput(f"{path} 已存在；如要覆盖，请加 --force")
    from obligations.orgdata.template import write_template  # openpyxl is slow to load

    try:
        write_template(path)
    except OSError as exc:
        raise Failure(f"无法写入 {path}：{os_error_text(exc)}") from exc
    click.echo(f"已生成导入模板 {path}；填写后运行：obligations import {path}")
