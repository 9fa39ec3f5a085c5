"""Render a ledger as one HTML page for the screen and for printing (A4 landscape).

The 项目 cell spans its section's rows (``rowspan``); the column headers sit in ``<thead>``,
which browsers repeat on every printed page. The gaps summarised in their cells follow the
form line by line in the annex table (附表：差距明细).
"""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from obligations.ledger.document import GAP_ANNEX, GAP_ANNEX_COLUMNS, LedgerDocument, Verdict

TEMPLATE = "ledger.html.j2"
VERDICT_CLASSES = {Verdict.MET: "met", Verdict.NOT_MET: "not-met", Verdict.PENDING: "pending"}


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("obligations.ledger", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
    )


def render_html(document: LedgerDocument) -> str:
    """The ledger as a complete HTML document."""
    template = _environment().get_template(TEMPLATE)
    return template.render(
        doc=document,
        verdict_classes=VERDICT_CLASSES,
        gap_annex=GAP_ANNEX,
        gap_annex_columns=GAP_ANNEX_COLUMNS,
    )
