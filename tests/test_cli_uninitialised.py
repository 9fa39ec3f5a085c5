"""A command pointed at a data directory that was never initialised stops with a Chinese
message naming ``init`` (exit 2), and a database that cannot be reached ends with a message,
never a traceback (exit 1)."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from obligations.cli.main import cli


@pytest.mark.parametrize(
    "args",
    [
        ["tasks", "list"],
        ["evidence", "list"],
        ["ledger", "U01", "--year", "2026"],
        ["backup", "-o", "x.tar"],
        ["remind"],
        ["audit"],
    ],
)
def test_a_command_on_a_missing_data_directory_asks_for_init(
    tmp_path: Path, args: list[str]
) -> None:
    missing = tmp_path / "nonexist"
    result = CliRunner().invoke(cli, ["--data-dir", str(missing), *args])
    assert result.exit_code == 2, result.output
    assert "不存在或尚未初始化" in result.output
    assert f"obligations --data-dir {missing} init" in result.output
    assert "Traceback" not in result.output
    assert not missing.exists()


def test_an_existing_directory_without_a_database_is_refused_and_left_empty(
    tmp_path: Path,
) -> None:
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "tasks", "list"])
    assert result.exit_code == 2, result.output
    assert "尚未初始化" in result.output
    assert list(tmp_path.iterdir()) == []


def test_help_template_and_rules_check_work_without_a_data_directory(tmp_path: Path) -> None:
    missing = tmp_path / "nonexist"
    runner = CliRunner()
    assert runner.invoke(cli, ["--data-dir", str(missing), "tasks", "--help"]).exit_code == 0
    template = runner.invoke(
        cli, ["--data-dir", str(missing), "template", str(tmp_path / "t.xlsx")]
    )
    assert template.exit_code == 0, template.output
    check = runner.invoke(cli, ["--data-dir", str(missing), "rules", "check"])
    assert check.exit_code == 0, check.output


def test_init_then_a_command_works_on_the_new_directory(tmp_path: Path) -> None:
    data = tmp_path / "data"
    runner = CliRunner()
    assert runner.invoke(cli, ["--data-dir", str(data), "init"]).exit_code == 0
    result = runner.invoke(cli, ["--data-dir", str(data), "tasks", "list"])
    assert result.exit_code == 0, result.output


def test_an_unreachable_database_server_is_reported_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OBLIGATIONS_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/none")
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "tasks", "list"])
    assert result.exit_code == 1, result.output
    assert "无法打开数据库" in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


def test_serve_without_the_scheduler_also_refuses_a_missing_data_directory(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "nonexist"
    result = CliRunner().invoke(cli, ["--data-dir", str(missing), "serve", "--no-scheduler"])
    assert result.exit_code == 2, result.output
    assert "尚未初始化" in result.output
