"""YAML loading that remembers where every value stood, so errors can name the line.

PyYAML's ``safe_load`` forgets positions and silently keeps the last of two duplicate keys;
here the document is composed once, duplicates are refused, and a map from each value's path
(a tuple of keys and indexes) to its 1-based line is built beside the plain data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Loc = tuple[str | int, ...]

# libyaml's parser when PyYAML has it (twenty times faster; the same nodes and marks).
_COMPOSER: type[yaml.SafeLoader | yaml.CSafeLoader] = (
    yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
)


class YamlSyntaxError(ValueError):
    def __init__(self, path: Path, line: int | None, message: str) -> None:
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{path}:{line or '?'}: {message}")


@dataclass
class YamlDocument:
    path: Path
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """The line of ``loc`` or of its nearest ancestor that has one."""
        key = tuple(loc)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get(())


def load_yaml(path: Path) -> YamlDocument:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise YamlSyntaxError(path, None, f"文件不是 UTF-8 编码：{exc}") from exc
    try:
        node = yaml.compose(text, Loader=_COMPOSER)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise YamlSyntaxError(path, line, f"YAML 格式错误：{exc.problem}") from exc
    doc = YamlDocument(path, None)
    if node is None:
        return doc
    constructor = yaml.SafeLoader("")
    doc.data = _build(node, (), doc, constructor)
    return doc


def _build(node: yaml.Node, loc: Loc, doc: YamlDocument, constructor: yaml.SafeLoader) -> Any:
    doc.lines[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node, deep=True)
            if key in result:
                line = key_node.start_mark.line + 1
                raise YamlSyntaxError(doc.path, line, f"键 {key!r} 重复出现")
            result[key] = _build(value_node, (*loc, key), doc, constructor)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*loc, i), doc, constructor) for i, item in enumerate(node.value)]
    try:
        return constructor.construct_object(node, deep=True)
    except ValueError:
        # An implicitly typed scalar that cannot be built (a date such as 2025-02-30) stays the
        # text it was written as, so validation reports it with its line instead of crashing.
        return node.value
