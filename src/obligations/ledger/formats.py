"""A ledger in any of its download formats, from one function the CLI and the web app share."""

from __future__ import annotations

from pathlib import Path

from obligations.ledger.document import LedgerDocument
from obligations.ledger.render_docx import render_docx
from obligations.ledger.render_html import render_html
from obligations.ledger.render_pdf import docx_to_pdf
from obligations.ledger.render_xlsx import render_xlsx

FORMATS = ("docx", "xlsx", "html", "pdf")


def render_ledger(
    document: LedgerDocument, fmt: str, template: Path, *, scratch: Path | None = None
) -> bytes:
    """``document`` as bytes in ``fmt`` (one of :data:`FORMATS`; HTML is UTF-8).

    Word and PDF are filled into ``template`` (PDF is the Word ledger converted by
    LibreOffice in a working folder under ``scratch``, the data directory's temporary
    folder). Raises :class:`~obligations.ledger.errors.LedgerRenderError` when the
    template is broken or the PDF cannot be made, ``ValueError`` for an unknown format.
    """
    if fmt == "xlsx":
        return render_xlsx(document)
    if fmt == "html":
        return render_html(document).encode("utf-8")
    if fmt not in ("docx", "pdf"):
        raise ValueError(f"unknown ledger format {fmt!r}; one of {FORMATS}")
    docx = render_docx(document, template)
    return docx_to_pdf(docx, scratch=scratch) if fmt == "pdf" else docx
