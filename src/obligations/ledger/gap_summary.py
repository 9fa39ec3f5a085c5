"""The gaps of a rule in the register of a department's summary, for a cell over its budget.

A rule rolled up over five branches may miss a dozen branch-months; the printed cell names the
total, the worst offenders and how the rest are spread (支部委员会会议未开展7次（学生第三党支部
5月、8月、9月、11月，其余3个支部各1次）), while every branch-month stays in the ledger's detail
annex (:func:`obligations.ledger.items.gap_details`). Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Shortfall:
    """What one owner (a branch, a person, or "" for the unit itself) left undone."""

    owner: str
    periods: str  # the periods missed in words: 5月、8月
    count: int  # activities missing (a task's minimum less what was held for it)


def missed_summary(
    shortfalls: Sequence[Shortfall], *, verb: str, unit_word: str, person: bool, months: bool
) -> str:
    """未开展7次（学生第三党支部5月、8月、9月、11月，其余3个支部各1次）: the total, the
    owners missing the most (by their periods, or with ``months=False`` by their count) and
    the others as one count; one owner alone: 学生第三党支部7月、8月未开展. Empty if nothing
    is missing. The counts add up to the total."""
    shortfalls = [s for s in shortfalls if s.count > 0]
    if not shortfalls:
        return ""
    if len(shortfalls) == 1:
        only = shortfalls[0]
        if months or not only.owner:
            return f"{only.owner}{only.periods}未{verb}"
        return f"{only.owner}未{verb}{only.count}{unit_word}"
    total = sum(s.count for s in shortfalls)
    most = max(s.count for s in shortfalls)
    worst = [s for s in shortfalls if s.count == most]
    others = [s for s in shortfalls if s.count < most]
    kind = "人" if person else "个支部"
    if len(worst) == 1:
        one = worst[0]
        named = f"{one.owner}{one.periods}" if months else f"{one.owner}{one.count}{unit_word}"
    elif not others:
        named = f"{len(worst)}{kind}各{most}{unit_word}"
    else:
        named = f"{'、'.join(s.owner for s in worst)}各{most}{unit_word}"
    rest = ""
    if others:
        counts = {s.count for s in others}
        spread = (
            f"各{counts.pop()}{unit_word}"
            if len(counts) == 1
            else f"共{sum(s.count for s in others)}{unit_word}"
        )
        rest = f"，其余{len(others)}{kind}{spread}"
    return f"未{verb}{total}{unit_word}（{named}{rest}）"


def rule_gap_brief(title: str, missed: str, *, returned: int, unfiled: int) -> str:
    """支部委员会会议未开展7次（…），1次材料被退回: the rule's gaps but its late
    registrations and pending reviews (the item counts those once for all its rules)."""
    words = [missed] if missed else []
    if returned:
        words.append(f"{returned}次材料被退回待重新提交")
    if unfiled:
        words.append(f"{unfiled}次未附佐证材料")
    if not words:
        return ""
    joiner = "" if missed.startswith("未") else "："
    return title + joiner + "，".join(words)
