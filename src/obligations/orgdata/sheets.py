"""The worksheets of the Excel import workbook, read by the importer and by the template.

Each sheet holds one kind of record under a row of Chinese headers, the same records the YAML
format nests (a unit's branches, a person's roles, a year's semesters) laid out flat. A header
that is missing leaves that field alone on update, like an absent YAML key; an empty cell
clears it. Every sheet ends with a 备注 column the import ignores; the template's example row
carries :data:`EXAMPLE_NOTE` there and is skipped while it is left as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from obligations.orgdata import fields as f
from obligations.orgdata.fields import Convert, Invalid, Spec
from obligations.vocabulary import OrgKind, Role

NOTE_HEADER = "备注"
EXAMPLE_NOTE = "示例行：原样保留时导入会跳过，可改写或删除"
GUIDE_SHEET = "说明"


def _labelled(options: Iterable[OrgKind | Role]) -> tuple[Convert, tuple[str, ...]]:
    """A converter accepting an option's Chinese label (or its code), and the labels."""
    listed = tuple(options)
    by_text = {o.label: o for o in listed} | {o.value: o for o in listed}
    labels = tuple(o.label for o in listed)

    def convert(value: Any) -> OrgKind | Role:
        if isinstance(value, str) and value.strip() in by_text:
            return by_text[value.strip()]
        raise Invalid(f"取值 {{value}} 无效，可选：{'、'.join(labels)}", value)

    return convert, labels


unit_kind, UNIT_KINDS = _labelled(k for k in OrgKind if k.is_unit)
role, ROLES = _labelled(Role)


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    convert: Convert
    required: bool
    note: str
    example: Any = None
    width: int = 14
    choices: tuple[str, ...] = ()  # offered as a drop-down list in the template

    @property
    def is_date(self) -> bool:
        return self.convert is f.day

    @property
    def is_text(self) -> bool:
        """Codes and names: the template formats the column as text so 0101 stays 0101."""
        return not self.is_date and not self.choices and self.field not in _NUMBERS


_NUMBERS = {"member_count", "term_years", "number"}


@dataclass(frozen=True)
class Sheet:
    name: str
    target: str  # the Batch list its records go to
    columns: tuple[Column, ...]
    note: str
    fixed: Mapping[str, Any] = field(default_factory=dict)  # set on every record
    order: tuple[str, str, str] | None = None  # (start, end, what the end is called)

    @property
    def spec(self) -> Spec:
        return {c.field: (c.convert, c.required) for c in self.columns}

    def column(self, header: str) -> Column | None:
        return next((c for c in self.columns if c.header == header), None)


def _c(
    field: str, header: str, convert: Convert, required: bool, note: str, example: Any, **kw: Any
) -> Column:
    return Column(field, header, convert, required, note, example, **kw)


_REQ, _OPT = f.REQUIRED, f.OPTIONAL
_ACTIVE = (
    _c("active_from", "启用日期", f.day, _OPT, "组织成立或启用之日；留空表示一直有效", None),
    _c("active_until", "停用日期", f.day, _OPT, "组织撤销或停用之日（含当日）", None),
)
_MEMBERS = "党员人数，用于台账中设置标准的检查"
_DATES = ("start", "end", "结束日期")

SHEETS: tuple[Sheet, ...] = (
    Sheet(
        "学校党委",
        "orgs",
        (
            _c("code", "编码", f.code, _REQ, "学校党委的编码，如 AHVTC", "SL", width=12),
            _c("name", "名称", f.name, _REQ, "全称", "示例学院党委", width=28),
            _c("member_count", "党员人数", f.count, _OPT, _MEMBERS, None, width=10),
            *_ACTIVE,
        ),
        "只填一行；数据库中已有学校党委时可不填此表",
        fixed={"kind": OrgKind.COLLEGE, "parent": None},
        order=("active_from", "active_until", "停用日期"),
    ),
    Sheet(
        "单位",
        "orgs",
        (
            _c("code", "编码", f.code, _REQ, "单位编码，全校唯一，如 U01", "SL-U01", width=12),
            _c("name", "名称", f.name, _REQ, "全称", "示例学院党总支", width=28),
            _c(
                "kind",
                "类型",
                unit_kind,
                _REQ,
                "从下拉列表选择：" + "、".join(UNIT_KINDS),
                OrgKind.GENERAL_BRANCH.label,
                width=12,
                choices=UNIT_KINDS,
            ),
            _c("member_count", "党员人数", f.count, _OPT, _MEMBERS, 80, width=10),
            _c("term_start", "任期开始", f.day, _OPT, "本届委员会选举产生之日", date(2024, 6, 18)),
            _c(
                "term_years",
                "任期年限",
                f.term_years,
                _OPT,
                "3 或 4（年）",
                3,
                width=10,
                choices=("3", "4"),
            ),
            *_ACTIVE,
        ),
        "学校党委下设的党总支和直属党支部，上级自动为学校党委",
        order=("active_from", "active_until", "停用日期"),
    ),
    Sheet(
        "党支部",
        "orgs",
        (
            _c(
                "parent",
                "所属单位编码",
                f.code,
                _REQ,
                "所属党总支或直属党支部的编码（见“单位”表或数据库）",
                "SL-U01",
            ),
            _c("code", "编码", f.code, _REQ, "党支部编码，全校唯一，如 U01-B01", "SL-U01-B01"),
            _c("name", "名称", f.name, _REQ, "全称", "示例学院教工党支部", width=28),
            _c("member_count", "党员人数", f.count, _OPT, _MEMBERS, 25, width=10),
            *_ACTIVE,
        ),
        "党总支或直属党支部下设的党支部",
        fixed={"kind": OrgKind.BRANCH},
        order=("active_from", "active_until", "停用日期"),
    ),
    Sheet(
        "人员",
        "people",
        (
            _c("code", "编号", f.code, _REQ, "人员编号（如工号），全校唯一", "SL0001", width=12),
            _c("name", "姓名", f.name, _REQ, "姓名", "张三（示例）", width=14),
            _c("email", "邮箱", f.email, _OPT, "接收提醒的邮箱", "zs@example.edu.cn", width=28),
            _c("mobile", "手机", f.mobile, _OPT, "手机号码", "13800000000", width=16),
            _c("wecom_userid", "企业微信账号", f.wecom_userid, _OPT, "企业微信 UserID", "zhangsan"),
        ),
        "书记、委员等需要接收任务和提醒的人员",
    ),
    Sheet(
        "职务",
        "roles",
        (
            _c("person", "人员编号", f.code, _REQ, "见“人员”表或数据库", "SL0001", width=12),
            _c("org", "组织编码", f.code, _REQ, "任职的学校党委、单位或党支部的编码", "SL-U01"),
            _c(
                "role",
                "职务",
                role,
                _REQ,
                "从下拉列表选择：" + "、".join(ROLES),
                Role.SECRETARY.label,
                width=12,
                choices=ROLES,
            ),
            _c("from", "任职日期", f.day, _REQ, "开始任职之日", date(2024, 6, 18)),
            _c("until", "截止日期", f.day, _OPT, "卸任之日（含当日）；仍在任留空", None),
        ),
        "每行一项任职；同一人在同一组织自同一日期起的同一职务只能有一行",
        order=("from", "until", "任职截止日期"),
    ),
    Sheet(
        "学年",
        "years",
        (
            _c("key", "学年", f.year_key, _REQ, "起始年-结束年，如 2025-2026", "2099-2100"),
            _c("start", "开始日期", f.day, _REQ, "学年第一天", date(2099, 9, 1)),
            _c("end", "结束日期", f.day, _REQ, "学年最后一天（含当日）", date(2100, 8, 31)),
        ),
        "校历中的学年，学年之间不能重叠",
        order=_DATES,
    ),
    Sheet(
        "学期",
        "semesters",
        (
            _c("year", "学年", f.year_key, _REQ, "见“学年”表或数据库", "2099-2100"),
            _c(
                "number",
                "学期",
                f.semester_number,
                _REQ,
                "1（第一学期）或 2（第二学期）",
                1,
                width=8,
                choices=("1", "2"),
            ),
            _c("start", "开始日期", f.day, _REQ, "开学之日", date(2099, 9, 7)),
            _c("end", "结束日期", f.day, _REQ, "学期最后一天（含当日）", date(2100, 1, 22)),
        ),
        "每个学年的两个学期，须在学年之内且互不重叠",
        order=_DATES,
    ),
    Sheet(
        "假期",
        "vacations",
        (
            _c("year", "学年", f.year_key, _REQ, "见“学年”表或数据库", "2099-2100"),
            _c("name", "名称", f.name, _REQ, "如 寒假、暑假", "寒假", width=10),
            _c("start", "开始日期", f.day, _REQ, "假期第一天", date(2100, 1, 23)),
            _c("end", "结束日期", f.day, _REQ, "假期最后一天（含当日）", date(2100, 2, 21)),
        ),
        "寒暑假等，须在学年之内",
        order=_DATES,
    ),
)
SHEETS_BY_NAME = {sheet.name: sheet for sheet in SHEETS}
