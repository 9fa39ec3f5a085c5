"""Records read from an import file, the converters of their fields, and import problems.

A record keeps only the fields its source gave (``values``), already converted: a YAML key
that is absent is left alone on update, while an explicit ``null`` (or an empty CSV cell)
clears the field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from obligations.textcheck import hidden_character
from obligations.vocabulary import OrgKind, Role
from obligations.yamlsource import Loc, YamlDocument


@dataclass(frozen=True)
class ImportProblem:
    file: str
    line: int | None  # the row in a CSV file or a worksheet
    field: str  # in a worksheet: the column's header
    message: str  # Simplified Chinese: what is wrong and what is allowed
    sheet: str | None = None  # the worksheet of an Excel workbook
    column: str | None = None  # the worksheet column's letter, e.g. "C"

    def __str__(self) -> str:
        if self.sheet is not None:
            return f"{self.file}: {self._cell()}: {self.message}"
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )

    def _cell(self) -> str:
        """工作表“人员” 第 5 行 C 列（邮箱）, as much of it as is known."""
        text = f"工作表“{self.sheet}”"
        if self.line is not None:
            text += f" 第 {self.line} 行"
        if self.column is not None:
            text += f" {self.column} 列"
        return text + (f"（{self.field}）" if self.field else "")


@dataclass(frozen=True, eq=False)
class SheetRef:
    """A worksheet an import reads: its name and where each field's column stands."""

    name: str
    columns: Mapping[str, tuple[str, str]]  # field -> (column letter, header)


@dataclass(frozen=True)
class Place:
    """Where a record stands in its file: a path in a YAML document, a CSV or worksheet row."""

    file: str
    doc: YamlDocument | None = None
    loc: Loc = ()
    row: int | None = None
    sheet: SheetRef | None = None

    def child(self, *parts: str | int) -> Place:
        return Place(self.file, self.doc, (*self.loc, *parts), self.row, self.sheet)

    def line(self, name: str | None = None) -> int | None:
        if self.doc is None:
            return self.row
        return self.doc.line_of((*self.loc, name) if name else self.loc)

    def written(self, name: str) -> str | None:
        """The source text of a YAML value read as something else (``0101`` as 65), or None."""
        return None if self.doc is None else self.doc.texts.get((*self.loc, name))

    def path(self, name: str | None = None) -> str:
        """``units[0].branches[1].member_count`` in YAML; the column name in CSV."""
        if self.doc is None:
            return name or ""
        text = ""
        for part in (*self.loc, name) if name else self.loc:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
        return text

    def where(self, name: str | None = None) -> str:
        """第 3 行, or 工作表“单位”第 3 行: where a duplicate's first occurrence stands."""
        text = f"第 {self.line(name)} 行"
        return text if self.sheet is None else f"工作表“{self.sheet.name}”{text}"

    def problem(self, name: str | None, message: str) -> ImportProblem:
        if self.sheet is not None:
            letter, header = self.sheet.columns.get(name or "", (None, ""))
            return ImportProblem(self.file, self.row, header, message, self.sheet.name, letter)
        return ImportProblem(self.file, self.line(name), self.path(name), message)


@dataclass
class Record:
    place: Place
    values: dict[str, Any]
    # Field name -> the name the source used for it (CSV semesters say academic_year_start).
    source_names: Mapping[str, str] = field(default_factory=dict)

    def problem(self, name: str | None, message: str) -> ImportProblem:
        return self.place.problem(self.source_names.get(name, name) if name else None, message)

    def line(self, name: str | None = None) -> int | None:
        return self.place.line(self.source_names.get(name, name) if name else None)

    def where(self, name: str | None = None) -> str:
        return self.place.where(self.source_names.get(name, name) if name else None)


@dataclass
class Batch:
    """Everything one file asks for, and the problems found in it on its own."""

    file: str
    orgs: list[Record] = field(default_factory=list)
    people: list[Record] = field(default_factory=list)
    roles: list[Record] = field(default_factory=list)
    years: list[Record] = field(default_factory=list)
    semesters: list[Record] = field(default_factory=list)
    vacations: list[Record] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)


_NO_VALUE: Any = object()


class Invalid(ValueError):
    """A value that cannot be used; the message says what is allowed.

    A message that quotes the value holds ``{value}`` where it goes and is given the value
    read: :meth:`quoting` puts in its place what the user wrote instead, when that differs
    (the cell 2026年13月7日 read as "2026-13-7"; YAML's 0101 read as the number 65).
    """

    def __init__(self, message: str, value: Any = _NO_VALUE) -> None:
        self.template, self.value = message, value
        super().__init__(message if value is _NO_VALUE else self.quoting(value))

    def quoting(self, written: Any) -> str:
        """The message quoting ``written`` (text in quotes, anything else as printed), or the
        value read when it prints as written (the number 5 written 5)."""
        if self.value is _NO_VALUE:
            return self.template
        if self.value is not written and str(written) == str(self.value):
            return self.quoting(self.value)
        shown = repr(written) if isinstance(written, str) else str(written)
        return self.template.replace("{value}", shown)


Convert = Callable[[Any], Any]
Spec = Mapping[str, tuple[Convert, bool]]  # field -> (converter, required)


def _text(max_length: int, pattern: str | None = None, hint: str = "") -> Callable[[Any], str]:
    compiled = re.compile(pattern) if pattern else None

    def convert(value: Any) -> str:
        if not isinstance(value, str):
            raise Invalid('应为文本，不是 {value}（纯数字请加引号，如 "T0001"）', value)
        text = value.strip()
        _refuse_control_characters(text)
        if len(text) > max_length:
            raise Invalid(f"最长 {max_length} 个字符，实际 {len(text)} 个")
        if compiled and not compiled.fullmatch(text):
            raise Invalid(f"{{value}} 格式不对，{hint}", text)
        return text

    return convert


_CONTROL_NAMES = {"\t": "制表符", "\n": "换行符", "\r": "回车符", "\0": "空字符 NUL"}


def _refuse_control_characters(text: str) -> None:
    """Raise :class:`Invalid` naming the first control character (Unicode category Cc: C0,
    DEL and C1; PostgreSQL refuses NUL in text columns) or invisible formatting character
    (bidirectional and zero-width, :func:`obligations.textcheck.hidden_character`)."""
    hidden = hidden_character(text)
    if hidden:
        position, char = hidden
        name = _CONTROL_NAMES.get(char, "控制或格式字符")
        raise Invalid(f"第 {position} 个字符是不可见的{name}（U+{ord(char):04X}），请删除后再导入")


code = _text(64, r"\S+", "编码不能包含空格")
name = _text(200)
email = _text(254, r"[^@\s]+@[^@\s]+\.[^@\s]+", "应为邮箱地址，如 zhangwei@example.edu.cn")
mobile = _text(32, r"\+?[0-9][0-9 -]*[0-9]", "只能包含数字、空格、连字符和开头的 +")
wecom_userid = _text(64, r"\S+", "企业微信账号不能包含空格")

_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")


def day(value: Any) -> date:
    if isinstance(value, datetime):
        raise Invalid("应为日期，不能带时间：{value}", value)
    if isinstance(value, date):
        return value
    if isinstance(value, str) and (match := _DATE.fullmatch(value.strip())):
        try:
            return date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    raise Invalid("日期 {value} 无效，应为 YYYY-MM-DD 格式的真实日期，如 2025-09-01", value)


def _integer(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
        return int(value)
    raise Invalid("应为整数，不是 {value}", value)


def count(value: Any) -> int:
    number = _integer(value)
    if number < 0:
        raise Invalid("不能为负数，实际为 {value}", number)
    return number


def term_years(value: Any) -> int:
    number = _integer(value)
    if number not in (3, 4):
        raise Invalid("任期年限应为 3 或 4（年），不是 {value}", number)
    return number


def semester_number(value: Any) -> int:
    number = _integer(value)
    if number not in (1, 2):
        raise Invalid("学期序号应为 1（第一学期）或 2（第二学期），不是 {value}", number)
    return number


def year_key(value: Any) -> str:
    key = _text(16)(value)
    match = re.fullmatch(r"(\d{4})-(\d{4})", key)
    if not match or int(match[2]) != int(match[1]) + 1:
        raise Invalid("学年编号 {value} 无效，应为“起始年-结束年”，如 2025-2026", key)
    return key


def _choice(options: Mapping[str, OrgKind | Role]) -> Convert:
    listed = "、".join(f"{key}（{option.label}）" for key, option in options.items())

    def convert(value: Any) -> OrgKind | Role:
        if isinstance(value, str) and value.strip() in options:
            return options[value.strip()]
        raise Invalid(f"取值 {{value}} 无效，可选：{listed}", value)

    return convert


unit_kind = _choice({k.value: k for k in OrgKind if k.is_unit})
org_kind = _choice({k.value: k for k in OrgKind})
role = _choice({r.value: r for r in Role})

REQUIRED, OPTIONAL = True, False

COLLEGE: Spec = {
    "code": (code, REQUIRED),
    "name": (name, REQUIRED),
    "member_count": (count, OPTIONAL),
    "active_from": (day, OPTIONAL),
    "active_until": (day, OPTIONAL),
}
_TERM: Spec = {"term_start": (day, OPTIONAL), "term_years": (term_years, OPTIONAL)}
UNIT: Spec = {**COLLEGE, "kind": (unit_kind, REQUIRED), **_TERM}
BRANCH: Spec = COLLEGE
ORG_ROW: Spec = {**COLLEGE, "kind": (org_kind, REQUIRED), "parent": (code, OPTIONAL), **_TERM}
PERSON: Spec = {
    "code": (code, REQUIRED),
    "name": (name, REQUIRED),
    "email": (email, OPTIONAL),
    "mobile": (mobile, OPTIONAL),
    "wecom_userid": (wecom_userid, OPTIONAL),
}
ROLE: Spec = {
    "org": (code, REQUIRED),
    "role": (role, REQUIRED),
    "from": (day, REQUIRED),
    "until": (day, OPTIONAL),
}
ROLE_ROW: Spec = {"person": (code, REQUIRED), **ROLE}
_SPAN: Spec = {"start": (day, REQUIRED), "end": (day, REQUIRED)}
YEAR: Spec = {"key": (year_key, REQUIRED), **_SPAN}
SEMESTER: Spec = {"number": (semester_number, REQUIRED), **_SPAN}
VACATION: Spec = {"name": (_text(64), REQUIRED), **_SPAN}
SEMESTER_ROW: Spec = {
    "academic_year": (year_key, REQUIRED),
    "academic_year_start": (day, REQUIRED),
    "academic_year_end": (day, REQUIRED),
    **SEMESTER,
}
VACATION_ROW: Spec = {"academic_year": (year_key, REQUIRED), **VACATION}


def read_fields(
    raw: Mapping[Any, Any],
    spec: Spec,
    place: Place,
    problems: list[ImportProblem],
    *,
    nested: Collection[str] = (),
    written: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Convert the fields of ``raw`` that ``spec`` knows; report unknown, missing and bad ones.

    ``nested`` names keys the caller reads itself (a unit's ``branches``); ``written`` gives
    what the user wrote for a field whose value in ``raw`` was read into another form (a
    worksheet cell), so that problems quote it as written.
    """
    allowed = "、".join([*spec, *nested])
    for key in raw:
        if key not in spec and key not in nested:
            problems.append(place.problem(str(key), f"未知字段 {key!r}，可用字段：{allowed}"))
    values: dict[str, Any] = {}
    for key, (convert, required) in spec.items():
        if key not in raw:
            if required:
                problems.append(place.problem(key, "缺少必填字段"))
            continue
        value = raw[key]
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                problems.append(place.problem(key, "必填字段，不能为空"))
            else:
                values[key] = None
            continue
        try:
            values[key] = convert(value)
        except Invalid as exc:
            shown = (written or {}).get(key, place.written(key))
            problems.append(place.problem(key, str(exc) if shown is None else exc.quoting(shown)))
    return values


def check_order(
    record: Record, start: str, end: str, problems: list[ImportProblem], what: str = "结束日期"
) -> None:
    """Report ``end`` before ``start`` (both inclusive, so equal is fine)."""
    first, last = record.values.get(start), record.values.get(end)
    if first is not None and last is not None and last < first:
        problems.append(record.problem(end, f"{what} {last} 早于开始日期 {first}"))


def refused(path: Path, message: str, line: int | None = None) -> Batch:
    return Batch(str(path), problems=[ImportProblem(str(path), line, "", message)])
