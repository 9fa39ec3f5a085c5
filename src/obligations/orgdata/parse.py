"""Read an import file (YAML, CSV or .xlsx) into a :class:`Batch` and check it on its own.

Checks that need the database (parents, people and years defined elsewhere) are in
:mod:`obligations.orgdata.check`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from obligations.orgdata import fields as f
from obligations.orgdata.fields import Batch, ImportProblem, Place, Record
from obligations.vocabulary import OrgKind
from obligations.yamlsource import YamlDocument

TOP_LEVEL = ("college", "units", "people", "calendar")
YAML_SUFFIXES = (".yaml", ".yml")
XLSX_SUFFIX = ".xlsx"


# --- YAML ------------------------------------------------------------------------------------


def parse_yaml(doc: YamlDocument) -> Batch:
    batch = Batch(str(doc.path))
    root = Place(str(doc.path), doc)
    data = doc.data
    if data is None:
        return batch
    if not isinstance(data, dict):
        batch.problems.append(root.problem(None, _TOP_LEVEL_HINT))
        return batch
    for key in data:
        if key not in TOP_LEVEL:
            batch.problems.append(
                root.problem(str(key), f"未知的顶层字段 {key!r}；{_TOP_LEVEL_HINT}")
            )
    college = _mapping(data.get("college"), root.child("college"), batch.problems)
    if college is not None:
        _read_college(college, root.child("college"), batch)
    for place, raw in _items(data, "units", root, batch.problems):
        _read_unit(raw, place, batch)
    for place, raw in _items(data, "people", root, batch.problems):
        _read_person(raw, place, batch)
    calendar = _mapping(data.get("calendar"), root.child("calendar"), batch.problems)
    if calendar is not None:
        for key in calendar:
            if key != "academic_years":
                message = f"未知字段 {key!r}，可用字段：academic_years"
                batch.problems.append(root.child("calendar").problem(str(key), message))
        for place, raw in _items(
            calendar, "academic_years", root.child("calendar"), batch.problems
        ):
            _read_year(raw, place, batch)
    check_duplicates(batch)
    return batch


_TOP_LEVEL_HINT = "文件顶层应为键值映射，可包含 college、units、people、calendar"


def _mapping(value: Any, place: Place, problems: list[ImportProblem]) -> dict[Any, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    problems.append(place.problem(None, "应为键值映射（字段: 值）"))
    return None


def _items(
    parent: Mapping[Any, Any], key: str, place: Place, problems: list[ImportProblem]
) -> Iterator[tuple[Place, dict[Any, Any]]]:
    """The mappings listed under ``parent[key]``, each with its place."""
    items = parent.get(key)
    if items is None:
        return
    if not isinstance(items, list):
        problems.append(place.problem(key, "应为列表（每项以 - 开头）"))
        return
    for index, raw in enumerate(items):
        item_place = place.child(key, index)
        mapping = _mapping(raw, item_place, problems)
        if mapping is not None:
            yield item_place, mapping


def _read_college(raw: Mapping[Any, Any], place: Place, batch: Batch) -> None:
    values = f.read_fields(raw, f.COLLEGE, place, batch.problems)
    _add_org(Record(place, {**values, "kind": OrgKind.COLLEGE, "parent": None}), batch)


def _read_unit(raw: Mapping[Any, Any], place: Place, batch: Batch) -> None:
    # A unit's parent is always the college; it is resolved against the file and the database.
    unit = Record(place, f.read_fields(raw, f.UNIT, place, batch.problems, nested=["branches"]))
    _add_org(unit, batch)
    for branch_place, branch_raw in _items(raw, "branches", place, batch.problems):
        values = f.read_fields(branch_raw, f.BRANCH, branch_place, batch.problems)
        values["kind"] = OrgKind.BRANCH
        if "code" in unit.values:
            values["parent"] = unit.values["code"]
        _add_org(Record(branch_place, values), batch)


def _add_org(record: Record, batch: Batch) -> None:
    f.check_order(record, "active_from", "active_until", batch.problems, "停用日期")
    batch.orgs.append(record)


def _read_person(raw: Mapping[Any, Any], place: Place, batch: Batch) -> None:
    person = Record(place, f.read_fields(raw, f.PERSON, place, batch.problems, nested=["roles"]))
    batch.people.append(person)
    for role_place, role_raw in _items(raw, "roles", place, batch.problems):
        values = f.read_fields(role_raw, f.ROLE, role_place, batch.problems)
        if "code" in person.values:
            values["person"] = person.values["code"]
        _add_role(Record(role_place, values), batch)


def _add_role(record: Record, batch: Batch) -> None:
    f.check_order(record, "from", "until", batch.problems, "任职截止日期")
    batch.roles.append(record)


def _read_year(raw: Mapping[Any, Any], place: Place, batch: Batch) -> None:
    nested = ["semesters", "vacations"]
    year = Record(place, f.read_fields(raw, f.YEAR, place, batch.problems, nested=nested))
    f.check_order(year, "start", "end", batch.problems)
    batch.years.append(year)
    for key, spec, target in (
        ("semesters", f.SEMESTER, batch.semesters),
        ("vacations", f.VACATION, batch.vacations),
    ):
        for item_place, item_raw in _items(raw, key, place, batch.problems):
            values = f.read_fields(item_raw, spec, item_place, batch.problems)
            if "key" in year.values:
                values["year"] = year.values["key"]
            record = Record(item_place, values)
            f.check_order(record, "start", "end", batch.problems)
            target.append(record)


# --- CSV -------------------------------------------------------------------------------------

RowReader = Callable[[Mapping[str, str], Place, Batch], None]


def _org_row(raw: Mapping[str, str], place: Place, batch: Batch) -> None:
    _add_org(Record(place, f.read_fields(raw, f.ORG_ROW, place, batch.problems)), batch)


def _person_row(raw: Mapping[str, str], place: Place, batch: Batch) -> None:
    batch.people.append(Record(place, f.read_fields(raw, f.PERSON, place, batch.problems)))


def _role_row(raw: Mapping[str, str], place: Place, batch: Batch) -> None:
    _add_role(Record(place, f.read_fields(raw, f.ROLE_ROW, place, batch.problems)), batch)


_YEAR_COLUMNS = {"key": "academic_year", "start": "academic_year_start", "end": "academic_year_end"}


def _semester_row(raw: Mapping[str, str], place: Place, batch: Batch) -> None:
    values = f.read_fields(raw, f.SEMESTER_ROW, place, batch.problems)
    year_values = {k: values[column] for k, column in _YEAR_COLUMNS.items() if column in values}
    values.pop("academic_year_start", None)
    values.pop("academic_year_end", None)
    _add_csv_year(Record(place, year_values, _YEAR_COLUMNS), batch)
    _add_dated(batch.semesters, values, place, batch)


def _vacation_row(raw: Mapping[str, str], place: Place, batch: Batch) -> None:
    _add_dated(
        batch.vacations, f.read_fields(raw, f.VACATION_ROW, place, batch.problems), place, batch
    )


def _add_dated(target: list[Record], values: dict[str, Any], place: Place, batch: Batch) -> None:
    if "academic_year" in values:
        values["year"] = values.pop("academic_year")
    record = Record(place, values, {"year": "academic_year"})
    f.check_order(record, "start", "end", batch.problems)
    target.append(record)


def _add_csv_year(year: Record, batch: Batch) -> None:
    """Every semester row repeats its academic year: keep the first, and check the others agree."""
    if "key" not in year.values:
        return
    first = next((y for y in batch.years if y.values["key"] == year.values["key"]), None)
    if first is None:
        f.check_order(year, "start", "end", batch.problems)
        batch.years.append(year)
        return
    for name in ("start", "end"):
        if name in year.values and year.values[name] != first.values.get(name):
            message = (
                f"同一学年 {year.values['key']} 的起止日期应一致，"
                f"第 {first.line()} 行为 {first.values.get(name)}"
            )
            batch.problems.append(year.problem(name, message))


CSV_KINDS: dict[str, tuple[tuple[str, ...], RowReader]] = {
    "组织": (tuple(f.ORG_ROW), _org_row),
    "人员": (tuple(f.PERSON), _person_row),
    "职务": (tuple(f.ROLE_ROW), _role_row),
    "学期": (tuple(f.SEMESTER_ROW), _semester_row),
    "假期": (tuple(f.VACATION_ROW), _vacation_row),
}
CSV_HEADERS = {
    "组织": "code,name,kind,parent,member_count,term_start,term_years,active_from,active_until",
    "人员": "code,name,email,mobile,wecom_userid",
    "职务": "person,org,role,from,until",
    "学期": "academic_year,academic_year_start,academic_year_end,number,start,end",
    "假期": "academic_year,name,start,end",
}


def parse_csv(file: str, text: str) -> Batch:
    """One file holds one kind of record, recognised by its header row (columns in any order)."""
    batch = Batch(file)
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        batch.problems.append(ImportProblem(file, 1, "", "文件为空，缺少表头"))
        return batch
    columns = [column.strip() for column in header]
    read_row = next((read for cols, read in CSV_KINDS.values() if set(cols) == set(columns)), None)
    if read_row is None or len(set(columns)) != len(columns):
        accepted = "\n".join(f"  {kind}：{line}" for kind, line in CSV_HEADERS.items())
        message = f"无法识别的表头 {','.join(columns)}；可用的表头：\n{accepted}"
        batch.problems.append(ImportProblem(file, reader.line_num, "", message))
        return batch
    try:
        for row in reader:
            _read_row(row, columns, read_row, Place(file, row=reader.line_num), batch)
    except csv.Error as exc:
        batch.problems.append(ImportProblem(file, reader.line_num, "", f"CSV 格式错误：{exc}"))
    check_duplicates(batch)
    return batch


def _read_row(
    row: list[str], columns: list[str], read_row: RowReader, place: Place, batch: Batch
) -> None:
    if not any(cell.strip() for cell in row):
        return
    if len(row) != len(columns):
        message = f"此行有 {len(row)} 列，表头有 {len(columns)} 列"
        batch.problems.append(place.problem(None, message))
        return
    read_row(dict(zip(columns, row, strict=True)), place, batch)


# --- checks within one file ------------------------------------------------------------------


def check_duplicates(batch: Batch) -> None:
    _duplicates(batch.orgs, ("code",), "code", "组织编码 {0} 重复", batch.problems)
    _duplicates(batch.people, ("code",), "code", "人员编号 {0} 重复", batch.problems)
    _duplicates(
        batch.roles,
        ("person", "org", "role", "from"),
        "role",
        "同一人员 {0} 在 {1} 自 {3} 起的职务 {2} 重复",
        batch.problems,
    )
    _duplicates(batch.years, ("key",), "key", "学年 {0} 重复", batch.problems)
    _duplicates(batch.semesters, ("year", "number"), "number", "{0} 第{1}学期重复", batch.problems)
    _duplicates(batch.vacations, ("year", "name"), "name", "{0} 的假期 {1} 重复", batch.problems)


def _duplicates(
    records: list[Record],
    key_fields: tuple[str, ...],
    field: str,
    message: str,
    problems: list[ImportProblem],
) -> None:
    seen: dict[tuple[Any, ...], Record] = {}
    for record in records:
        key = tuple(record.values.get(name) for name in key_fields)
        if None in key:
            continue
        first = seen.setdefault(key, record)
        if first is not record:
            text = message.format(*(getattr(part, "label", part) for part in key))
            problems.append(record.problem(field, f"{text}，{first.where(field)}已有"))
