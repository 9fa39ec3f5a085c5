"""A wrong command line is said in Chinese: which option, what is wrong, what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from obligations.cli.main import cli
from obligations.cli.usage import _range

CASES = [
    (["serve", "--workers", "0"], "--workers 的值有误：0 不在允许的范围内（1 至 64）"),
    (["serve", "--workers", "two"], "--workers 的值有误：“two”不是整数"),
    (["serve", "--port", "65536"], "--port 的值有误：65536 不在允许的范围内（1 至 65535）"),
    (["ledger", "U01", "--year", "abc"], "--year 的值有误：“abc”不是整数"),
    (["ledger", "U01", "--format", "xyz"], "--format 的值有误：“xyz”不是可选的值；可选："),
    (["tasks", "lst"], "没有“lst”这个命令；是否想用：list"),
    (["serve", "--frobnicate"], "没有 --frobnicate 这个选项"),
    (["--bogus"], "没有 --bogus 这个选项"),
    (["evidence", "add"], "缺少选项 --held-on"),
    (["serve", "--port"], "选项 --port 后面需要一个值"),
    (["tasks", "list", "extra"], "多出了参数：extra"),
]


@pytest.mark.parametrize(("args", "said"), CASES, ids=[" ".join(a) for a, _ in CASES])
def test_a_wrong_command_line_is_said_in_chinese_with_exit_status_2(
    tmp_path: Path, args: list[str], said: str
) -> None:
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), *args])
    assert result.exit_code == 2
    assert f"错误：{said}" in result.output
    for english in ("Error:", "Invalid value", "Usage:", "No such", "Missing", "Try '"):
        assert english not in result.output


def test_click_ranges_are_read_out_in_words() -> None:
    assert _range("1<=x<=64") == "1 至 64"
    assert _range("x>=0") == "不小于 0"
    assert _range("0<x<1") == "大于 0 且小于 1"
    assert _range("x<5") == "小于 5"
