"""The ``obligations`` command."""

from __future__ import annotations

from pathlib import Path

import click

from obligations.cli.context import AppContext
from obligations.settings import Settings


@click.group()
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="OBLIGATIONS_DATA_DIR",
    default=None,
    help="数据目录（数据库与佐证材料文件），默认 ./obligations-data",
)
@click.version_option(package_name="obligations")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None) -> None:
    """党组织标准化建设：周期任务、佐证材料、提醒与年度台账。"""
    settings = Settings() if data_dir is None else Settings(data_dir=data_dir)
    ctx.obj = AppContext(settings)
    ctx.call_on_close(ctx.obj.close)


def _register() -> None:
    from obligations.cli import reminders

    cli.add_command(reminders.remind_command)
    cli.add_command(reminders.worker_command)
    cli.add_command(reminders.channels)

    from obligations.cli import orgdata, rules, setup, tasks

    cli.add_command(setup.init)
    cli.add_command(orgdata.import_command)
    cli.add_command(orgdata.template_command)
    cli.add_command(rules.rules)
    cli.add_command(tasks.tasks)

    from obligations.cli import evidence, verify

    cli.add_command(evidence.evidence)
    cli.add_command(verify.verify_command)
    cli.add_command(verify.audit_command)

    from obligations.cli import safety

    cli.add_command(safety.backup_command)
    cli.add_command(safety.restore_command)
    cli.add_command(safety.export_command)

    from obligations.cli import ledger

    cli.add_command(ledger.ledger)

    from obligations.cli import serve, users

    cli.add_command(users.user)
    cli.add_command(serve.serve)


_register()


def main() -> None:
    cli(prog_name="obligations")
