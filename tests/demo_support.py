"""The demo college with its recorded year, made once by `init --demo` on a fixed day."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from freezegun import freeze_time

from obligations.cli.main import cli

# 2026-11-25 10:00 in Shanghai, the day the demo is made.
DEMO_NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


def init_demo(data_dir: Path, *options: str) -> list[str]:
    """`init --demo` on :data:`DEMO_NOW`; its output lines (it must succeed)."""
    with freeze_time(DEMO_NOW, tick=True, ignore=["_pytest"]):
        result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "init", "--demo", *options])
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()


@pytest.fixture(scope="session")
def demo_with_history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A data directory with the demo college and its year, and what `init` printed."""
    data = tmp_path_factory.mktemp("demo-history")
    return data, init_demo(data)
