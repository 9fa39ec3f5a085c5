"""Wording shared by the ledger's composition: dates, periods, numbers and the parts of a row.

Pure functions; the ledger is a Chinese form, so every string here is user-facing Chinese.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

MAX_LISTED_DATES = 24  # past this, a list of dates ends with "等"
_CN_NUMBERS = "零一二三四五六七八九十"


@dataclass(frozen=True)
class Part:
    """What one source (a rule, a metric, a check, the standing evidence) says about an item."""

    lines: tuple[str, ...] = ()  # for 落实情况
    brief: str = ""  # the same in a few words, for a cell over its length budget
    terse: str = ""  # fewer words still (no topics, no attendance), if ``brief`` is too long
    gaps: tuple[str, ...] = ()  # for 存在的主要差距
    failed: bool = False  # a task missed, a threshold or a check not met (未达标)
    evidence: int = 0  # evidence records behind it (an item with none may be 待补充)
    incomplete: bool = False  # information is missing, named in ``gaps`` (待补充)
    cited: tuple[int, ...] = ()  # the evidence catalogue's 序号 behind it (cited by ``lines``)
    gap_brief: str = ""  # ``gaps`` summarised (counts, worst offenders), for a cell over budget
    gap_terse: str = ""  # the same with counts only (no periods named)
    late: int = 0  # tasks recorded after their due date (counted in the summary once per item)
    pending: int = 0  # activities held whose material awaits review
    until: date | None = None  # the last due date of its tasks not yet due, if any


def day_text(day: date, plain_year: int | None = None) -> str:
    """2026年1月9日, or 1月9日 in ``plain_year`` (the ledger's year, when it covers one)."""
    prefix = "" if day.year == plain_year else f"{day.year}年"
    return f"{prefix}{day.month}月{day.day}日"


def dates_text(days: Iterable[date], plain_year: int | None = None) -> str:
    """Sorted dates joined with 、; a long list is cut with 等."""
    ordered = sorted(days)
    shown = [day_text(d, plain_year) for d in ordered[:MAX_LISTED_DATES]]
    more = "等" if len(ordered) > MAX_LISTED_DATES else ""
    return "、".join(shown) + more


def months_text(days: Iterable[date], plain_year: int | None = None) -> str:
    """The months of ``days`` as ranges, 1—2月、4—12月, when they all lie in ``plain_year``;
    otherwise the dates (:func:`dates_text`)."""
    ordered = sorted(days)
    if not ordered or any(d.year != plain_year for d in ordered):
        return dates_text(ordered, plain_year)
    months = sorted({d.month for d in ordered})
    runs: list[list[int]] = []
    for month in months:
        if runs and runs[-1][-1] == month - 1:
            runs[-1].append(month)
        else:
            runs.append([month])
    return "、".join(f"{r[0]}月" if len(r) == 1 else f"{r[0]}—{r[-1]}月" for r in runs)


def number_text(value: Decimal | float | int) -> str:
    """12, 34.5, 3.33: no trailing zeros, at most two decimals."""
    quantized = Decimal(str(value)).quantize(Decimal("0.01"))
    text = f"{quantized:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


MAX_CITED_RUNS = 4  # past this many separate ranges, a citation ends with 等


def cited(numbers: Iterable[int]) -> str:
    """The evidence catalogue's 序号 as a citation: 目录第12项, 目录第12、13项,
    目录第12—23项, 目录第3、5—7项; empty for no numbers."""
    runs: list[list[int]] = []
    for number in sorted(set(numbers)):
        if runs and runs[-1][-1] == number - 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    if not runs:
        return ""
    shown = [_run(r) for r in runs[:MAX_CITED_RUNS]]
    more = "等" if len(runs) > MAX_CITED_RUNS else ""
    return f"目录第{'、'.join(shown)}项{more}"


# What a title starts with that says when, not what: 2026年、2026年度、2025-2026学年、
# 第一学期、上半年、3月、3月12日.
_WHEN_WORDS = re.compile(
    r"^(?:\d{4}(?:[-—]\d{4})?(?:年度|学年|年|届)?)?(?:第[一二三四1-4](?:季度|学期))?"
    r"(?:[上下]半年)?(?:\d{1,2}月份?(?:\d{1,2}日)?)?"
)
_TOPIC_SEPARATORS = ("：", ":", "——")
_TOPIC_LEADS = ("主题为", "主题是", "主题", "专题")
MAX_TOPIC = 30  # characters: a longer topic is not quoted in a cell (the catalogue has it)


def topic_of(title: str, name: str) -> str:
    """What an activity was about, from its recorded title: the text after a colon
    (“3月中心组理论学习：学习全国教育大会精神” gives 学习全国教育大会精神), else the title
    without its dates when it says more than the activity's ``name`` (“2026年度班子成员
    民主生活会” says nothing more than 班子成员民主生活会 and gives ""). Pure."""
    text = title.strip()
    for separator in _TOPIC_SEPARATORS:
        if separator in text:
            topic = text.split(separator, 1)[1].strip(" ，,。")
            for lead in _TOPIC_LEADS:
                topic = topic.removeprefix(lead).lstrip("：: ")
            if topic.startswith("以") and topic.endswith("为主题"):  # 以……为主题
                topic = topic[1:].removesuffix("为主题")
            return topic if len(topic) <= MAX_TOPIC else ""
    rest = _WHEN_WORDS.sub("", text).strip(" ，,、。")
    if not rest or len(rest) > MAX_TOPIC or _says_only(rest, name):
        return ""
    return rest


_PLAIN_WORDS = ("活动", "会议", "学习", "记录", "材料", "纪要", "签到表", "照片", "情况", "开展")


def _says_only(text: str, name: str) -> bool:
    """Whether ``text`` is the activity's name in other words: it holds the name, or all but
    one of its characters are the name's or plain words' (中心组学习 for 中心组理论学习,
    活动记录 for anything)."""
    if name in text:
        return True
    for word in _PLAIN_WORDS:
        text = text.replace(word, "")
    return sum(1 for char in text if char not in name) < 2


def topics_text(topics: Sequence[str], limit: int) -> str:
    """，主题为X / ，主题包括X、Y等: the distinct topics in order, at most ``limit``."""
    distinct = list(dict.fromkeys(t for t in topics if t))
    if not distinct:
        return ""
    if len(distinct) == 1:
        return f"，主题为{distinct[0]}"
    more = "等" if len(distinct) > limit else ""
    return f"，主题包括{'、'.join(distinct[:limit])}{more}"


def _run(run: Sequence[int]) -> str:
    """12, 12、13 or 12—14."""
    return "、".join(map(str, run)) if len(run) <= 2 else f"{run[0]}—{run[-1]}"


def joined(parts: Sequence[str], separator: str = "、") -> str:
    return separator.join(p for p in parts if p)


def short_branch_name(branch: str, unit: str) -> str:
    """A branch named inside its unit's ledger without the unit's prefix: 学生第三党支部 for
    机电工程学院学生第三党支部 in 机电工程学院党总支 (the name itself if nothing is left)."""
    prefix = unit.removesuffix("党总支").removesuffix("直属党支部")
    short = branch.removeprefix(prefix) if prefix else branch
    return short.strip() or branch
