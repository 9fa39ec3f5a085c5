"""Administration: the reminder channels with their state, a test message through each, and
the delivery log with its failures.

The test button calls :func:`obligations.reminders.channel_test.send_test_message`, the
service behind ``obligations channels test NAME``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from obligations.accounts import access
from obligations.reminders.channel_test import send_test_message
from obligations.reminders.config import ReminderConfig, ReminderConfigInvalid
from obligations.reminders.delivery_log import (
    failed_items,
    last_results,
    recent_attempts,
    unrouted_count,
)
from obligations.reminders.routing import list_channels
from obligations.web.auth import PageUser
from obligations.web.state import state_of
from obligations.web.templating import page

router = APIRouter(include_in_schema=False)
LOG_ROWS = 200
FAILED_ITEM_ROWS = 100
STATE_WINDOW = timedelta(days=30)  # a channel's state: its attempts of the last 30 days
_ADDRESS_SEPARATORS = re.compile(r"[\s,，;；、]+")


@router.get("/admin/channels")
def channels(
    request: Request,
    auth: PageUser,
    failures: bool = False,
    message: str = "",
    failed: str = "",
    to: Annotated[str, Query(max_length=2000)] = "",
    channel: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """The channels in channels.yaml with their state (broken, or failing since their last
    success: the latest attempt in the delivery log, a test's too), the channels removed from
    it that still hold reminders, the delivery log, and the reminders that cannot be sent.
    ``message``/``failed``: the outcome of a test just made (green / red); ``to`` the addresses
    it was sent to on ``channel``, kept in its form after a failure."""
    access.require_admin(auth.principal)
    web = state_of(request)
    config_error = None
    try:
        config = web.reminder_config()
    except ReminderConfigInvalid as exc:
        config, config_error = ReminderConfig(), str(exc)
    titles = {located.rule.id: located.rule.title for located in web.catalog.rules}
    with web.sessions() as db:
        views = list_channels(db, config)
        last = last_results(db, list(config.channels), since=web.now() - STATE_WINDOW)
        attempts = recent_attempts(db, failures_only=failures, limit=LOG_ROWS, titles=titles)
        unsendable = failed_items(db, limit=FAILED_ITEM_ROWS, titles=titles)
        unrouted = unrouted_count(db)
    return page(
        request,
        "admin.html",
        auth,
        tab="channels",
        channels=[v for v in views if v.name in config.channels],
        stale=[v for v in views if v.name and v.name not in config.channels],
        unrouted=unrouted,
        last=last,
        configured=set(config.channels),
        admin_emails=config.admins.emails,
        config_error=config_error,
        attempts=attempts,
        failed_items=unsendable,
        failures=failures,
        message=message[:300],
        test_failed=failed[:500],
        typed_to={channel: to} if channel and to else {},
    )


@router.post("/admin/channels/{name}/test")
def test_channel(
    request: Request,
    auth: PageUser,
    name: str,
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    to: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Send a test message; a success puts a broken channel back in use."""
    access.require_admin(auth.principal)
    auth.check_csrf(csrf_token)
    web = state_of(request)
    config = web.reminder_config()
    addresses = [a for a in _ADDRESS_SEPARATORS.split(to) if a]
    result = send_test_message(web.sessions, config, name, to=addresses, now=web.now())
    outcome = "message" if result.ok else "failed"
    kept = "" if result.ok or not to else f"&to={quote(to)}&channel={quote(name)}"
    return RedirectResponse(
        f"/admin/channels?{outcome}={quote(result.describe())}{kept}", status_code=303
    )
