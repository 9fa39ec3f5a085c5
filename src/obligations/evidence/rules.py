"""What a piece of evidence must satisfy before it is recorded: pure checks, Chinese messages.

Each function returns the problem as text (what is wrong and what is allowed), or None.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

MAX_PARTICIPANTS = 100_000
MAX_HOURS = Decimal("1000")


def held_on_problem(held_on: date, period_start: date, period_end: date, today: date) -> str | None:
    """An activity counts for a task only if it was held inside the task's period, and no
    activity can have been held after today."""
    if held_on > today:
        return f"活动日期 {held_on} 晚于今天（{today}），请填写活动实际举行的日期"
    if not period_start <= held_on <= period_end:
        return (
            f"活动日期 {held_on} 不在该任务的周期内（{period_start} 至 {period_end}）；"
            "请登记到对应周期的任务，或修改活动日期"
        )
    return None


def file_problem(
    file_count: int, *, file_required: bool, allowed: str, max_size: str
) -> str | None:
    """A record of a task whose rule requires a file (``Rule.file_required``) must carry one:
    without it the activity is told but not proven, and the record would not count.
    ``allowed`` and ``max_size`` are the deployment's file types and size limit, as text."""
    if file_count or not file_required:
        return None
    return (
        "该任务须附佐证材料文件，未附文件的登记不计入完成：请上传会议记录、签到表、照片或通知文件"
        f"等材料后再登记（允许的文件类型：{allowed}；单个文件不超过 {max_size}）"
    )


def participants_problem(value: int | None) -> str | None:
    if value is None or 0 <= value <= MAX_PARTICIPANTS:
        return None
    return f"参加人数 {value} 无效：应为 0 至 {MAX_PARTICIPANTS} 之间的整数"


def parse_hours(value: str | Decimal | float | None) -> tuple[Decimal | None, str | None]:
    """Class hours as a decimal with one place, or the problem."""
    if value is None or value == "":
        return None, None
    try:
        hours = Decimal(str(value))
    except InvalidOperation:
        return None, f"学时“{value}”不是数字：应为大于 0 的数，最多一位小数，如 2 或 1.5"
    if not hours.is_finite() or hours <= 0 or hours > MAX_HOURS:
        return None, f"学时 {value} 无效：应大于 0 且不超过 {MAX_HOURS}"
    if hours != hours.quantize(Decimal("0.1")):
        return None, f"学时 {value} 无效：最多一位小数，如 1.5"
    return hours.quantize(Decimal("0.1")), None


def year_problem(held_on: date, year: int, today: date) -> str | None:
    """Standing evidence is filed for a calendar year and must have been held in it."""
    if held_on > today:
        return f"活动日期 {held_on} 晚于今天（{today}），请填写活动实际举行的日期"
    if held_on.year != year:
        return f"活动日期 {held_on} 不在 {year} 年内；常备材料按年度登记，请改为 {held_on.year} 年"
    return None
