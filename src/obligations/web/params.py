"""The one place the web's numeric path and query parameters are bounded, and the words an
out-of-range value is refused with.

Ids are the database's INTEGER primary keys: PostgreSQL's INTEGER holds 1..2^31-1 (a larger
number raises "integer out of range" in the driver) and SQLite's at most 2^63-1 (a larger
one overflows in the driver), so every id is checked against the smaller range before any
query is made. Years are those a ledger may cover (:data:`~obligations.ledger.period.FIRST_YEAR`
to :data:`~obligations.ledger.period.LAST_YEAR`).

Used by every route: a path value out of range is a page that does not exist (404, see
:func:`is_path_error`); a query value out of range is a bad request (400 with
:func:`describe` for pages, 422 with the details for the API).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import Path, Query

from obligations.ledger.period import FIRST_YEAR, LAST_YEAR

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER, the type of every id column
MAX_PAGE = 100_000

RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
"""A task, evidence record or other row id in a path: 1..2^31-1."""

Position = Annotated[int, Path(ge=1, le=MAX_ID)]
"""A file's number within its evidence record (1, 2, ...)."""

YearPath = Annotated[int, Path(ge=FIRST_YEAR, le=LAST_YEAR)]
"""A ledger or dashboard year in a path."""

YEAR_QUERY: Any = Query(default=None, ge=FIRST_YEAR, le=LAST_YEAR)
"""An optional ``?year=`` (default: the current year)."""

# What a query parameter is called on the page, for the message naming it.
LABELS = {
    "year": "年度",
    "page": "页码",
    "limit": "每页条数",
    "offset": "起始位置",
    "state": "状态",
    "item": "台账条目",
    "branch": "支部",
    "period": "周期",
    "q": "搜索词",
    "sort": "排序",
    "urgency": "紧急程度",
    "all": "显示全部",
    "failures": "仅看失败",
    "narrative": "落实情况",
    "measures": "措施",
    "reason": "原因",
    "decision": "审核结论",
    "csrf_token": "表单校验码",
    "confirm": "确认",
    "to": "收件人",
    "channel": "提醒渠道",
    "unit": "单位",
    "username": "用户名",
    "password": "密码",
    "next": "跳转地址",
    "name": "令牌名称",
    "title": "标题",
    "kind": "材料类型",
    "notes": "备注",
}

# A field whose label depends on the form it is in: (last part of the address, field) -> label,
# the words the form itself shows.
FORM_LABELS = {
    ("waive", "reason"): "豁免原因",
    ("withdraw", "reason"): "撤回原因",
    ("review", "reason"): "退回原因",
}


def label_of(name: str, path: str = "") -> str:
    """The Chinese label of the form or query field ``name`` as the page shows it (on the form
    at ``path`` when its label depends on the form); never the field's English name."""
    last = path.rstrip("/").rsplit("/", 1)[-1]
    if last.isdigit():  # /review/{id}
        last = path.rstrip("/").rsplit("/", 2)[-2]
    return FORM_LABELS.get((last, name)) or LABELS.get(name, "填写的内容")


def is_path_error(errors: Sequence[Any]) -> bool:
    """Whether a request validation failure is about the path (the address names no page)."""
    return any(isinstance(e, dict) and tuple(e.get("loc", ()))[:1] == ("path",) for e in errors)


def not_found(errors: Sequence[Any]) -> str:
    """A Chinese sentence for an address whose path holds a value out of range, e.g.
    "页面不存在：年份 1999 不在可用范围内（2000 到 2100）"."""
    for error in errors:
        loc = tuple(error.get("loc", ())) if isinstance(error, dict) else ()
        if loc[:1] != ("path",):
            continue
        name, received = str(loc[-1]), str(error.get("input", ""))[:40]
        if name == "year":
            return f"页面不存在：年份 {received} 不在可用范围内（{FIRST_YEAR} 到 {LAST_YEAR}）"
        return f"页面不存在：地址中的编号 {received} 无效（应为 1 到 {MAX_ID} 之间的整数）"
    return "页面不存在：地址有误，请从页面上的链接进入"


def describe(errors: Sequence[Any], path: str = "") -> str:
    """A Chinese sentence naming the first refused parameter (by its label on the form at
    ``path``) and what it allows, e.g. "年度应在 2000 到 2100 之间（收到 99999）"."""
    for error in errors:
        if not isinstance(error, dict):
            continue
        loc = tuple(error.get("loc", ()))
        name = str(loc[-1]) if loc else ""
        label = label_of(name, path) if name else "参数"
        ctx = error.get("ctx") or {}
        received = str(error.get("input", ""))[:40]
        low, high = ctx.get("ge"), ctx.get("le")
        if name == "year":  # pydantic names only the bound that failed
            low, high = FIRST_YEAR, LAST_YEAR
        if low is not None or high is not None:
            if low is not None and high is not None:
                bounds = f"应在 {low} 到 {high} 之间"
            else:
                bounds = f"应不小于 {low}" if low is not None else f"应不大于 {high}"
            return f"{label}{bounds}（收到 {received}），请修改后重试"
        if str(error.get("type", "")).startswith(("int_", "float_")):
            return f"{label}应为数字（收到 {received}），请修改后重试"
        if "max_length" in ctx:
            return f"{label}过长：最多 {ctx['max_length']} 个字符，请修改后重试"
        return f"{label}的值无效（收到 {received}），请修改后重试"
    return "请求参数有误，请检查后重试"
