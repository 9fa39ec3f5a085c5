"""The command answers fast: sub-commands load lazily, and what a command does not need it
does not import (timings: benchmarks/bench_cli.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from obligations.cli.main import COMMANDS, LazyGroup, cli

# Imported by --help, this would cost most of a second.
HEAVY = ("sqlalchemy", "pydantic", "pydantic_settings", "fastapi", "openpyxl", "docx", "httpx")
# A task listing needs the database and the catalog, never the web, documents or migrations.
NOT_FOR_LISTING = (
    "fastapi",
    "starlette",
    "openpyxl",
    "docx",
    "docxtpl",
    "httpx",
    "alembic",
    "argon2",
    "apscheduler",
    "jinja2",
)


def fresh_group() -> LazyGroup:
    return LazyGroup(name="obligations", lazy=COMMANDS, params=cli.params, help=cli.help)


def help_text(group: click.Group, width: int) -> str:
    with click.Context(group, info_name="obligations", terminal_width=width) as ctx:
        return group.get_help(ctx)


@pytest.mark.parametrize("width", [60, 80, 200])
def test_the_listing_shows_each_commands_own_help_before_it_is_loaded(width: int) -> None:
    unloaded = fresh_group()
    loaded = fresh_group()
    with click.Context(loaded) as ctx:
        for name in COMMANDS:
            assert loaded.get_command(ctx, name) is not None
    assert loaded.commands.keys() == COMMANDS.keys() and unloaded.commands == {}
    assert help_text(unloaded, width) == help_text(loaded, width)


def test_every_listed_command_is_the_command_of_that_name() -> None:
    group = fresh_group()
    assert {name: group.load(name).name for name in COMMANDS} == {n: n for n in COMMANDS}


def modules_after(args: list[str], env: dict[str, str]) -> list[str]:
    """The top-level packages and obligations modules loaded by ``obligations ARGS``."""
    script = (
        "import json, sys\n"
        "from obligations.cli.main import cli\n"
        "try:\n"
        f"    cli({args!r}, prog_name='obligations')\n"
        "except SystemExit as exit:\n"
        "    assert not exit.code, exit.code\n"
        "names = {m if m.startswith('obligations.') else m.split('.')[0] for m in sys.modules}\n"
        "print(json.dumps(sorted(names)), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    loaded: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return loaded


def test_help_loads_no_command_module_and_no_heavy_library(tmp_path: Path) -> None:
    loaded = modules_after(["--help"], dict(os.environ, OBLIGATIONS_DATA_DIR=str(tmp_path)))
    assert "click" in loaded
    assert [name for name in HEAVY if name in loaded] == []
    modules = {entry.partition(":")[0] for entry, _ in COMMANDS.values()}
    assert sorted(modules & set(loaded)) == []


def test_listing_tasks_loads_neither_the_web_nor_documents_nor_migrations(tmp_path: Path) -> None:
    env = dict(os.environ, OBLIGATIONS_DATA_DIR=str(tmp_path / "data"))
    subprocess.run(
        [sys.executable, "-c", "from obligations.cli.main import main; main()", "init"],
        env=env,
        check=True,
        capture_output=True,
    )
    loaded = modules_after(["tasks", "list"], env)
    assert "sqlalchemy" in loaded and "obligations.tasks.listing" in loaded
    assert [name for name in NOT_FOR_LISTING if name in loaded] == []
