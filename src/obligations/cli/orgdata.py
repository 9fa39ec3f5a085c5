"""`obligations import`: organizations, people, roles and the academic calendar."""

from __future__ import annotations

from pathlib import Path

import click

from obligations.cli.context import AppContext, BadInput, pass_app
from obligations.services.orgdata import ImportRejected, import_paths
from obligations.services.setup import prepare
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
    """导入组织、人员、职务和校历（YAML 或 CSV 文件，可一次导入多个）。

    所有文件在同一事务中导入：任何一个文件有错误，就不写入任何数据，退出码为 2。
    """
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
