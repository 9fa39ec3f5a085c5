"""Every command line the README shows names commands and options the CLI really has.

Each ``obligations ...`` line of the README's code blocks is read as its synopsis is written
(``[...]`` optional parts, ``A | B`` alternatives, ``--accept|--reject`` either option) and
walked through the real click commands with click's own parsers: an unknown subcommand or
option, or an option missing its value, fails with the line quoted.
"""

from __future__ import annotations

import itertools
import re
import shlex
from pathlib import Path

import click
import pytest

from obligations.cli.main import cli

README = Path(__file__).resolve().parent.parent / "README.md"
CODE_BLOCK = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def readme_command_lines() -> list[list[str]]:
    """The tokens after the program name of each ``obligations`` command in a code block."""
    lines = []
    for block in CODE_BLOCK.findall(README.read_text(encoding="utf-8")):
        for line in block.splitlines():
            for piece in line.split("&&"):
                tokens = shlex.split(piece, comments=True)
                if tokens and Path(tokens[0]).name == "obligations":
                    lines.append(tokens[1:])
    return lines


def alternatives(tokens: list[str]) -> list[list[str]]:
    """Split a synopsis into the argument lists it stands for, brackets removed."""
    segments: list[list[str]] = [[]]
    for token in tokens:
        if token == "|":
            segments.append([])
        elif stripped := token.strip("[]"):
            segments[-1].append(stripped)
    expanded = []
    for segment in segments:
        choices = [
            t.split("|") if "|" in t and all(p.startswith("-") for p in t.split("|")) else [t]
            for t in segment
        ]
        expanded.append([list(combination) for combination in itertools.product(*choices)])
    return [args for variants in expanded for args in variants]


def walk(args: list[str]) -> list[str]:
    """Parse ``args`` as click would run them; return the command path (``["ledger", "make"]``).

    Raises click's ``UsageError`` for an unknown command or option, or an option without its
    value. Values are not converted: placeholders such as ``D`` or ``ID`` stand for real ones."""
    command: click.Command = cli
    ctx = click.Context(cli, info_name="obligations")
    path: list[str] = []
    while isinstance(command, click.Group):
        command.parse_args(ctx, list(args))  # the group's own options; the rest stays in ctx
        rest = [*ctx._protected_args, *ctx.args]  # as click's Group.invoke rejoins them
        name, sub, args = command.resolve_command(ctx, rest)
        assert name is not None and sub is not None
        path.append(name)
        command, ctx = sub, click.Context(sub, info_name=name, parent=ctx)
    command.make_parser(ctx).parse_args(list(args))
    return path


def resolve_segment(segment: list[str], previous: list[str]) -> list[str]:
    """The full arguments of ``B`` in ``A | B``: a command of its own, a sibling of A's
    command (``evidence list | show ID``) or more options of A's command."""
    if not previous or segment[0] in cli.commands:  # type: ignore[attr-defined]
        return segment
    if segment[0].startswith("-"):
        return previous + segment
    return previous[:-1] + segment


LINES = readme_command_lines()


@pytest.mark.parametrize("tokens", LINES, ids=[" ".join(t)[:60] for t in LINES])
def test_every_command_line_in_the_readme_parses_with_the_real_cli(tokens: list[str]) -> None:
    previous: list[str] = []
    for segment in alternatives(tokens):
        args = resolve_segment(segment, previous)
        try:
            previous = walk(args)
        except click.UsageError as exc:
            pytest.fail(f"README: obligations {' '.join(tokens)}\n  {args}: {exc.format_message()}")


def test_the_readme_shows_the_commands_it_is_checked_against() -> None:
    shown = {tuple(walk(resolve_segment(s, [])))[:1] for t in LINES for s in alternatives(t)[:1]}
    assert len(LINES) >= 25
    assert {("restore",), ("backup",), ("export",), ("ledger",), ("evidence",)} <= shown


@pytest.mark.parametrize(
    "args",
    [["tasks", "list", "--colour"], ["tasks", "delete", "3"], ["backup", "-o"], ["ledger", "--al"]],
)
def test_the_check_refuses_an_unknown_command_or_option_and_a_missing_value(
    args: list[str],
) -> None:
    with pytest.raises(click.UsageError):
        walk(args)
