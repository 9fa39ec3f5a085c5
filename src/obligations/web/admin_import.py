"""Administration: the Excel onboarding workbook (organizations, people, roles, calendar).

The upload goes through :func:`obligations.orgdata.service.import_path`, the function behind
``obligations import``: everything is checked first, and a rejected workbook changes nothing
and lists every problem with its sheet, row and column. "Check only" rolls the import back,
as ``obligations import --dry-run`` does.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from obligations.accounts import access
from obligations.errors import InvalidRequest, OutOfSpace
from obligations.evidence.storage.limits import format_size
from obligations.orgdata.service import ImportProblem, ImportRejected, ImportReport, import_path
from obligations.scratch import scratch_dir, scratch_folder
from obligations.web.auth import PageUser
from obligations.web.downloads import content_disposition
from obligations.web.file_upload import receive_file
from obligations.web.state import WebState, state_of
from obligations.web.templating import page

router = APIRouter(include_in_schema=False)

MAX_WORKBOOK_BYTES = 10 * 1024 * 1024
TEMPLATE_NAME = "组织人员校历导入模板.xlsx"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _import_page(
    request: Request, auth: PageUser, *, status_code: int = 200, **context: object
) -> Response:
    return page(
        request,
        "admin.html",
        auth,
        tab="import",
        max_size=format_size(MAX_WORKBOOK_BYTES),
        status_code=status_code,
        **context,
    )


@router.get("/admin/import")
def import_form(request: Request, auth: PageUser) -> Response:
    access.require_admin(auth.principal)
    return _import_page(request, auth)


def _template_bytes() -> bytes:
    from obligations.orgdata.template import write_template  # openpyxl loads slowly

    with tempfile.TemporaryDirectory(prefix="obligations-template-") as folder:
        path = Path(folder) / "template.xlsx"
        write_template(path)
        return path.read_bytes()


@router.get("/admin/import/template.xlsx")
async def import_template(request: Request, auth: PageUser) -> Response:
    """The empty workbook, as ``obligations template FILE.xlsx`` writes it."""
    access.require_admin(auth.principal)
    content = await run_in_threadpool(_template_bytes)
    return Response(
        content,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": content_disposition(TEMPLATE_NAME)},
    )


def _run_import(
    web: WebState, path: Path, *, dry_run: bool
) -> tuple[ImportReport | None, list[ImportProblem]]:
    with web.sessions() as db:
        try:
            report = import_path(db, path, now=web.now())
        except ImportRejected as exc:
            db.rollback()
            return None, exc.problems
        if dry_run:
            db.rollback()
        else:
            db.commit()
    return report, []


@router.post("/admin/import")
async def import_workbook(request: Request, auth: PageUser) -> Response:
    access.require_admin(auth.principal)
    web = state_of(request)
    with scratch_folder(scratch_dir(web.settings.data_dir), prefix="import-") as folder:
        target = folder / "workbook.xlsx"
        try:
            received = await receive_file(
                request, target, csrf=auth.csrf, max_bytes=MAX_WORKBOOK_BYTES
            )
        except OutOfSpace as exc:  # the import page again, the message above its form
            return _import_page(request, auth, status_code=507, error=str(exc))
        if received.filename is None or received.size == 0:
            raise InvalidRequest("请选择要导入的 Excel 文件（.xlsx）")
        if not received.filename.lower().endswith(".xlsx"):
            raise InvalidRequest(
                f"请上传 Excel 工作簿（.xlsx），不是 {received.filename}；旧版 .xls 请另存为 .xlsx"
            )
        dry_run = received.fields.get("dry_run") == "1"
        report, problems = await run_in_threadpool(_run_import, web, target, dry_run=dry_run)
    return _import_page(
        request,
        auth,
        status_code=400 if problems else 200,
        filename=received.filename,
        dry_run=dry_run,
        report=report,
        problems=problems,
    )
