"""The ``obligations`` command.

Sub-commands load lazily (click's documented ``LazyGroup`` pattern): a command imports its own
module, and with it SQLAlchemy, openpyxl, FastAPI and the rest, only when it runs, so
``obligations --help`` answers without loading any of them (benchmarks/bench_cli.py).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from importlib import import_module
from pathlib import Path
from typing import Any

import click

from obligations.cli.context import AppContext
from obligations.cli.usage import ChineseUsage

# name -> ("module:attribute", the one-line help the listing shows before the module loads).
# tests/test_cli_help.py checks each line against the command's own docstring.
COMMANDS: dict[str, tuple[str, str]] = {
    "audit": (
        "obligations.cli.verify:audit_command",
        "查看操作日志（谁、何时、做了什么、改动前后）。",
    ),
    "backup": (
        "obligations.cli.safety:backup_command",
        "备份数据库、全部佐证材料文件与数据目录中的配置（服务运行中也可执行），附哈希清单。",
    ),
    "channels": ("obligations.cli.reminders:channels", "提醒渠道：查看、测试、为组织指定。"),
    "evidence": ("obligations.cli.evidence:evidence", "佐证材料：登记、查看、撤回与审核。"),
    "export": (
        "obligations.cli.safety:export_command",
        "导出一个单位的全部资料（任务、佐证材料与文件、操作日志、各年度台账），开放格式。",
    ),
    "import": (
        "obligations.cli.orgdata:import_command",
        "导入组织、人员、职务和校历（YAML、CSV 或 Excel .xlsx 文件，可一次导入多个）。",
    ),
    "init": ("obligations.cli.setup:init", "创建或升级数据目录与数据库结构。"),
    "ledger": (
        "obligations.cli.ledger:ledger",
        "年度台账：生成台账（Word、Excel、网页、PDF）、佐证材料包和全院汇总，填写情况说明与指标数据。",
    ),
    "remind": (
        "obligations.cli.reminders:remind_command",
        "运行一次提醒：安排到期的提醒并发送（每人每渠道一条汇总消息）。",
    ),
    "restore": (
        "obligations.cli.safety:restore_command",
        "从备份重建数据目录（--data-dir 指定，须为新目录），逐一校验哈希，并放回配置文件。",
    ),
    "rules": ("obligations.cli.rules:rules", "规则目录。"),
    "serve": ("obligations.cli.serve:serve", "运行网页看板与 JSON API。"),
    "tasks": ("obligations.cli.tasks:tasks", "周期任务：生成与查看。"),
    "template": (
        "obligations.cli.orgdata:template_command",
        "生成 Excel 导入模板（.xlsx）：各工作表的表头、示例行、下拉选项和填写说明。",
    ),
    "user": ("obligations.cli.users:user", "网页账户：新增、改密码、禁用、API 令牌。"),
    "verify": (
        "obligations.cli.verify:verify_command",
        "逐一校验佐证材料文件的哈希；报告缺失、损坏和无主文件；有问题时退出码为 1。",
    ),
    "worker": (
        "obligations.cli.reminders:worker_command",
        "常驻运行：每天延展任务生成，每隔几分钟安排并发送提醒（可同时运行多个）。",
    ),
}


class LazyGroup(click.Group):
    """A group whose sub-commands are imported on first use, named by ``lazy``
    (name -> ("module:attribute", one-line help)); ``--help`` lists them from that help."""

    def __init__(self, *args: Any, lazy: Mapping[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self.add_command(self.load(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def load(self, name: str) -> click.Command:
        """Import the command ``name``; a wrong entry in ``lazy`` is a programming error."""
        module, _, attribute = self.lazy[name][0].partition(":")
        command = getattr(import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.lazy[name][0]} is not a click command")
        return command

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        """As click's, with a wrong option of the group itself said in Chinese."""
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as error:
            raise ChineseUsage(error) from error

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a wrong command line is said in Chinese
        (:mod:`obligations.cli.usage`), and a database that cannot be opened ends it with a
        message, not a traceback (exit status 1)."""
        try:
            return super().invoke(ctx)
        except click.UsageError as error:
            raise ChineseUsage(error) from error
        except Exception as exc:
            errors = sys.modules.get("sqlalchemy.exc")
            if errors is not None and isinstance(exc, errors.OperationalError):
                from obligations.cli.context import Failure
                from obligations.errors import database_unreachable

                data_dir = ctx.obj.settings.data_dir if ctx.obj is not None else ""
                raise Failure(database_unreachable(data_dir)) from exc
            raise

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As click lists commands, from the one-line help of those not loaded yet."""
        listed = [(name, self._listed(name)) for name in self.list_commands(ctx)]
        shown = [(name, command) for name, command in listed if not command.hidden]
        if not shown:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in shown)
        with formatter.section("Commands"):
            formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in shown])

    def _listed(self, name: str) -> click.Command:
        loaded = self.commands.get(name)
        return loaded if loaded is not None else click.Command(name, help=self.lazy[name][1])


@click.group(cls=LazyGroup, lazy=COMMANDS)
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
    from obligations.settings import Settings

    settings = Settings() if data_dir is None else Settings(data_dir=data_dir)
    ctx.obj = AppContext(settings)
    ctx.call_on_close(ctx.obj.close)


def main() -> None:
    cli(prog_name="obligations")
