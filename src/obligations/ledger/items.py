"""One ledger row from everything known about its item: 落实情况, 是否达标 and the gaps.

The verdict: 未达标 when a task due in the period was missed, a threshold is not met or a
structural check fails; otherwise 待补充 for an item with a qualitative side and nothing at all
behind it (no evidence, no narrative); otherwise 达标. Late records are noted in the gaps
without changing the verdict. The gaps column lists the gaps found, then the unit's measures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from obligations.ledger.checks import UnitFacts, run_check
from obligations.ledger.document import Verdict
from obligations.ledger.figures import FigureFact, compose_metric
from obligations.ledger.periodic import RuleFacts, compose_rule
from obligations.ledger.text import Part, day_text, joined
from obligations.rules.schema import Check, ItemKind, LedgerItem, Metric

MAX_LISTED_RECORDS = 10


@dataclass(frozen=True)
class StandingFact:
    """A standing evidence record of the item (no task) held in the ledger's period."""

    record_id: int
    title: str
    held_on: date
    files: int


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


@dataclass(frozen=True)
class ItemOutcome:
    implementation: str
    verdict: Verdict
    gaps: str
    parts: tuple[Part, ...] = field(default=(), repr=False)


def compose_item(
    inputs: ItemInputs,
    unit: UnitFacts,
    figures: Mapping[str, FigureFact],
    *,
    plain_year: int | None,
) -> ItemOutcome:
    parts = [
        *(run_check(check, unit) for check in inputs.checks),
        *(compose_rule(rule, plain_year=plain_year) for rule in inputs.rules),
        *(compose_metric(metric, figures) for metric in inputs.metrics),
    ]
    kinds = set(inputs.item.kinds)
    if inputs.standing or ItemKind.QUALITATIVE in kinds:
        parts.append(_standing(inputs, plain_year))
    narrative = inputs.narrative.strip()
    lines = [line for part in parts for line in part.lines]
    if narrative:
        lines.append(narrative)
    gaps = [gap for part in parts for gap in part.gaps]
    verdict = _verdict(kinds, parts, narrative)
    if verdict is Verdict.PENDING:
        gaps.append("尚无佐证材料和情况说明，请登记材料或填写落实情况")
    measures = inputs.measures.strip()
    if measures:
        gaps.append(f"措施：{measures}")
    return ItemOutcome("\n".join(lines), verdict, "\n".join(gaps), tuple(parts))


def _verdict(kinds: set[ItemKind], parts: Sequence[Part], narrative: str) -> Verdict:
    if any(part.failed for part in parts):
        return Verdict.NOT_MET
    has_anything = narrative or any(part.evidence for part in parts)
    if ItemKind.QUALITATIVE in kinds and not has_anything:
        return Verdict.PENDING
    return Verdict.MET


def _standing(inputs: ItemInputs, plain_year: int | None) -> Part:
    records = sorted(inputs.standing, key=lambda r: (r.held_on, r.record_id))
    if not records:
        expected = joined(list(inputs.expected_evidence))
        gap = "尚未登记佐证材料" + (f"（应备：{expected}）" if expected else "")
        return Part(gaps=(gap,))
    files = sum(r.files for r in records)
    listed = joined(
        [
            f"《{r.title}》（{day_text(r.held_on, plain_year)}）"
            for r in records[:MAX_LISTED_RECORDS]
        ]
    )
    more = "等" if len(records) > MAX_LISTED_RECORDS else ""
    line = f"登记佐证材料{len(records)}项（文件{files}份）：{listed}{more}"
    return Part(lines=(line,), evidence=len(records))
