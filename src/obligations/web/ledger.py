"""The year's ledger of a unit: HTML, downloads as DOCX, XLSX and PDF, the evidence bundle
(ZIP), and the unit's narrative and measures for each item, with the items whose gaps still
lack a measure listed first (each gap cell says （整改措施待填写） until one is written)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from obligations.accounts import access
from obligations.accounts.access import Principal
from obligations.errors import InvalidRequest, NotFound, ServiceError
from obligations.evidence.storage import BlobNotFound
from obligations.ledger import service as compose
from obligations.ledger.bundle import ledger_file_name, write_bundle
from obligations.ledger.college import archive_name, compose_college, write_college_archive
from obligations.ledger.document import LedgerDocument
from obligations.ledger.items import lacking_measures, measures_needed
from obligations.ledger.notes import MAX_TEXT, list_notes, set_note
from obligations.ledger.period import calendar_year
from obligations.ledger.render_html import render_html
from obligations.ledger.summary_html import summary_html
from obligations.rules.catalog import Catalog
from obligations.scratch import new_scratch_file, scratch_dir
from obligations.web.auth import PageAuth, PageUser
from obligations.web.downloads import content_disposition
from obligations.web.errors import status_for
from obligations.web.headers import self_contained_page
from obligations.web.pages_main import YEAR
from obligations.web.params import YearPath
from obligations.web.state import WebState, state_of
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


def _document(request: Request, auth: PageUser, code: str, year: YearPath) -> LedgerDocument:
    web = state_of(request)
    with web.sessions() as db:
        access.require_unit(db, auth.principal, code)
        return ledger_document_for(db, web.catalog, code, year, web.today())


# Generous: the service refuses over-long notes with its own message (MAX_TEXT characters).
NoteField = Annotated[str, Form(max_length=MAX_TEXT * 4)]
CsrfField = Annotated[str, Form(max_length=200)]
BUNDLE_MEDIA_TYPE = "application/zip"


@router.get("/units/{code}/ledger")
def ledger_page(
    request: Request, auth: PageUser, code: str, year: int | None = YEAR, message: str = ""
) -> Response:
    return _ledger_page(request, auth, code, year or state_of(request).today().year, message)


def _ledger_page(
    request: Request,
    auth: PageAuth,
    code: str,
    year: int,
    message: str = "",
    *,
    refused: ServiceError | None = None,
    typed: TypedNote | None = None,
) -> Response:
    """The ledger page; after a refused note, its message and the typed text in its form."""
    web = state_of(request)
    with web.sessions() as db:
        unit = access.require_unit(db, auth.principal, code)
        notes = list_notes(db, unit_code=unit.code, year=year)
        rows = ledger_document_for(db, web.catalog, unit.code, year, web.today()).rows
        return page(
            request,
            "ledger.html",
            auth,
            status_code=status_for(refused) if refused else 200,
            unit=unit,
            year=year,
            sections=web.catalog.ledger.sections,
            notes=notes,
            can_edit=access.can_edit_ledger(auth.principal, unit.id),
            max_text=MAX_TEXT,
            message=message[:200],
            error=str(refused) if refused else "",
            typed=typed,
            lacking={row.item_id: row for row in lacking_measures(rows)},
            measures_needed=measures_needed(rows),
        )


@dataclass(frozen=True)
class TypedNote:
    """What was typed into an item's note form."""

    item_id: str
    narrative: str
    measures: str


@router.post("/units/{code}/ledger/{year}/items/{item_id}/notes")
def save_notes(
    request: Request,
    auth: PageUser,
    code: str,
    year: YearPath,
    item_id: str,
    csrf_token: CsrfField = "",
    narrative: NoteField = "",
    measures: NoteField = "",
) -> Response:
    """Write an item's narrative and measures (an empty text clears it)."""
    auth.check_csrf(csrf_token)
    web = state_of(request)
    try:
        with web.sessions.begin() as db:
            set_note(
                db,
                web.catalog,
                unit_code=code,
                item_id=item_id,
                year=year,
                narrative=narrative,
                measures=measures,
                by=auth.principal,
                now=web.now(),
            )
    except InvalidRequest as exc:  # the page again, the typed text kept
        known = any(item.id == item_id for item in web.catalog.items)
        typed = TypedNote(item_id, narrative, measures) if known else None
        return _ledger_page(request, auth, code, year, refused=exc, typed=typed)
    done = quote(f"条目 {item_id} 的说明已保存")
    return RedirectResponse(
        f"/units/{quote(code)}/ledger?year={year}&message={done}#item-{quote(item_id)}",
        status_code=303,
    )


def _write_bundle(web: WebState, principal: Principal, code: str, year: int, target: Path) -> str:
    """Compose the ledger and write its evidence bundle to ``target``; the download's name."""
    with web.sessions() as db:
        access.require_unit(db, principal, code)
        composed = compose.compose_unit_ledger(
            db, web.catalog, unit_code=code, period=calendar_year(year), today=web.today()
        )
    docx = web.render_ledger(composed.document, "docx")
    try:
        with target.open("wb") as sink:
            write_bundle(sink, composed, web.catalog, web.store, docx=docx)
    except BlobNotFound as exc:
        raise NotFound(
            f"佐证材料文件缺失（{exc}），未能生成材料包；请管理员运行 obligations verify 检查存储"
        ) from exc
    return ledger_file_name(composed, "zip")


@router.get("/units/{code}/ledger/{year}/bundle.zip")
async def ledger_bundle(request: Request, auth: PageUser, code: str, year: YearPath) -> Response:
    """The evidence bundle, as ``obligations ledger UNIT --year YEAR --bundle`` writes it."""
    web = state_of(request)
    # In the data directory, not /tmp: a download killed half-way is swept by verify or start-up.
    target = new_scratch_file(scratch_dir(web.settings.data_dir), prefix="bundle-", suffix=".zip")
    try:
        filename = await run_in_threadpool(_write_bundle, web, auth.principal, code, year, target)
    except BaseException:
        with contextlib.suppress(OSError):
            target.unlink()
        raise
    return FileResponse(
        target,
        media_type=BUNDLE_MEDIA_TYPE,
        headers={"Content-Disposition": content_disposition(filename)},
        background=BackgroundTask(target.unlink, missing_ok=True),
    )


def _write_college(web: WebState, principal: Principal, year: int, target: Path) -> str:
    """Every unit's Word ledger and the summary, zipped to ``target``; the download's name."""
    access.require_admin(principal)
    period = calendar_year(year)
    with web.sessions() as db:
        college = compose_college(db, web.catalog, period, web.today())
    if not college.ledgers:
        raise NotFound("数据库中没有党总支或直属党支部，请先导入组织数据")
    with target.open("wb") as sink:
        write_college_archive(sink, college, lambda document: web.render_ledger(document, "docx"))
    return f"{archive_name(period)}.zip"


@router.get("/ledger/{year}/all.zip")
async def college_ledgers(request: Request, auth: PageUser, year: YearPath) -> Response:
    """Administrators: every unit's ledger (Word) and the college summary (Excel, HTML) in one
    ZIP, built in the data directory's scratch folder and removed once sent."""
    access.require_admin(auth.principal)
    web = state_of(request)
    target = new_scratch_file(scratch_dir(web.settings.data_dir), prefix="college-", suffix=".zip")
    try:
        filename = await run_in_threadpool(_write_college, web, auth.principal, year, target)
    except BaseException:
        with contextlib.suppress(OSError):
            target.unlink()
        raise
    return FileResponse(
        target,
        media_type=BUNDLE_MEDIA_TYPE,
        headers={"Content-Disposition": content_disposition(filename)},
        background=BackgroundTask(target.unlink, missing_ok=True),
    )


def _summary_page(web: WebState, year: int) -> str:
    with web.sessions() as db:
        college = compose_college(db, web.catalog, calendar_year(year), web.today())
    return summary_html(college.summary)


@router.get("/ledger/{year}/summary.html")
async def college_summary_page(request: Request, auth: PageUser, year: YearPath) -> Response:
    """Administrators: the college summary (ranked units, a bar per unit) as a page."""
    access.require_admin(auth.principal)
    html = await run_in_threadpool(_summary_page, state_of(request), year)
    return self_contained_page(html)


@router.get("/units/{code}/ledger/{year}.html")
def ledger_html(request: Request, auth: PageUser, code: str, year: YearPath) -> Response:
    return self_contained_page(render_html(_document(request, auth, code, year)))


@router.get("/units/{code}/ledger/{year}.{fmt}")
async def ledger_download(
    request: Request, auth: PageUser, code: str, year: YearPath, fmt: str
) -> Response:
    if fmt not in FORMATS:
        raise NotFound(f"不支持的台账格式 {fmt}；可选：docx、xlsx、pdf、html")
    document = await run_in_threadpool(_document, request, auth, code, year)
    # In the template in force, as the CLI and the bundle render it; a LedgerRenderError
    # (no LibreOffice, a broken template) becomes a message page (web.app).
    content = await run_in_threadpool(state_of(request).render_ledger, document, fmt)
    name = f"{document.unit_name}{year}年度党建工作台账.{fmt}"
    return Response(
        content, media_type=FORMATS[fmt], headers={"Content-Disposition": content_disposition(name)}
    )
