"""Problems found in catalog files, each naming the file, line, rule id and field."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from obligations.yamlsource import Loc, YamlDocument


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class CatalogProblem:
    file: Path
    line: int | None
    message: str
    rule_id: str | None = None
    field: str | None = None
    severity: Severity = Severity.ERROR

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        parts = [where, "警告" if self.severity is Severity.WARNING else "错误"]
        if self.rule_id:
            parts.append(f"规则 {self.rule_id}")
        if self.field:
            parts.append(f"字段 {self.field}")
        return "：".join(parts) + f"：{self.message}"


class CatalogInvalid(Exception):
    def __init__(self, problems: list[CatalogProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def problems_from_validation(
    doc: YamlDocument, error: ValidationError, base: Loc = ()
) -> list[CatalogProblem]:
    """Turn pydantic's errors into problems located in the YAML file."""
    return [_problem(doc, detail, base) for detail in error.errors()]


def _problem(doc: YamlDocument, detail: ErrorDetails, base: Loc) -> CatalogProblem:
    loc: Loc = (*base, *detail["loc"])
    field_path = [str(p) for p in detail["loc"] if not isinstance(p, int)]
    return CatalogProblem(
        file=doc.path,
        line=doc.line_of(loc),
        message=_chinese(detail),
        rule_id=_entry_id(doc.data, loc),
        field=".".join(field_path[1:] if base == () else field_path) or None,
    )


def _entry_id(data: Any, loc: Loc) -> str | None:
    """The ``id`` of the list entry that holds ``loc`` (e.g. the rule), if any."""
    node, found = data, None
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(part, int) and isinstance(node, dict):
            value = node.get("id", node.get("item"))
            found = str(value) if value is not None else found
    return found


_MESSAGES = {
    "missing": "缺少必填字段",
    "extra_forbidden": "未知字段（可能拼写错误）",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "string_type": "应为文本",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "list_type": "应为列表",
    "dict_type": "应为键值映射",
    "model_type": "应为键值映射",
    "date_from_datetime_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_parsing": "应为日期，格式 YYYY-MM-DD",
    "date_type": "应为日期，格式 YYYY-MM-DD",
    "too_short": "至少需要 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "string_too_short": "不能为空",
    "string_too_long": "最长 {max_length} 个字符",
    "string_pattern_mismatch": "格式不符，应匹配 {pattern}",
}


def _chinese(detail: ErrorDetails) -> str:
    kind, ctx, value = detail["type"], detail.get("ctx") or {}, detail.get("input")
    if kind == "value_error":
        return str(ctx.get("error", detail["msg"]))
    if kind in ("enum", "literal_error"):
        return f"取值 {value!r} 无效，可选：{ctx.get('expected', '')}"
    if kind == "greater_than_equal":
        return f"取值 {value!r} 无效，不能小于 {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"取值 {value!r} 无效，不能大于 {ctx.get('le')}"
    template = _MESSAGES.get(kind)
    if template is None:
        return str(detail["msg"])
    text = template.format(**ctx)
    return text if kind in ("missing", "extra_forbidden") else f"取值 {value!r} 无效，{text}"
