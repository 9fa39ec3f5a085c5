"""One ledger row from everything known about its item: 落实情况, 是否达标 and the gaps.

One rule for every item: information that shows a failure (a task due in the period missed, a
threshold or a structural check not met) gives 未达标; otherwise missing information (figures
not entered, an expected kind of evidence not on file, a narrative without evidence, material
returned or not yet reviewed, nothing at all to show) gives 待补充,
the gaps naming what is missing; 达标 only when everything the catalog expects is there. Late
records are noted in the gaps without changing the verdict. The gaps column lists the gaps
found, then the unit's measures, or for a 未达标 item "（整改措施待填写）" until it writes some
(a 待补充 item's gaps already say what to supply).

落实情况 keeps to :data:`CELL_BUDGET` characters: over it, the rules say their counts in one
sentence (the unit's own meetings keeping the months missed, two topics and the attendance,
or, still over, not even those) citing the evidence catalogue once, where the dates, branches
and people are. Two documented exceptions: the unit's own narrative is printed whole after the
composed text (its words are never cut), and checks, figures and standing evidence have no
shorter form.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from obligations.ledger.checks import UnitFacts, run_check
from obligations.ledger.document import GAP_ANNEX, LedgerRow, Verdict
from obligations.ledger.facts import RuleFacts, Window
from obligations.ledger.figures import FigureFact, compose_metric
from obligations.ledger.periodic import UNFILED, Catalogue, compose_rule
from obligations.ledger.text import Part, cited, day_text, joined
from obligations.rules.schema import Check, ItemKind, LedgerItem, Metric
from obligations.vocabulary import ReviewState

NOTHING_TO_SHOW = "尚无佐证材料和情况说明，请登记材料或填写落实情况"
NOTHING_HELD = "本期尚无已开展的活动记录，请登记材料"
NO_MEASURES = "（整改措施待填写）"  # after the gaps of a 未达标 item, until the unit writes one

MAX_LISTED_RECORDS = 10
MAX_DATED_STANDING = 3  # past this many standing records, their dates are left to the catalogue
_WHOSE = re.compile(r"^所属\d+个党支部")
CELL_BUDGET = 200  # characters of 落实情况 in the printed form (see :data:`GAPS_BUDGET`)
GAPS_BUDGET = 250
"""Characters of 存在的主要差距及措施 in the printed form, measure included. The budgets come
from the page: in the A4 landscape form (10.5 pt 宋体) the 落实情况 column holds about 17
characters a line and the narrower gaps column about 10, and a page about 33 lines of a row, so
200 characters of 落实情况 are some 12 lines and 250 of gaps some 25: an item's row stays within
about three quarters of a page and a reader checking many units can sign it. The detail past
them goes to the bundle's 佐证材料目录 (cited by 序号) and to the gaps' annex
(:data:`GAP_ANNEX`)."""
SEE_ANNEX = f"（逐项明细见附表《{GAP_ANNEX}》）"


@dataclass(frozen=True)
class StandingFact:
    """A standing evidence record of the item (no task) held in the ledger's period."""

    record_id: int
    title: str
    held_on: date
    files: int
    review: ReviewState = ReviewState.ACCEPTED
    reason: str = ""  # why it was returned, for a rejected record


@dataclass(frozen=True)
class ItemInputs:
    item: LedgerItem
    rules: Sequence[RuleFacts] = ()
    metrics: Sequence[Metric] = ()
    checks: Sequence[Check] = ()
    expected_evidence: Sequence[str] = ()
    standing: Sequence[StandingFact] = ()
    narrative: str = ""
    measures: str = ""
    not_applicable: str = ""  # why the item's obligations do not apply to this kind of unit
    catalogue: Catalogue | None = None  # record id -> 序号 in the evidence catalogue


@dataclass(frozen=True)
class ItemOutcome:
    implementation: str
    verdict: Verdict
    gaps: str
    parts: tuple[Part, ...] = field(default=(), repr=False)
    gap_details: tuple[str, ...] = ()  # every gap line, when ``gaps`` is a summary of them


def compose_item(
    inputs: ItemInputs,
    unit: UnitFacts,
    figures: Mapping[str, FigureFact],
    *,
    plain_year: int | None,
    window: Window | None = None,
) -> ItemOutcome:
    """The row of ``inputs.item`` over ``window`` (default: every record counts). An item
    whose obligations do not apply to the unit (``inputs.not_applicable``) says so and is met:
    nothing is expected of the unit."""
    if inputs.not_applicable and not (inputs.checks or inputs.metrics or inputs.standing):
        return ItemOutcome(inputs.not_applicable, Verdict.MET, inputs.measures.strip())
    rules = [
        compose_rule(rule, plain_year=plain_year, window=window, catalogue=inputs.catalogue)
        for rule in inputs.rules
    ]
    parts = [
        *(run_check(check, unit) for check in inputs.checks),
        *rules,
        *(compose_metric(metric, figures, inputs.catalogue) for metric in inputs.metrics),
    ]
    kinds = set(inputs.item.kinds)
    narrative = inputs.narrative.strip()
    if inputs.standing or ItemKind.QUALITATIVE in kinds:
        parts.append(_standing(inputs, plain_year, narrative=bool(narrative)))
    lines = [line for part in parts for line in part.lines]
    if _length(lines) > CELL_BUDGET:
        lines = _briefly(parts)
    if _length(lines) > CELL_BUDGET:
        lines = _briefly(parts, plain_year, terse=True)
    if narrative:
        lines.append(narrative)
    gaps = [gap for part in parts for gap in part.gaps]
    verdict = _verdict(parts, only_rules=len(rules) == len(parts))
    if verdict is Verdict.PENDING and not any(part.incomplete for part in parts):
        gaps.append(NOTHING_HELD)
    measures = inputs.measures.strip()
    measure = f"措施：{measures}" if measures else ""
    if not measure and verdict is Verdict.NOT_MET:
        measure = NO_MEASURES
    details: tuple[str, ...] = ()
    if _length([*gaps, measure]) + len(gaps) > GAPS_BUDGET:
        details = tuple(gaps)
        gaps = summarised_gaps(parts, room=GAPS_BUDGET - len(measure) - 1, extra=gaps)
    gaps += [measure] if measure else []
    return ItemOutcome("\n".join(lines), verdict, "\n".join(gaps), tuple(parts), details)


def summarised_gaps(parts: Sequence[Part], *, room: int, extra: Sequence[str]) -> list[str]:
    """The gaps of ``parts`` in a department's summary within ``room`` characters: each rule's
    missed periods as counts naming the worst offenders (periods of the worst, or if still too
    long their counts only), returned and unfiled material counted, the late registrations and
    pending reviews of all rules counted once, then where the detail is (:data:`SEE_ANNEX`).
    Gap lines of parts with no summary (checks, figures, standing evidence) and the item's own
    lines in ``extra`` that no part gave are kept whole."""
    own = {gap for part in parts for gap in part.gaps}
    kept = [gap for gap in extra if gap not in own]
    kept += [gap for part in parts if not _summarised(part) for gap in part.gaps]
    late = sum(part.late for part in parts)
    pending = sum(part.pending for part in parts)
    counted = joined(
        [f"逾期登记{late}次" if late else "", f"另有{pending}次材料待审核" if pending else ""],
        "，",
    )
    summary: list[str] = []
    for terse in (False, True):
        briefs = [part.gap_terse if terse else part.gap_brief for part in parts]
        said = "；".join(brief for brief in briefs if brief)
        summary = [*kept, joined([said, counted], "；") + "。" + SEE_ANNEX]
        if _length(summary) + len(summary) <= room:
            break
    return summary


def _summarised(part: Part) -> bool:
    """Whether the summary speaks for the gaps of ``part`` (a rule's: by its brief or counts)."""
    return bool(part.gap_brief or part.late or part.pending)


def lacking_measures(rows: Sequence[LedgerRow]) -> list[LedgerRow]:
    """The rows whose gaps the unit has written no measure for: their gaps cell ends with
    :data:`NO_MEASURES` (a 未达标 item without measures, see :func:`compose_item`)."""
    return [row for row in rows if row.gaps.endswith(NO_MEASURES)]


def measures_needed(rows: Sequence[LedgerRow]) -> bool:
    """Whether any row asks for measures (a 未达标 item), written or not."""
    return any(row.verdict is Verdict.NOT_MET for row in rows)


def _length(lines: Sequence[str]) -> int:
    return sum(len(line) for line in lines)


def _briefly(
    parts: Sequence[Part], plain_year: int | None = None, *, terse: bool = False
) -> list[str]:
    """A cell over its budget: the parts that have a brief form in one sentence citing the
    evidence catalogue's rows behind them once (where the dates, branches and people are),
    the others as they are; ``terse``: the shortest forms (no topics, no attendance)."""
    briefs: list[str] = []
    for brief in (part.terse if terse else part.brief for part in parts if part.brief):
        whose = _WHOSE.match(brief)
        if whose and briefs and any(b.startswith(whose[0]) for b in briefs):
            brief = brief.removeprefix(whose[0])  # 所属2个党支部 said once
        briefs.append(brief)
    others = [line for part in parts if not part.brief for line in part.lines]
    numbers = cited(n for part in parts if part.brief for n in part.cited)
    citation = f"（{numbers}）" if numbers else ""
    pending = sum(part.pending for part in parts if part.brief) if terse else 0
    review = f"；其中{pending}次材料待审核" if pending else ""
    until = max((part.until for part in parts if part.brief and part.until), default=None)
    if terse and until:  # the terse counts are of the tasks due (:func:`.periodic._tally`)
        review += f"；未到期任务（至{day_text(until, plain_year)}）未计入"
    return [*others, "；".join(briefs) + review + citation + "。"] if briefs else others


def _verdict(parts: Sequence[Part], *, only_rules: bool) -> Verdict:
    if any(part.failed for part in parts):
        return Verdict.NOT_MET
    if any(part.incomplete for part in parts):
        return Verdict.PENDING
    if only_rules and not any(part.evidence for part in parts):
        return Verdict.PENDING  # nothing held yet: 0 of 0 is not a result
    return Verdict.MET


def _standing(inputs: ItemInputs, plain_year: int | None, *, narrative: bool) -> Part:
    """Standing evidence: the kinds the catalog expects must each be on file (a counting
    record whose title names the kind), accepted where review is on; a record without a file
    proves nothing until its material is filed (待补充)."""
    records = sorted(inputs.standing, key=lambda r: (r.held_on, r.record_id))
    counting = [r for r in records if r.review is not ReviewState.REJECTED]
    gaps = [
        f"《{r.title}》材料已退回" + (f"（原因：{r.reason}）" if r.reason else "") + "，待重新提交"
        for r in records
        if r.review is ReviewState.REJECTED
    ]
    gaps.extend(f"《{r.title}》{UNFILED}" for r in counting if not r.files)
    absent = [k for k in inputs.expected_evidence if not any(k in r.title for r in counting)]
    if absent:
        gaps.append(f"尚未登记佐证材料：{joined(absent)}")
    pending = sum(1 for r in counting if r.review is ReviewState.PENDING)
    if pending:
        gaps.append(f"{pending}份材料待审核")
    if not counting:
        if not gaps:
            gaps.append("仅有情况说明，尚未登记佐证材料" if narrative else NOTHING_TO_SHOW)
        return Part(gaps=tuple(gaps), incomplete=True)
    numbers = inputs.catalogue or {}
    line = "已备" + _listed(counting, numbers, plain_year)
    if pending:
        line += f"，其中{pending}项待审核"
    shown = [n for r in counting for n in numbers.get(r.record_id, ())]
    return Part(
        lines=(line,),
        gaps=tuple(gaps),
        evidence=len(counting),
        incomplete=bool(gaps),
        cited=tuple(shown),
    )


def _listed(records: Sequence[StandingFact], catalogue: Catalogue, plain_year: int | None) -> str:
    """《A》（5月10日，目录第12项）、《B》（9月16日，未附文件） for a few records; for more,
    the titles and one citation: 《A》《B》……等12项（目录第12—30项）."""
    if len(records) <= MAX_DATED_STANDING:
        dated = (
            (
                r.title,
                day_text(r.held_on, plain_year),
                cited(catalogue.get(r.record_id, ())) if r.files else "未附文件",
            )
            for r in records
        )
        return "、".join(f"《{t}》（{joined([day, cite], '，')}）" for t, day, cite in dated)
    titles = "".join(f"《{r.title}》" for r in records[:MAX_LISTED_RECORDS])
    more = f"等{len(records)}项" if len(records) > MAX_LISTED_RECORDS else ""
    numbers = cited(n for r in records for n in catalogue.get(r.record_id, ()))
    return titles + more + (f"（{numbers}）" if numbers else "")
