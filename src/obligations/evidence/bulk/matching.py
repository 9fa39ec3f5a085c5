"""From what a file says to a proposal (pure): the task it closes or the standing ledger item
it supports, the activity date, title, kind, participants, and a confidence in [0, 1] with its
reasons in Chinese.

The confidence adds up what was found and where: the activity named in the file name (0.4),
in the text's heading (0.35) or only in its body (0.15); the date in the file name or under a
时间/日期 label (0.3), elsewhere in the text or the photo's EXIF (0.2); the branch or person
named or given (0.2, 0.15 from the heading, 0.1 from the body); a task found for them (0.1);
dates of file name and text that agree (+0.05) or not (-0.2); another activity named as
strongly (-0.3). A branch activity naming no branch, uploaded without one, goes to the only
branch whose task of that period is still open (no branch weight, at most 0.6); with several
open it gets no task and asks for the branch (``ask_branch``). A file that fits no open task
gets no task, confidence 0 and says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from obligations.evidence.bulk import clues
from obligations.evidence.bulk.clues import Place, Places, Term
from obligations.evidence.bulk.dates import FoundDate, find_dates
from obligations.rules.schema import Rule, Scope
from obligations.textcheck import MAX_TITLE
from obligations.vocabulary import EvidenceKind

_RULE_WEIGHT = {Place.NAME: 0.4, Place.HEAD: 0.35, Place.BODY: 0.15}
_TARGET_WEIGHT = {Place.NAME: 0.2, Place.HEAD: 0.15, Place.BODY: 0.1}
_DATE_LABELS = ("时间", "日期", "时 间", "日 期")


@dataclass(frozen=True)
class OrgRef:
    """A branch of the unit (or the unit itself, for a 直属党支部 without branches)."""

    code: str
    names: tuple[str, ...]  # the full name first, then shorter forms


@dataclass(frozen=True)
class PersonRef:
    code: str
    name: str


@dataclass(frozen=True)
class TaskRef:
    id: int
    rule_id: str
    org_code: str
    person_code: str | None
    period_key: str
    start: date
    end: date
    settled: str | None = None  # 已完成 / 已豁免 when nothing more is needed


@dataclass(frozen=True)
class StandingRef:
    """Standing evidence a qualitative ledger item expects (indicators' expected_evidence)."""

    item: str
    phrase: str


@dataclass(frozen=True)
class IntakeScope:
    """Everything a proposal is matched against: one unit's year."""

    unit_code: str
    year: int
    today: date
    rules: Sequence[Rule]
    branches: Sequence[OrgRef]
    people: Sequence[PersonRef]
    tasks: Sequence[TaskRef]
    standing: Sequence[StandingRef] = ()
    branch_code: str | None = None  # the branch given by the user, if any


@dataclass(frozen=True)
class FileFacts:
    """What was read from one file."""

    name: str  # its path inside the folder or archive
    text: str = ""
    photo: bool = False
    taken_on: date | None = None
    signed: int | None = None
    problem: str | None = None
    note: str | None = None  # how it was read (OCR), in Chinese


@dataclass
class Proposal:
    file: str
    task_id: int | None = None
    rule_id: str | None = None
    ledger_item: str | None = None
    branch_code: str | None = None
    person_code: str | None = None
    period_key: str | None = None
    held_on: date | None = None
    title: str = ""
    kind: EvidenceKind = EvidenceKind.OTHER
    participants: int | None = None
    confidence: float = 0.0
    reasons: list[str] = field(default_factory=list)
    sha256: str = ""
    duplicate: str | None = None  # where the same content already is (Chinese), if anywhere
    group: int | None = None  # the record it would join, numbered (see .grouping)
    ask_branch: bool = False  # no branch found: the page offers the unit's branches to pick

    @property
    def standing(self) -> bool:
        return self.task_id is None and self.ledger_item is not None


def refuse(proposal: Proposal, reason: str) -> None:
    """Mark a proposal as one that cannot be recorded, for ``reason`` (Chinese)."""
    _no_task(proposal)
    proposal.reasons.append(reason)


def propose(facts: FileFacts, scope: IntakeScope) -> Proposal:
    """The proposal for one file (see the module's docstring for the confidence)."""
    places = clues.Places.of(_name_text(facts.name), facts.text)
    proposal = Proposal(facts.name)
    proposal.reasons += [said for said in (facts.note, facts.problem) if said]
    rules = {rule.id: rule for rule in scope.rules}
    choice = clues.strongest(
        clues.find_hits(places, [t for rule in scope.rules for t in clues.rule_terms(rule)])
    )
    rule = rules[choice.target] if choice else None
    proposal.kind = clues.evidence_kind(places, photo=facts.photo, rule=rule)
    counted = clues.participants(facts.text)
    if counted:
        proposal.participants = counted[0]
    elif facts.signed:
        proposal.participants = facts.signed
        counted = (facts.signed, f"签到表 {facts.signed} 人")
    held, score = _held_on(facts, places, scope, proposal.reasons)
    proposal.held_on = held
    if rule is None or choice is None:
        _standing(proposal, places, scope, held, score)
        return proposal
    proposal.rule_id, proposal.ledger_item = rule.id, rule.ledger_item
    proposal.reasons.insert(0, f"{choice.place.label}含“{choice.term}”")
    score += _RULE_WEIGHT[choice.place]
    if choice.rival:
        proposal.reasons.append(f"同时提到“{rules[choice.rival].title}”，无法确定是哪项活动")
        score -= 0.3
    proposal.title = _title(facts, places, rule, held)
    if counted:
        proposal.reasons.append(counted[1])
    target = _target(rule, places, scope, proposal, held)
    if target is None or held is None:
        if held is None:
            proposal.reasons.append("未找到活动日期")
        return _no_task(proposal)
    org_code, person_code, weight = target
    score += weight
    task = _task(scope, rule, org_code, person_code, held, proposal.reasons)
    if task is None:
        return _no_task(proposal)
    proposal.task_id, proposal.period_key = task.id, task.period_key
    proposal.branch_code = None if rule.scope is Scope.UNIT else task.org_code
    proposal.person_code = task.person_code
    score += 0.1
    if task.settled:
        proposal.reasons.append(f"该期任务{task.settled}（如为补充材料仍可确认登记）")
        score = min(score, 0.6)
    if weight == 0.0:  # the only branch with this period open: a guess, to be checked
        score = min(score, 0.6)
    proposal.confidence = round(max(0.0, min(1.0, score)), 2)
    return proposal


def _name_text(name: str) -> str:
    """The file name with its folders, without the extension ("3月/主题党日记录")."""
    stem, dot, ext = name.rpartition(".")
    return stem if dot and stem and len(ext) <= 5 else name


def _no_task(proposal: Proposal) -> Proposal:
    """No task: nothing to record (the rule stays named, the ledger item goes: a row with an
    item and no task would read as standing evidence)."""
    proposal.task_id, proposal.period_key, proposal.confidence = None, None, 0.0
    proposal.ledger_item = proposal.branch_code = proposal.person_code = None
    return proposal


def _held_on(
    facts: FileFacts, places: Places, scope: IntakeScope, reasons: list[str]
) -> tuple[date | None, float]:
    """The activity date and its weight: the file name's, else a labelled one in the text,
    else the text's first, else the photo's EXIF; dates outside the year are set aside."""
    # Folders apart, each part its own (a "/" before 2026.9.10 is not part of the date).
    in_name = find_dates(places.name.replace("/", " "), year=scope.year, compact=True)
    in_text = find_dates(facts.text[:5000], year=scope.year)
    for written in [*in_name.refused, *in_text.refused]:
        reasons.append(f"日期“{written}”不存在，已忽略")
    named = _in_year(in_name.dates, scope.year)
    texted = _in_year(in_text.dates, scope.year)
    labelled = [d for d in texted if _labelled(facts.text, d)]
    text_found = labelled or texted
    text_date = text_found[0] if text_found else None
    if named:
        held, score = named[0].day, 0.3
        reasons.append(f"文件名日期 {_cn(held)}")
        if text_date and text_date.day == held:
            score += 0.05
        elif text_date:
            reasons.append(f"正文日期 {_cn(text_date.day)} 与文件名不一致")
            score -= 0.2
        return _not_future(held, score, scope, reasons)
    if text_date:
        held = text_date.day
        reasons.append(f"正文日期 {_cn(held)}")
        return _not_future(held, 0.3 if labelled else 0.2, scope, reasons)
    if facts.taken_on and facts.taken_on.year == scope.year:
        reasons.append(f"拍摄日期 {_cn(facts.taken_on)}")
        return _not_future(facts.taken_on, 0.2, scope, reasons)
    others = [d.day for d in [*in_name.dates, *in_text.dates]]
    if facts.taken_on:
        others.append(facts.taken_on)
    if others:
        reasons.append(f"日期不在{scope.year}年度内（{_cn(others[0])}）")
    return None, 0.0


def _not_future(
    held: date, score: float, scope: IntakeScope, reasons: list[str]
) -> tuple[date | None, float]:
    if held > scope.today:
        reasons.append(f"活动日期 {_cn(held)} 晚于今天，请核对")
        return None, 0.0
    return held, score


def _in_year(found: Sequence[FoundDate], year: int) -> list[FoundDate]:
    return [d for d in found if d.day.year == year]


def _labelled(text: str, found: FoundDate) -> bool:
    before = text[max(0, found.start - 8) : found.start]
    return any(label in before for label in _DATE_LABELS)


def _cn(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _title(facts: FileFacts, places: Places, rule: Rule, held: date | None) -> str:
    heading = clues.first_line(facts.text)
    if heading and any(t.text in heading for t in clues.rule_terms(rule)):
        return heading[:MAX_TITLE]
    stem = places.name.rsplit("/", 1)[-1].strip(" _-—.")
    if any(t.text in stem for t in clues.rule_terms(rule)) and len(stem) <= 60:
        return stem
    return f"{held.month}月{rule.title}" if held else rule.title


def _target(
    rule: Rule, places: Places, scope: IntakeScope, proposal: Proposal, held: date | None
) -> tuple[str, str | None, float] | None:
    """(organization code, person code, weight) the rule's task is owed by, or None with the
    reason."""
    if rule.scope is Scope.UNIT:
        return scope.unit_code, None, 0.2
    if rule.scope is Scope.PERSON:
        owners = {t.person_code for t in scope.tasks if t.rule_id == rule.id}
        terms = [Term(p.name, p.code) for p in scope.people if p.code in owners]
        choice = clues.strongest(clues.find_hits(places, terms))
        if choice is None or choice.rival:
            proposal.reasons.append("未找到承担该任务的人员姓名" if choice is None else
                                    "提到多位承担该任务的人员，无法确定")  # fmt: skip
            return None
        org = next(t.org_code for t in scope.tasks if t.person_code == choice.target)
        proposal.reasons.append(f"{choice.place.label}含人员“{choice.term}”")
        return org, choice.target, _TARGET_WEIGHT[choice.place]
    return _branch(rule, places, scope, proposal, held)


def branch_name(scope: IntakeScope, code: str) -> str:
    """The branch's full name (its code when not one of the unit's branches)."""
    return next((b.names[0] for b in scope.branches if b.code == code and b.names), code)


def _branch(
    rule: Rule, places: Places, scope: IntakeScope, proposal: Proposal, held: date | None
) -> tuple[str, None, float] | None:
    """The branch owing the activity: the one given, the only one, the one named; else,
    when exactly one branch still has the period's task open, that one (weight 0, the
    confidence capped at 0.6); else none, and the row asks for the branch."""
    if scope.branch_code is not None:
        proposal.reasons.append(f"按指定支部 {branch_name(scope, scope.branch_code)}")
        return scope.branch_code, None, 0.2
    if len(scope.branches) == 1:
        return scope.branches[0].code, None, 0.2
    terms = [Term(name, org.code) for org in scope.branches for name in org.names]
    choice = clues.strongest(clues.find_hits(places, terms))
    if choice is None:
        codes = {b.code for b in scope.branches}
        still_open = sorted(
            {
                t.org_code
                for t in scope.tasks
                if t.rule_id == rule.id and t.org_code in codes and t.settled is None
                and held is not None and t.start <= held <= t.end
            }
        )  # fmt: skip
        if len(still_open) == 1:
            proposal.reasons.append(
                f"未找到支部名称；该期“{rule.title}”只有{branch_name(scope, still_open[0])}"
                "尚未完成，按此建议，请核对"
            )
            return still_open[0], None, 0.0
        proposal.ask_branch = True
        proposal.reasons.append(
            "未找到支部名称，请在“任务编号”列选择支部，登记时按支部和活动日期找任务"
        )
        return None
    if choice.rival:
        proposal.reasons.append("提到多个支部，无法确定是哪个支部的活动")
        return None
    proposal.reasons.append(f"{choice.place.label}含支部“{choice.term}”")
    return choice.target, None, _TARGET_WEIGHT[choice.place]


def _task(
    scope: IntakeScope,
    rule: Rule,
    org_code: str,
    person_code: str | None,
    held: date,
    reasons: list[str],
) -> TaskRef | None:
    mine = [
        t
        for t in scope.tasks
        if t.rule_id == rule.id and t.org_code == org_code and t.person_code == person_code
    ]
    for task in mine:
        if task.start <= held <= task.end:
            return task
    if not mine:
        reasons.append(f"{org_code} 在{scope.year}年度没有“{rule.title}”任务")
    else:
        reasons.append(f"{_cn(held)} 不在任何一期“{rule.title}”任务的周期内")
    return None


def _standing(
    proposal: Proposal, places: Places, scope: IntakeScope, held: date | None, score: float
) -> None:
    """Standing evidence named by the phrase a qualitative item expects; never above 0.8:
    a phrase alone is a weaker clue than a rule's activity and period."""
    terms = [Term(s.phrase, s.item) for s in scope.standing]
    choice = clues.strongest(clues.find_hits(places, terms))
    if choice is None or choice.rival:
        proposal.reasons.insert(0, "未找到对应的规则")
        return
    proposal.ledger_item = choice.target
    proposal.title = f"{choice.term}"[:MAX_TITLE]
    proposal.reasons.insert(0, f"{choice.place.label}含常备材料“{choice.term}”（{choice.target}）")
    if held is None:
        proposal.reasons.append("未找到活动日期")
        return
    proposal.confidence = round(min(0.8, score + _RULE_WEIGHT[choice.place] + 0.2), 2)
