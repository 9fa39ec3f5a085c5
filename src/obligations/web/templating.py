"""Jinja2 templates for the pages, with the signed-in user and CSRF token in every context."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from obligations.tasks.status import TaskStatus
from obligations.timeutil import LOCAL_TZ
from obligations.web.auth import PageAuth

templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))

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


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _local(instant: datetime) -> str:
    return instant.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


templates.env.filters["percent"] = _percent
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
    }
    return templates.TemplateResponse(request, name, values | context, status_code=status_code)
