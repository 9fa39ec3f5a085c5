"""Every unit's ledger and the college summary in one ZIP, as the web offers administrators.

Layout::

    全院台账（2026年度）/
        U01-机电学院党总支台账（2026年度）.docx   (one per unit, as ``ledger --all`` names them)
        台账汇总（2026年度）.xlsx, 台账汇总（2026年度）.html

The ledgers are composed and the summary ranked exactly as ``obligations ledger --all`` does
(:func:`compose_college`); the Word files come from the caller's renderer (the template in
force).
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from sqlalchemy.orm import Session

from obligations.ledger.bundle import ledger_file_name, safe_name
from obligations.ledger.document import LedgerDocument
from obligations.ledger.period import LedgerPeriod
from obligations.ledger.service import ComposedLedger, compose_unit_ledger, unit_codes
from obligations.ledger.summary import (
    CollegeSummary,
    college_summary,
    summary_title,
    task_outcomes,
)
from obligations.ledger.summary_html import summary_html
from obligations.ledger.summary_xlsx import summary_xlsx
from obligations.rules.catalog import Catalog


@dataclass(frozen=True)
class CollegeLedgers:
    period: LedgerPeriod
    ledgers: tuple[ComposedLedger, ...]
    summary: CollegeSummary


def compose_college(
    session: Session, catalog: Catalog, period: LedgerPeriod, today: date
) -> CollegeLedgers:
    """Every unit active in ``period`` composed as of ``today``, and their ranked summary."""
    ledgers = tuple(
        compose_unit_ledger(session, catalog, unit_code=code, period=period, today=today)
        for code in unit_codes(session, period)
    )
    outcomes = task_outcomes(session, period, today)
    summary = college_summary(ledgers, outcomes, title=summary_title(period))
    return CollegeLedgers(period, ledgers, summary)


def archive_name(period: LedgerPeriod) -> str:
    """The ZIP's file name and top folder: 全院台账（2026年度）."""
    return safe_name(f"全院台账（{period.label}）")


def summary_stem(period: LedgerPeriod) -> str:
    return safe_name(f"台账汇总（{period.label}）")


def write_college_archive(
    sink: BinaryIO, college: CollegeLedgers, docx_of: Callable[[LedgerDocument], bytes]
) -> list[str]:
    """Write the ZIP to ``sink``: each unit's Word ledger (``docx_of`` renders one) and the
    summary as Excel and HTML. Returns the entry names in order. Renderer errors propagate
    (:class:`~obligations.ledger.errors.LedgerRenderError`)."""
    root = archive_name(college.period)
    stem = summary_stem(college.period)
    names: list[str] = []
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        def add(name: str, content: bytes) -> None:
            names.append(f"{root}/{name}")
            archive.writestr(names[-1], content)

        for composed in college.ledgers:
            add(ledger_file_name(composed, "docx"), docx_of(composed.document))
        add(f"{stem}.xlsx", summary_xlsx(college.summary))
        add(f"{stem}.html", summary_html(college.summary).encode("utf-8"))
    return names
