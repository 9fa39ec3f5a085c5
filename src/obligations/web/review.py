"""The review inbox (待审核材料): the records waiting for the signed-in reviewer, decided in
place. The lists and the decisions are :mod:`obligations.evidence.review_inbox` and
:func:`obligations.evidence.records.review`; this door reads the form and answers."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from obligations.errors import InvalidRequest
from obligations.evidence import records as evidence
from obligations.evidence import review_inbox
from obligations.web.auth import PageAuth, PageUser
from obligations.web.params import RowId
from obligations.web.state import state_of
from obligations.web.templating import page

router = APIRouter(include_in_schema=False)

UnitParam = Annotated[str, Query(max_length=64)]
PageParam = Annotated[int, Query(ge=1, le=100_000)]
DECISIONS = {"accept": True, "reject": False}


def inbox_url(unit: str, number: int, message: str = "") -> str:
    """The inbox with its unit filter and page kept (and a confirmation to show)."""
    values = {"unit": unit, "page": number if number > 1 else "", "message": message}
    query = urlencode({k: v for k, v in values.items() if v})
    return f"/review?{query}" if query else "/review"


def _inbox(
    request: Request,
    auth: PageAuth,
    unit: str,
    number: int,
    *,
    status_code: int = 200,
    message: str = "",
    problem: tuple[int, str, str] | None = None,
) -> Response:
    """The inbox page; ``problem`` is (record id, message, typed reason) of a refused decision,
    shown on that record's row (or above the list if it is no longer waiting)."""
    web = state_of(request)
    with web.sessions() as db:
        listed = review_inbox.inbox_page(
            db, web.catalog, auth.principal, unit_code=unit, page=number
        )
    shown = problem is not None and any(r.record_id == problem[0] for r in listed.rows)
    return page(
        request,
        "review.html",
        auth,
        status_code=status_code,
        message=message[:200],
        inbox=listed,
        page_size=review_inbox.PAGE_ROWS,
        unit=unit,
        review_enabled=web.evidence_policy.review_enabled,
        problem=problem if shown else None,
        error=problem[1] if problem is not None and not shown else "",
        prev_url=inbox_url(unit, listed.number - 1) if listed.number > 1 else None,
        next_url=inbox_url(unit, listed.number + 1) if listed.number < listed.pages else None,
    )


@router.get("/review")
def inbox(
    request: Request, auth: PageUser, unit: UnitParam = "", page: PageParam = 1, message: str = ""
) -> Response:
    """The records waiting for the reviewer, oldest first; 403 for those who review nothing."""
    return _inbox(request, auth, unit, page, message=message)


@router.post("/review/{record_id}")
def decide(
    request: Request,
    auth: PageUser,
    record_id: RowId,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    decision: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    unit: Annotated[str, Form(max_length=64)] = "",
    page: Annotated[int, Form(ge=1, le=100_000)] = 1,
) -> Response:
    """Accept or return one record from the inbox, then back to the same page of the inbox
    with a confirmation. A refused decision (a return without a reason, a record decided in
    the meantime) shows the inbox again (400) with the message on the record's row and the
    reason as typed; nothing is changed."""
    auth.check_csrf(csrf_token)
    web = state_of(request)
    try:
        if decision not in DECISIONS:
            raise InvalidRequest("请选择“通过”或“退回”")
        with web.sessions.begin() as db:
            record = evidence.review(
                db, web.evidence_policy, record_id=record_id, accept=DECISIONS[decision],
                reason=reason or None, by=auth.principal, now=web.now(), pending_only=True,
            )  # fmt: skip
            title = record.title
    except InvalidRequest as exc:
        return _inbox(
            request, auth, unit, page, status_code=400, problem=(record_id, str(exc), reason)
        )
    done = "已通过" if DECISIONS[decision] else "已退回"
    return RedirectResponse(inbox_url(unit, page, f"{done}：{title}"), status_code=303)
