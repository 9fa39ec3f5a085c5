"""Measured items: the figures a unit records for the year, checked against thresholds.

A metric of indicators.yaml is read from the figure of the same key, except a ratio, which is
computed from two figures (入党积极分子 : 发展对象), so the unit records the counts it knows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from obligations.ledger.text import Part, cited, joined, number_text
from obligations.rules.schema import Comparator, Indicator, Metric


@dataclass(frozen=True)
class FigureSpec:
    key: str
    label: str
    unit: str
    integer: bool = False
    maximum: Decimal | None = None


@dataclass(frozen=True)
class FigureFact:
    value: Decimal
    evidence: str | None = None  # the backing record's title, if linked
    record_id: int | None = None  # the backing record, cited by its files' 序号 in the catalogue


# Metrics computed from two figures: numerator / denominator.
RATIOS: dict[str, tuple[FigureSpec, FigureSpec]] = {
    "activist-target-ratio": (
        FigureSpec("activists", "入党积极分子人数", "人", integer=True),
        FigureSpec("development-targets", "发展对象人数", "人", integer=True),
    ),
}

_OP_WORDS = {Comparator.GE: "不低于", Comparator.LE: "不高于", Comparator.EQ: "应为"}


def figure_specs(indicators: Sequence[Indicator]) -> dict[str, FigureSpec]:
    """Every figure key the catalog's metrics need, in catalog order."""
    specs: dict[str, FigureSpec] = {}
    for indicator in indicators:
        for metric in indicator.metrics:
            for spec in _inputs(metric):
                specs[spec.key] = spec
    return specs


def figure_problem(spec: FigureSpec, value: Decimal) -> str | None:
    if value < 0:
        return f"{spec.label}不能为负数（{value}）"
    if spec.integer and value != value.to_integral_value():
        return f"{spec.label}应为整数（{value}）"
    if spec.maximum is not None and value > spec.maximum:
        return f"{spec.label}不能超过{number_text(spec.maximum)}{spec.unit}（{value}）"
    return None


def _inputs(metric: Metric) -> tuple[FigureSpec, ...]:
    if metric.id in RATIOS:
        return RATIOS[metric.id]
    maximum = Decimal(100) if metric.unit == "%" else None
    return (FigureSpec(metric.id, metric.title, metric.unit, maximum=maximum),)


def compose_metric(
    metric: Metric,
    figures: Mapping[str, FigureFact],
    catalogue: Mapping[int, Sequence[int]] | None = None,
) -> Part:
    """The metric's line against its threshold; a linked record is named and cited by its
    files' 序号 in ``catalogue`` (record id -> numbers)."""
    inputs = _inputs(metric)
    missing = [spec.label for spec in inputs if spec.key not in figures]
    standard = f"{_OP_WORDS[metric.op]}{_display(Decimal(str(metric.threshold)), metric)}"
    if missing:
        gap = f"{metric.title}：尚未填报{joined(missing)}，无法核对（标准{standard}）"
        return Part(lines=(f"{metric.title}：未填报",), gaps=(gap,), incomplete=True)
    value, shown = _value(metric, inputs, figures)
    backed = [figures[s.key] for s in inputs if figures[s.key].evidence]
    evidence = [f.evidence for f in backed]
    numbers = sorted(
        {
            n
            for f in backed
            if f.record_id is not None
            for n in (catalogue or {}).get(f.record_id, ())
        }
    )
    where = f"（{cited(numbers)}）" if numbers else ""
    backing = f"，佐证：{joined([f'《{e}》' for e in evidence if e])}{where}" if evidence else ""
    line = f"{metric.title}：{shown}（标准{standard}）{backing}"
    if value is None or _holds(metric, value):
        return Part(lines=(line,), evidence=len(evidence), cited=tuple(numbers))
    gap = f"{metric.title}为{_display(value, metric)}，未达到标准（{standard}）"
    return Part(
        lines=(line,), gaps=(gap,), failed=True, evidence=len(evidence), cited=tuple(numbers)
    )


def _value(
    metric: Metric, inputs: Sequence[FigureSpec], figures: Mapping[str, FigureFact]
) -> tuple[Decimal | None, str]:
    """The figure to compare (None: nothing to compare, e.g. no development targets) and its
    wording."""
    if len(inputs) == 1:
        value = figures[inputs[0].key].value
        return value, _display(value, metric)
    top, bottom = (figures[s.key].value for s in inputs)
    counts = "，".join(
        f"{s.label.removesuffix('人数')}{number_text(figures[s.key].value)}{s.unit}" for s in inputs
    )
    if bottom == 0:
        return None, f"{counts}，本年度无发展对象，不计算比例"
    ratio = top / bottom
    return ratio, f"{counts}，比例为{_display(ratio, metric)}"


def _display(value: Decimal, metric: Metric) -> str:
    return f"{number_text(value)}{metric.unit}"


def _holds(metric: Metric, value: Decimal) -> bool:
    threshold = Decimal(str(metric.threshold))
    if metric.op is Comparator.GE:
        return value >= threshold
    if metric.op is Comparator.LE:
        return value <= threshold
    return value == threshold
