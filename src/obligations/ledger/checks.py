"""Structural checks (indicators.yaml ``checks``) evaluated on a unit's own data.

Each built-in check id maps to one function taking the unit's facts and the check's params and
returning a :class:`Part`: a line for 落实情况 and, when it does not hold, a gap.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta

from obligations.ledger.text import Part, day_text, joined
from obligations.rules.schema import Check
from obligations.vocabulary import OrgKind, Role

Params = Mapping[str, int | float | str]


@dataclass(frozen=True)
class Holder:
    name: str
    role: Role


@dataclass(frozen=True)
class UnitFacts:
    """A unit as the checks see it, with the roles held on the ledger's reference day."""

    kind: OrgKind
    member_count: int | None
    term_start: date | None
    term_years: int | None
    holders: tuple[Holder, ...] = ()
    branch_count: int = 0

    def named(self, *roles: Role) -> list[str]:
        return [h.name for h in self.holders if h.role in roles]

    @property
    def committee(self) -> list[str]:
        """Distinct people on the committee, in the order of their first role."""
        return list(dict.fromkeys(h.name for h in self.holders if h.role.on_committee))


def run_check(check: Check, unit: UnitFacts) -> Part:
    return _CHECKS[check.id](unit, check.params)


def _member_count(unit: UnitFacts, params: Params) -> Part:
    count = unit.member_count
    if count is None:
        gap = "未登记党员人数，无法核对组织设置形式（请在组织数据中补充党员人数）"
        return Part(lines=(f"设立{unit.kind.label}，党员人数未登记",), gaps=(gap,), incomplete=True)
    limit = int(
        params.get(
            "direct_branch_max_members"
            if unit.kind is OrgKind.DIRECT_BRANCH
            else "general_branch_max_members",
            50 if unit.kind is OrgKind.DIRECT_BRANCH else 99,
        )
    )
    line = f"党员{count}人，设立{unit.kind.label}"
    if count <= limit:
        return Part(lines=(line + "，符合规定",))
    if unit.kind is OrgKind.DIRECT_BRANCH:
        gap = f"党员{count}人，超过{limit}人，应设立党总支"
    else:
        gap = f"党员{count}人，超过{limit}人，应按规定报学校党委调整组织设置"
    return Part(lines=(line,), gaps=(gap,), failed=True)


def _discipline_member(unit: UnitFacts, params: Params) -> Part:
    """A discipline member sits on the committee, except in a direct branch of fewer than
    ``direct_branch_secretary_only_below_members`` that has only its secretary (item 2.1)."""
    names = unit.named(Role.DISCIPLINE_MEMBER)
    if names:
        return Part(lines=(f"委员会设纪律检查委员：{joined(names)}",))
    if _secretary_alone(unit, int(params.get("direct_branch_secretary_only_below_members", 7))):
        return Part(lines=(f"党员{unit.member_count}人，只设书记1人，不单设纪律检查委员",))
    return Part(lines=("委员会未设纪律检查委员",), gaps=("委员会中未设纪律检查委员",), failed=True)


def _committee_size(unit: UnitFacts, params: Params) -> Part:
    members = unit.committee
    secretaries = unit.named(Role.SECRETARY)
    deputies = unit.named(Role.DEPUTY_SECRETARY)
    line = f"委员会共{len(members)}人" + (f"：{_composition(unit)}" if members else "")
    gaps: list[str] = []
    if unit.kind is OrgKind.DIRECT_BRANCH:
        low, high = int(params.get("direct_branch_min", 3)), int(params.get("direct_branch_max", 5))
        alone_below = int(params.get("direct_branch_secretary_only_below_members", 7))
        if not (low <= len(members) <= high or _secretary_alone(unit, alone_below)):
            gaps.append(f"委员会共{len(members)}人，直属党支部一般应设委员{low}-{high}人")
    else:
        low, high = (
            int(params.get("general_branch_min", 5)),
            int(params.get("general_branch_max", 7)),
        )
        if not low <= len(members) <= high:
            gaps.append(f"委员会共{len(members)}人，党总支一般应设委员{low}-{high}人")
        if len(deputies) != 1:
            gaps.append(f"设副书记{len(deputies)}人，党总支应设副书记1人")
    if len(secretaries) != 1:
        gaps.append(f"设书记{len(secretaries)}人，应设书记1人")
    return Part(lines=(line,), gaps=tuple(gaps), failed=bool(gaps))


def _secretary_alone(unit: UnitFacts, below: int) -> bool:
    """A direct branch of fewer than ``below`` members whose committee is its secretary alone."""
    return (
        unit.kind is OrgKind.DIRECT_BRANCH
        and unit.member_count is not None
        and unit.member_count < below
        and unit.committee == unit.named(Role.SECRETARY)
        and len(unit.committee) == 1
    )


def _composition(unit: UnitFacts) -> str:
    order = (Role.SECRETARY, Role.DEPUTY_SECRETARY, Role.DISCIPLINE_MEMBER, Role.COMMITTEE_MEMBER)
    groups = [f"{role.label}{joined(unit.named(role))}" for role in order if unit.named(role)]
    return "，".join(groups)


def _term_length(unit: UnitFacts, params: Params) -> Part:
    allowed = [int(y) for y in str(params.get("allowed_years", "3,4")).split(",") if y.strip()]
    allowed_text = "或".join(str(y) for y in allowed)
    if unit.term_start is None or unit.term_years is None:
        gap = "未登记本届任期的起始日期或年限（请在组织数据中补充）"
        return Part(lines=("任期信息未登记",), gaps=(gap,), incomplete=True)
    expiry = unit.term_start + relativedelta(years=unit.term_years)
    line = f"本届任期自{day_text(unit.term_start)}起，{unit.term_years}年，{day_text(expiry)}届满"
    if unit.term_years in allowed:
        return Part(lines=(line,))
    gap = f"每届任期{unit.term_years}年，应为{allowed_text}年"
    return Part(lines=(line,), gaps=(gap,), failed=True)


def _organizer(unit: UnitFacts, _params: Params) -> Part:
    names = unit.named(Role.ORGANIZER)
    if names:
        return Part(lines=(f"配备组织员：{joined(names)}",))
    return Part(lines=("未配备组织员",), gaps=("未配备专兼职组织员",), failed=True)


_CHECKS: dict[str, Callable[[UnitFacts, Params], Part]] = {
    "member_count_matches_kind": _member_count,
    "discipline_member_present": _discipline_member,
    "committee_size": _committee_size,
    "term_length_valid": _term_length,
    "organizer_present": _organizer,
}
