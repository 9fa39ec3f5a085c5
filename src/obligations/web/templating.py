"""Jinja2 templates for the pages, with the signed-in user and CSRF token in every context."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from obligations.accounts import access
from obligations.evidence import review_inbox
from obligations.rules.periods import period_text
from obligations.tasks.status import TaskStatus
from obligations.timeutil import LOCAL_TZ
from obligations.web.auth import PageAuth
from obligations.web.state import state_of

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates"
# Compiled once per process and kept: the templates ship with the code, so no request looks at
# their files again (Jinja's default auto_reload stats each one, includes too, on every render).
templates = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(), auto_reload=False
    )
)

STATUS_CLASSES = {
    TaskStatus.UPCOMING: "upcoming",
    TaskStatus.OPEN: "open",
    TaskStatus.DUE_SOON: "due-soon",
    TaskStatus.OVERDUE: "overdue",
    TaskStatus.DONE: "done",
    TaskStatus.DONE_LATE: "done-late",
    TaskStatus.WAIVED: "waived",
    TaskStatus.RETIRED: "retired",
}


def percent(value: float | None) -> str:
    """A share 0..1 as a whole percentage ("83%"), "—" when there is none."""
    return "—" if value is None else f"{value * 100:.0f}%"


def _local(instant: datetime) -> str:
    return instant.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


templates.env.filters["percent"] = percent
templates.env.filters["period"] = period_text
templates.env.filters["actor"] = access.actor_text
templates.env.globals["local"] = _local
templates.env.globals["status_class"] = STATUS_CLASSES
templates.env.globals["TaskStatus"] = TaskStatus


def page(
    request: Request,
    name: str,
    auth: PageAuth | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    values = {
        "auth": auth,
        "me": auth.principal if auth else None,
        "csrf": auth.csrf if auth else "",
        "catalog_problems": catalog_problems(request) if auth and auth.principal.is_admin else [],
        "review_count": _review_count(request, auth),
    }
    return templates.TemplateResponse(request, name, values | context, status_code=status_code)


def catalog_problems(request: Request) -> list[str]:
    """The errors of the data directory's rule catalog while the site serves the last valid
    one, each "calendar_rules/rules/x.yaml:12：错误：…" (for the administrators' banner)."""
    state = state_of(request)
    keeper = state.catalog_keeper
    try:
        keeper.current()
    except Exception:  # the shipped catalog itself: the page's own handler reports it
        log.warning("no rule catalog could be loaded", exc_info=True)
    base = state.settings.data_dir
    shown = []
    for problem in keeper.problems:
        where = problem.file
        with contextlib.suppress(ValueError):
            where = where.relative_to(base)
        shown.append(str(replace(problem, file=where)))
    return shown


def _review_count(request: Request, auth: PageAuth | None) -> int | None:
    """The header's "待审核 N" for those who review (one COUNT query), else None."""
    if auth is None or not access.reviews_any(auth.principal):
        return None
    web = state_of(request)
    if not web.evidence_policy.review_enabled:
        return None
    with web.sessions() as db:
        return review_inbox.pending_count(db, auth.principal)
