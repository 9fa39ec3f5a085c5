"""YAML loading that remembers where every value stood, so errors can name the line.

PyYAML's ``safe_load`` forgets positions and silently keeps the last of two duplicate keys;
here the document is composed once, duplicates are refused, and a map from each value's path
(a tuple of keys and indexes) to its 1-based line is built beside the plain data, with the
source text of every scalar YAML turned into something else than that text (``0101``, ``yes``),
so that errors can quote what was written.

Rule files, org imports and the web admin's files all come through here, and a hostile file
must not exhaust the machine: a file is refused beyond :data:`MAX_BYTES`, beyond
:data:`MAX_DEPTH` levels of nesting (PyYAML composes recursively: 5,000 levels end in a
RecursionError), beyond :data:`MAX_ALIASES` aliases, or when its aliases would add more than
:data:`MAX_ALIAS_VALUES` values to the document (a 1 KB "billion laughs" expands to gigabytes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from obligations.errors import os_error_text
from obligations.paths import shipped_dir

Loc = tuple[str | int, ...]

MAX_BYTES = 4 * 1024 * 1024  # the largest org import written by hand is a few hundred KB
MAX_DEPTH = 64  # rule and import files nest fewer than 10 levels
MAX_ALIASES = 100  # the shipped files use none; a few shared blocks are fine
MAX_ALIAS_VALUES = 10_000  # values that aliases may add to the document, all together

# libyaml's parser, twenty times faster, for the package's own files only: its composer is
# recursive C code with none of the bounds below, so files from outside never reach it.
_FAST_LOADER: type[yaml.CSafeLoader] | None = yaml.CSafeLoader if yaml.__with_libyaml__ else None


@cache
def _shipped_root() -> Path:
    return shipped_dir("calendar_rules").resolve()


def _is_shipped(path: Path) -> bool:
    return path.resolve().is_relative_to(_shipped_root())


class YamlSyntaxError(ValueError):
    def __init__(self, path: Path, line: int | None, message: str) -> None:
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{path}:{line or '?'}: {message}")


@dataclass
class YamlDocument:
    path: Path
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)
    # The text of each scalar whose value is not that text: ``0101`` read as the number 65.
    texts: dict[Loc, str] = field(default_factory=dict)

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """The line of ``loc`` or of its nearest ancestor that has one."""
        key = tuple(loc)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get(())


class _Refused(Exception):
    """A bound of this module was passed; ``line`` is 1-based."""

    def __init__(self, line: int | None, message: str) -> None:
        self.line, self.message = line, message
        super().__init__(message)


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader composing no deeper than :data:`MAX_DEPTH` and with few aliases."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.depth = 0
        self.aliases = 0
        self.nodes = 0  # composed, each alias counted once

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        line = event.start_mark.line + 1 if event.start_mark else None
        if isinstance(event, yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise _Refused(line, f"别名（*引用）超过 {MAX_ALIASES} 个，文件被拒绝")
        else:
            self.nodes += 1
        if self.depth >= MAX_DEPTH:
            raise _Refused(line, f"嵌套超过 {MAX_DEPTH} 层，文件被拒绝")
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class FileTooLarge(ValueError):
    """A file over its size limit (message in Chinese)."""


def read_text_bounded(path: Path, limit: int, encoding: str = "utf-8") -> str:
    """The text of the regular file ``path``, reading at most ``limit`` + 1 bytes.

    Raises :class:`FileTooLarge` past ``limit`` bytes, ``OSError`` for what is not a regular
    file (a folder, a device such as ``/dev/zero`` whose size reads as 0, a broken link), and
    ``UnicodeDecodeError``."""
    if not path.is_file():
        raise OSError(f"{path} 是文件夹" if path.is_dir() else f"{path} 不存在或不是普通文件")
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(f"文件过大（超过 {limit} 字节），上限 {limit} 字节")
    return data.decode(encoding)


def load_yaml(path: Path) -> YamlDocument:
    """Read and compose ``path``; raise :class:`YamlSyntaxError` (message in Chinese, with the
    line where known) for a file that is not UTF-8 YAML, has a duplicate key or passes a bound."""
    try:
        text = read_text_bounded(path, MAX_BYTES)
    except UnicodeDecodeError as exc:
        raise YamlSyntaxError(path, None, f"文件不是 UTF-8 编码（第 {exc.start} 字节）") from exc
    except FileTooLarge as exc:
        raise YamlSyntaxError(path, None, str(exc)) from None
    except OSError as exc:
        raise YamlSyntaxError(path, None, f"无法读取文件：{os_error_text(exc)}") from None
    try:
        fast = _FAST_LOADER is not None and _is_shipped(path)
        loader: yaml.CSafeLoader | _BoundedLoader = (
            _FAST_LOADER(text) if fast and _FAST_LOADER else _BoundedLoader(text)
        )  # the pure reader checks every character here
    except yaml.reader.ReaderError as exc:
        raise _unprintable(path, text, exc) from exc
    try:
        node = loader.get_single_node()
    except _Refused as exc:
        raise YamlSyntaxError(path, exc.line, exc.message) from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise YamlSyntaxError(path, line, f"YAML 格式错误：{exc.problem}") from exc
    finally:
        loader.dispose()
    doc = YamlDocument(path, None)
    if node is None:
        return doc
    nodes = loader.nodes if isinstance(loader, _BoundedLoader) else 10**9  # shipped: trusted
    builder = _Builder(doc, budget=nodes + MAX_ALIAS_VALUES)
    try:
        doc.data = builder.build(node, ())
    except _Refused as exc:
        raise YamlSyntaxError(path, exc.line, exc.message) from None
    return doc


def _unprintable(path: Path, text: str, error: yaml.reader.ReaderError) -> YamlSyntaxError:
    line = text.count("\n", 0, error.position) + 1
    message = f"YAML 格式错误：含有不允许的控制字符 U+{error.character:04X}，请删除后再导入"
    return YamlSyntaxError(path, line, message)


class _Builder:
    """Plain data from composed nodes, with lines, texts and a budget of values to build."""

    def __init__(self, doc: YamlDocument, budget: int) -> None:
        self.doc, self.budget = doc, budget
        self.constructor = yaml.SafeLoader("")

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.budget -= 1
        if self.budget < 0:
            message = f"别名（*引用）展开后超过 {MAX_ALIAS_VALUES} 个值，文件被拒绝"
            raise _Refused(node.start_mark.line + 1, message)
        self.doc.lines[loc] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    line = key_node.start_mark.line + 1
                    raise _Refused(line, "键只能是文本或数字，不能是列表或映射")
                key = self.constructor.construct_object(key_node, deep=True)
                if key in result:
                    line = key_node.start_mark.line + 1
                    raise YamlSyntaxError(self.doc.path, line, f"键 {key!r} 重复出现")
                result[key] = self.build(value_node, (*loc, key))
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
        try:
            value = self.constructor.construct_object(node, deep=True)
        except ValueError:
            # An implicitly typed scalar that cannot be built (a date such as 2025-02-30) stays
            # the text it was written as, so validation reports it with its line instead of
            # crashing.
            return node.value
        if value != node.value:
            self.doc.texts[loc] = node.value
        return value
