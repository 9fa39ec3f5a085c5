"""What a page request does not repeat: reading the catalog, looking at template files,
rebuilding the task-state SQL; and the session's principal read in one query of columns."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from tests.web_support import USERS, WebWorld, web, world_template

from obligations.accounts import users as accounts
from obligations.models.tasks import TaskItemTally, TaskTally
from obligations.rules import catalog as catalog_module
from obligations.rules import keeper as keeper_module
from obligations.tasks.state_sql import status_label, tally_label
from obligations.web.templating import TEMPLATES

__all__ = ["web", "world_template"]


def test_the_catalog_is_read_once_per_process_however_many_pages_are_asked(
    web: WebWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[object] = []
    original = catalog_module.load_catalog

    def counted(*args: object, **kwargs: object) -> object:
        loads.append(args)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(catalog_module, "load_catalog", counted)
    monkeypatch.setattr(keeper_module, "load_catalog", counted)
    state = web.client.app.state.web  # type: ignore[attr-defined]
    already = state.catalog_keeper._catalog is not None
    client, _ = web.login("admin")
    for _ in range(3):
        for path in ("/", "/units/U01", "/my", "/review"):
            assert client.get(path).status_code == 200, path
    assert len(loads) == (0 if already else 1)  # by the first page that needs it


def test_a_page_asked_again_looks_at_none_of_its_template_files(
    web: WebWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = web.login("admin")
    assert client.get("/units/U01").status_code == 200  # compiles unit.html and its includes
    looked: list[str] = []
    original = os.path.getmtime

    def counted(path: str | os.PathLike[str]) -> float:
        if Path(path).is_relative_to(TEMPLATES):
            looked.append(str(path))
        return original(path)

    monkeypatch.setattr(os.path, "getmtime", counted)
    for _ in range(3):
        assert client.get("/units/U01").status_code == 200
    assert looked == []


def test_the_task_state_sql_is_built_once_a_day_and_shared() -> None:
    day, next_day = date(2026, 11, 25), date(2026, 11, 26)
    assert status_label(today=day, due_soon_days=7) is status_label(today=day, due_soon_days=7)
    assert status_label(today=day, due_soon_days=7) is not status_label(
        today=next_day, due_soon_days=7
    )
    assert status_label(today=day, due_soon_days=7) is not status_label(today=day, due_soon_days=3)
    assert tally_label(TaskTally, today=day, due_soon_days=7) is tally_label(
        TaskTally, today=day, due_soon_days=7
    )
    assert tally_label(TaskTally, today=day, due_soon_days=7) is not tally_label(
        TaskItemTally, today=day, due_soon_days=7
    )


def test_a_session_is_read_as_the_principal_its_user_has_for_every_role(web: WebWorld) -> None:
    for username in USERS:
        with web.sessions.begin() as db:
            user = accounts.get_user(db, username)
            token, csrf = accounts.start_session(db, user, now=web.clock[0])
            expected = accounts.principal_of(db, user)
        with web.sessions() as db:
            found = accounts.session_principal(db, token, now=web.clock[0])
        assert found == (expected, csrf), username
