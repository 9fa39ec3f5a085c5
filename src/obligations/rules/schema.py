"""Pydantic models of the catalog files in ``calendar_rules/``.

Each model validates one kind of entry; cross-file checks (unknown ledger item, duplicate id,
calendar coverage) live in :mod:`obligations.rules.catalog`.
"""

from __future__ import annotations

import enum
from datetime import date
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from obligations.vocabulary import EvidenceKind, OrgKind, Role

Month = Annotated[int, Field(ge=1, le=12)]
RuleId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")]
ItemId = Annotated[str, Field(pattern=r"^[1-9][0-9]?\.[1-9][0-9]?$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ItemKind(enum.StrEnum):
    PERIODIC = "periodic"
    MEASURED = "measured"
    STRUCTURAL = "structural"
    QUALITATIVE = "qualitative"


class LedgerItem(_Strict):
    id: ItemId
    name: str = Field(min_length=1)
    kinds: list[ItemKind] = Field(min_length=1)
    standard: str = Field(min_length=1)


class LedgerSection(_Strict):
    id: Annotated[str, Field(pattern=r"^[1-9][0-9]?$")]
    name: str = Field(min_length=1)
    items: list[LedgerItem] = Field(min_length=1)

    @model_validator(mode="after")
    def _items_belong_to_section(self) -> Self:
        for item in self.items:
            if item.id.split(".")[0] != self.id:
                raise ValueError(f"条目 {item.id} 不属于第 {self.id} 部分")
        return self


class LedgerForm(_Strict):
    attachment: str
    title: str
    header_fields: list[str] = Field(min_length=1)
    columns: list[str] = Field(min_length=5, max_length=5)


class LedgerFile(_Strict):
    form: LedgerForm
    sections: list[LedgerSection] = Field(min_length=1)


class Scope(enum.StrEnum):
    UNIT = "unit"  # the unit (党总支 / 直属党支部) itself
    BRANCH = "branch"  # each branch of the unit (a 直属党支部 without branches acts as its own)
    PERSON = "person"  # each person holding one of ``roles`` in the unit


class PeriodKind(enum.StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    HALF_YEAR = "half_year"
    YEAR = "year"
    MONTHS = "months"  # the months listed in ``months``, each its own period
    SEMESTER = "semester"  # from the academic calendar
    ACADEMIC_YEAR = "academic_year"  # from the academic calendar
    TERM = "term"  # the unit's committee term, from its term start and length


class WorkdayPolicy(enum.StrEnum):
    KEEP = "keep"
    EARLIER = "earlier"  # the last working day on or before
    LATER = "later"  # the first working day on or after


class DateOffset(_Strict):
    """A date relative to the period: its start or end, moved by months then days."""

    anchor: Literal["start", "end"] = "end"
    months: int = Field(default=0, ge=-120, le=120)
    days: int = Field(default=0, ge=-366, le=366)


class Reminders(_Strict):
    before_days: list[Annotated[int, Field(ge=1, le=366)]] = [7, 1]
    overdue_repeat_days: int = Field(default=7, ge=1, le=90)
    escalate_unit_after_days: int | None = Field(default=7, ge=1)
    escalate_college_after_days: int | None = Field(default=30, ge=1)

    @model_validator(mode="after")
    def _escalation_order(self) -> Self:
        unit, college = self.escalate_unit_after_days, self.escalate_college_after_days
        if unit is not None and college is not None and college < unit:
            raise ValueError("escalate_college_after_days 不能早于 escalate_unit_after_days")
        return self


class Source(_Strict):
    regulation: str | None = None
    note: str | None = None


class Rule(_Strict):
    id: RuleId
    ledger_item: ItemId
    also_items: list[ItemId] = []  # other ledger items this rule's evidence also serves
    title: str = Field(min_length=1, max_length=100)
    # Other names the activity goes by in file names and minutes (中心组学习 for
    # 中心组理论学习): bulk intake recognises the rule by its title and these; a college edits them.
    synonyms: list[Annotated[str, Field(min_length=2, max_length=40)]] = []
    description: str | None = None
    enabled: bool = True
    scope: Scope
    roles: list[Role] = []
    # scope person: the people holding ``roles`` in the unit's branches (each branch's
    # secretary), not on the unit's own committee
    in_branches: bool = False
    applies_to: list[OrgKind] = [OrgKind.GENERAL_BRANCH, OrgKind.DIRECT_BRANCH]
    period: PeriodKind
    months: list[Month] = []
    min_count: int = Field(default=1, ge=1, le=100)
    opens: DateOffset = DateOffset(anchor="start")
    due: DateOffset = DateOffset()
    exempt_months: list[Month] = []
    workday: WorkdayPolicy = WorkdayPolicy.KEEP
    evidence_kinds: list[EvidenceKind] = [EvidenceKind.MINUTES]
    # Whether a record must carry a file to count towards a task: false only for a rule whose
    # proof is a figure or a narrative, where nothing is uploaded.
    file_required: bool = True
    reminders: Reminders = Reminders()
    source: Source = Source()

    @field_validator("applies_to")
    @classmethod
    def _units_only(cls, kinds: list[OrgKind]) -> list[OrgKind]:
        for kind in kinds:
            if not kind.is_unit:
                raise ValueError(
                    f"{kind.value!r} 不是单位类型；"
                    "可选：general_branch（党总支）、direct_branch（直属党支部）"
                )
        if not kinds:
            raise ValueError("applies_to 至少要有一种单位类型")
        return kinds

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.scope is Scope.PERSON and not self.roles:
            raise ValueError("scope 为 person 时必须填写 roles（哪些职务的人员承担此任务）")
        if self.scope is not Scope.PERSON and self.roles:
            raise ValueError("只有 scope 为 person 时才能填写 roles")
        if self.scope is not Scope.PERSON and self.in_branches:
            raise ValueError("只有 scope 为 person 时才能填写 in_branches")
        if self.period is PeriodKind.MONTHS and not self.months:
            raise ValueError("period 为 months 时必须填写 months，例如 [1, 7]")
        if self.period is not PeriodKind.MONTHS and self.months:
            raise ValueError("只有 period 为 months 时才能填写 months")
        if self.exempt_months and self.period is not PeriodKind.MONTH:
            raise ValueError("只有 period 为 month 时才能填写 exempt_months")
        if self.period is PeriodKind.TERM and self.scope is not Scope.UNIT:
            raise ValueError("period 为 term（任期）时 scope 只能是 unit")
        return self


class RulesFile(_Strict):
    rules: list[Rule]


class Comparator(enum.StrEnum):
    GE = ">="
    LE = "<="
    EQ = "=="


class Metric(_Strict):
    """A figure a unit records for the year, checked against a threshold."""

    id: RuleId
    title: str
    op: Comparator = Comparator.GE
    threshold: float
    unit: str = ""  # display unit: 学时, %, ratio ...
    applies_to_roles: list[Role] = []


class Check(_Strict):
    """A structural check evaluated on the unit's own data; ``id`` names a built-in check."""

    id: Literal[
        "member_count_matches_kind",
        "committee_size",
        "discipline_member_present",
        "organizer_present",
        "term_length_valid",
    ]
    title: str
    params: dict[str, int | float | str] = {}


class Indicator(_Strict):
    item: ItemId
    metrics: list[Metric] = []
    checks: list[Check] = []
    expected_evidence: list[str] = []  # for qualitative items: what should be on file


class IndicatorsFile(_Strict):
    indicators: list[Indicator]


class HolidayRange(_Strict):
    name: str
    start: date
    end: date | None = None  # inclusive; a one-day holiday may leave it out

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end is not None and self.end < self.start:
            raise ValueError("end 不能早于 start")
        return self


class HolidayYear(_Strict):
    """One year's official schedule (国务院办公厅通知): authoritative once entered."""

    source: str = ""
    holidays: list[HolidayRange] = []
    workdays: list[date] = []  # adjusted working days (调休) that fall on a weekend


class HolidaysFile(_Strict):
    years: dict[int, HolidayYear] = {}
