"""How the demo's records are titled and what they report (participants, hours), as a
secretary would write them: "2026年10月主题党日：学习贯彻党的二十届四中全会精神"."""

from __future__ import annotations

import random
from datetime import date

TOPICS = (
    "学习贯彻党的二十届四中全会精神",
    "深入学习习近平新时代中国特色社会主义思想",
    "学习《中国共产党纪律处分条例》",
    "弘扬教育家精神，争做“四有”好老师",
    "重温入党誓词，参观革命纪念馆",
    "开展“学雷锋”志愿服务",
    "学习全国教育大会精神",
    "纪念中国共产党成立105周年",
    "深入贯彻中央八项规定精神学习教育",
    "学习《中国共产党支部工作条例（试行）》",
    "校园安全与意识形态工作专题学习",
    "深化产教融合、服务地方发展专题研讨",
)
AGENDAS = (
    "研究本月主题党日安排",
    "讨论入党积极分子培养考察情况",
    "研究党费收缴与公示工作",
    "研究党员教育培训计划",
    "讨论发展对象政治审查情况",
    "研究组织生活会准备工作",
)

_MONTHLY = {
    "theme-party-day": "{y}年{m}月主题党日：{topic}",
    "party-group-meeting": "{m}月党小组会：{topic}",
    "branch-committee-meeting": "{m}月支委会：{agenda}",
    "central-group-study": "{m}月中心组理论学习：{topic}",
    "staff-political-study": "{m}月教职工政治学习：{topic}",
    "branch-general-meeting": "{y}年第{q}季度支部党员大会：{agenda}",
    "branch-party-lecture": "{y}年第{q}季度支部党课：{topic}",
    "committee-party-lecture": "班子成员讲党课：{topic}",
}

_PARTICIPANTS = {
    "theme-party-day": (12, 36),
    "party-group-meeting": (5, 12),
    "branch-committee-meeting": (3, 5),
    "branch-general-meeting": (15, 40),
    "branch-party-lecture": (15, 40),
    "central-group-study": (7, 12),
    "staff-political-study": (30, 80),
    "organizational-life-meeting": (15, 40),
    "member-democratic-review": (15, 40),
    "democratic-life-meeting": (5, 7),
    "committee-party-lecture": (20, 60),
    "ideological-lesson": (40, 120),
}

_TRAININGS = ("committee-training", "branch-secretary-training")


def activity_title(rule_id: str, rule_title: str, held_on: date, rng: random.Random) -> str:
    """The record's title: the meeting, its month (or quarter) and its topic or agenda."""
    pattern = _MONTHLY.get(rule_id, "{y}年{m}月{title}")
    return pattern.format(
        y=held_on.year,
        m=held_on.month,
        q=(held_on.month - 1) // 3 + 1,
        topic=rng.choice(TOPICS),
        agenda=rng.choice(AGENDAS),
        title=rule_title,
    )


def participants_of(rule_id: str, rng: random.Random) -> int | None:
    """How many took part in a meeting (``None`` for work that is not a meeting)."""
    bounds = _PARTICIPANTS.get(rule_id)
    return rng.randint(*bounds) if bounds else None


def hours_of(rule_id: str, rng: random.Random) -> str | None:
    """The hours of a training (``None`` for anything else)."""
    return rng.choice(("8", "16", "24")) if rule_id in _TRAININGS else None
