"""`obligations rules check`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from sqlalchemy import inspect

from obligations.cli.context import AppContext, BadInput, pass_app
from obligations.cli.params import parse_date
from obligations.orgdata.setup import default_through
from obligations.rules.calendars import load_academic_calendar
from obligations.rules.check import catalog_dirs_for, check_catalog
from obligations.rules.periods import AcademicCalendar
from obligations.rules.problems import Severity


@click.group()
def rules() -> None:
    """规则目录。"""


@rules.command()
@click.argument(
    "path", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option(
    "--through",
    callback=parse_date,
    metavar="DATE",
    help="检查校历覆盖到该日期，默认为任务生成范围（今天起90天）",
)
@pass_app
def check(app: AppContext, path: Path | None, through: date | None) -> None:
    """校验规则目录；有错误时退出码为 2。"""
    dirs = catalog_dirs_for(path, app.settings.rules_dirs) if path else app.settings.rules_dirs
    today = app.today()
    catalog, problems = check_catalog(
        dirs,
        calendar=_calendar(app),
        start=today,
        through=through or default_through(today, app.settings),
        local_dir=path or app.settings.local_rules_dir,
    )
    for problem in problems:
        click.echo(str(problem), err=True)
    errors = sum(p.severity is Severity.ERROR for p in problems)
    if errors:
        click.echo(f"发现 {errors} 个错误，{len(problems) - errors} 个警告", err=True)
        raise click.exceptions.Exit(2)
    assert catalog is not None
    click.echo(
        f"规则目录有效：{len(catalog.items)} 个台账条目，{len(catalog.rules)} 条规则，"
        f"{len(problems)} 个警告"
    )


def _calendar(app: AppContext) -> AcademicCalendar | None:
    """The college's calendar, or None when there is no database to read it from."""
    try:
        engine = app.engine
    except BadInput:  # no initialised data directory: check the files alone
        return None
    if not inspect(engine).has_table("academic_year"):
        return None
    with app.sessions() as session:
        return load_academic_calendar(session)
