"""Click's own complaints about a command line, said in Chinese like the commands' other errors.

Click parses the options before a command runs, and a value of the wrong type or out of range,
an unknown option or command, a missing argument are reported in English ("Error: Invalid
value for '--workers': 0 is not in the range 1<=x<=64."). Its messages go through gettext, but
it ships no Chinese catalogue; rather than a catalogue of its every sentence, the command group
turns each :class:`click.UsageError` into a :class:`ChineseUsage`: what was wrong, in Chinese,
with the value and the allowed range or choices, and where to read the usage.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import IO, Any

import click

# click's sentences for a bad value (click/types.py), each with its Chinese.
_VALUES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"^'(.*)' is not a valid integer\.$", re.S),
        lambda m: f"“{m[1]}”不是整数",
    ),
    (
        re.compile(r"^'(.*)' is not a valid integer range\.$", re.S),
        lambda m: f"“{m[1]}”不是整数",
    ),
    (
        re.compile(r"^'(.*)' is not a valid float(?: range)?\.$", re.S),
        lambda m: f"“{m[1]}”不是数字",
    ),
    (
        re.compile(r"^'(.*)' is not a valid (?:boolean|UUID)\.$", re.S),
        lambda m: f"“{m[1]}”格式不对",
    ),
    (
        re.compile(r"^(.*) is not in the range (.*)\.$", re.S),
        lambda m: f"{m[1]} 不在允许的范围内（{_range(m[2])}）",
    ),
    (
        re.compile(r"^'(.*)' is not one of (.*)\.$", re.S),
        lambda m: f"“{m[1]}”不是可选的值；可选：{m[2]}",
    ),
    (
        re.compile(r"^'(.*)' is not (.*)\.$", re.S),
        lambda m: f"“{m[1]}”不是可选的值；可选：{m[2]}",
    ),
    (
        re.compile(r"^(?:File|Directory|Path) '(.*)' does not exist\.$", re.S),
        lambda m: f"“{m[1]}”不存在",
    ),
    (
        re.compile(r"^(?:File|Directory|Path) '(.*)' is a file\.$", re.S),
        lambda m: f"“{m[1]}”是文件，这里需要目录",
    ),
    (
        re.compile(r"^(?:File|Directory|Path) '(.*)' is a directory\.$", re.S),
        lambda m: f"“{m[1]}”是目录，这里需要文件",
    ),
    (
        re.compile(r"^(?:File|Directory|Path) '(.*)' is not (readable|writable)\.$", re.S),
        lambda m: f"“{m[1]}”不可{'读' if m[2] == 'readable' else '写'}",
    ),
]
# click's sentences for a command line of the wrong shape (click/parser.py, click/core.py).
_SHAPES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^No such command '(.*)'\.$"), lambda m: f"没有“{m[1]}”这个命令"),
    (re.compile(r"^No such option '(.*)'\.$"), lambda m: f"没有 {m[1]} 这个选项"),
    (
        re.compile(r"^Option '(.*)' requires an argument\.$"),
        lambda m: f"选项 {m[1]} 后面需要一个值",
    ),
    (
        re.compile(r"^Option '(.*)' requires (\d+) arguments\.$"),
        lambda m: f"选项 {m[1]} 后面需要 {m[2]} 个值",
    ),
    (re.compile(r"^Option '(.*)' does not take a value\.$"), lambda m: f"选项 {m[1]} 不带值"),
    (
        re.compile(r"^Got unexpected extra arguments? \((.*)\)$"),
        lambda m: f"多出了参数：{m[1]}",
    ),
]


def _range(text: str) -> str:
    """click's "1<=x<=64", "x>=0", "0<x<1" as 1 至 64, 不小于 0, 大于 0 且小于 1."""
    both = re.fullmatch(r"(.+?)(<=?)x(<=?)(.+)", text)
    if both:
        low = "不小于" if both[2] == "<=" else "大于"
        high = "不大于" if both[3] == "<=" else "小于"
        if both[2] == both[3] == "<=":
            return f"{both[1]} 至 {both[4]}"
        return f"{low} {both[1]} 且{high} {both[4]}"
    one = re.fullmatch(r"x([<>]=?)(.+)", text)
    if one:
        said = {">=": "不小于", ">": "大于", "<=": "不大于", "<": "小于"}[one[1]]
        return f"{said} {one[2]}"
    return text


def _said(message: str, table: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]]) -> str:
    for pattern, chinese in table:
        found = pattern.match(message)
        if found:
            return chinese(found)
    return message  # a sentence of our own (already Chinese), or one click added since


def _name(error: click.BadParameter) -> str:
    hint = error.param_hint
    if hint is None and error.param is not None:
        hint = error.param.get_error_hint(error.ctx)
    if hint is None:
        return "参数"
    names = [hint] if isinstance(hint, str) else list(hint)
    return " / ".join(name.strip("'\"") for name in names)


def chinese_text(error: click.UsageError) -> str:
    """What ``error`` says, in Chinese: which option or argument, and what is wrong with it."""
    if isinstance(error, click.MissingParameter):
        kind = "参数" if isinstance(error.param, click.Argument) else "选项"
        return f"缺少{kind} {_name(error)}"
    if isinstance(error, click.BadParameter):
        return f"{_name(error)} 的值有误：{_said(error.message, _VALUES)}"
    said = _said(error.message, _SHAPES)
    possibilities = getattr(error, "possibilities", None)
    if possibilities:
        said += "；是否想用：" + "、".join(possibilities)
    return said


class ChineseUsage(click.ClickException):
    """A :class:`click.UsageError` shown in Chinese, with where to read the usage (exit status
    2, as click's own)."""

    exit_code = 2

    def __init__(self, error: click.UsageError) -> None:
        super().__init__(chinese_text(error))
        self.ctx = error.ctx

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"错误：{self.format_message()}", err=True, file=file)
        if self.ctx is not None:
            click.echo(f"用法见：{self.ctx.command_path} --help", err=True, file=file)
