"""The college summary as one HTML page (screen and print, A4 landscape): the ranked table
with a bar per unit drawn in inline SVG, so it needs neither JavaScript nor inline styles."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from obligations.ledger.summary import CollegeSummary, UnitStanding
from obligations.ledger.summary_xlsx import COLUMNS

TEMPLATE = "summary.html.j2"


@dataclass(frozen=True)
class _Row:
    rank: str
    code: str
    name: str
    due: int
    shares: tuple[str, str, str]  # "85.0%" or "—"
    met: int
    not_met: int
    pending: int
    failing: str
    bar: str | None  # the on-time share as the bar's length out of 100
    total: bool = False


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("obligations.ledger", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def summary_html(summary: CollegeSummary) -> str:
    """The summary as a complete HTML document."""
    rows = [_row(standing) for standing in summary.standings]
    rows.append(_row(summary.total, total=True))
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(summary=summary, headers=[header for header, _ in COLUMNS], rows=rows)
    )


def _row(standing: UnitStanding, *, total: bool = False) -> _Row:
    outcomes = standing.outcomes
    shares = (outcomes.on_time_share, outcomes.late_share, outcomes.missed_share)
    texts = tuple(f"{value}%" if value is not None else "—" for value in shares)
    return _Row(
        rank=str(standing.rank or ""),
        code=standing.unit_code,
        name=standing.unit_name,
        due=outcomes.due,
        shares=(texts[0], texts[1], texts[2]),
        met=standing.met,
        not_met=standing.not_met,
        pending=standing.pending,
        failing="、".join(standing.failing),
        bar=str(shares[0]) if shares[0] is not None else None,
        total=total,
    )
