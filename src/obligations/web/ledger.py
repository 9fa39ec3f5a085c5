"""The year's ledger of a unit: HTML, and downloads as DOCX, XLSX and PDF."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from obligations.catalog.load import Catalog
from obligations.errors import NotFound
from obligations.ledger.document import LedgerDocument
from obligations.ledger.render_docx import render_docx
from obligations.ledger.render_html import render_html
from obligations.ledger.render_pdf import render_pdf
from obligations.ledger.render_xlsx import render_xlsx
from obligations.services import access
from obligations.services import ledger as compose
from obligations.web.auth import PageUser
from obligations.web.downloads import content_disposition
from obligations.web.pages_main import YEAR
from obligations.web.state import state_of
from obligations.web.templating import page

router = APIRouter(include_in_schema=False)

FORMATS = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def ledger_document_for(
    session: Session, catalog: Catalog, unit_code: str, year: int, today: date
) -> LedgerDocument:
    """The unit's ledger for ``year``: the one place the web asks for one."""
    return compose.ledger_document_for(session, catalog, unit_code, year, today)


def _document(request: Request, auth: PageUser, code: str, year: int) -> LedgerDocument:
    web = state_of(request)
    with web.sessions() as db:
        access.require_unit(db, auth.principal, code)
        return ledger_document_for(db, web.catalog, code, year, web.today())


@router.get("/units/{code}/ledger")
def ledger_page(request: Request, auth: PageUser, code: str, year: int | None = YEAR) -> Response:
    web = state_of(request)
    with web.sessions() as db:
        unit = access.require_unit(db, auth.principal, code)
    return page(request, "ledger.html", auth, unit=unit, year=year or web.today().year)


@router.get("/units/{code}/ledger/{year}.html")
def ledger_html(request: Request, auth: PageUser, code: str, year: int) -> Response:
    return HTMLResponse(render_html(_document(request, auth, code, year)))


@router.get("/units/{code}/ledger/{year}.{fmt}")
async def ledger_download(
    request: Request, auth: PageUser, code: str, year: int, fmt: str
) -> Response:
    if fmt not in FORMATS:
        raise NotFound(f"不支持的台账格式 {fmt}；可选：docx、xlsx、pdf、html")
    document = await run_in_threadpool(_document, request, auth, code, year)
    renderers = {"docx": render_docx, "xlsx": render_xlsx, "pdf": render_pdf}
    content: bytes = await run_in_threadpool(renderers[fmt], document)
    name = f"{document.unit_name}{year}年度党建工作台账.{fmt}"
    return Response(
        content, media_type=FORMATS[fmt], headers={"Content-Disposition": content_disposition(name)}
    )
