"""The composition root: one place builds what the CLI, the web app and the worker share."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine

from obligations.cli.context import AppContext
from obligations.composition import Root
from obligations.db import make_engine
from obligations.ledger.render_docx import default_template
from obligations.settings import Settings
from obligations.web.state import WebState


def test_the_cli_and_the_web_app_build_their_parts_through_the_same_root() -> None:
    assert issubclass(AppContext, Root) and issubclass(WebState, Root)
    for door in (AppContext, WebState):
        own = {name for name in vars(door) if not name.startswith("_")}
        assert own.isdisjoint({"engine", "sessions", "store", "evidence_policy", "ledger_template"})


def test_the_ledger_template_in_force_is_the_data_directorys_copy_once_it_is_there(
    tmp_path: Path,
) -> None:
    root = Root(Settings(data_dir=tmp_path))
    assert root.ledger_template == default_template()
    (tmp_path / "calendar_rules").mkdir()
    (tmp_path / "calendar_rules" / "ledger-template.docx").write_bytes(b"restyled")
    assert root.ledger_template == tmp_path / "calendar_rules" / "ledger-template.docx"


def test_today_is_the_local_date_of_the_roots_clock(tmp_path: Path) -> None:
    # 2026-12-31 17:00 UTC is already 2027-01-01 01:00 in Shanghai.
    root = Root(Settings(data_dir=tmp_path), clock=lambda: datetime(2026, 12, 31, 17, tzinfo=UTC))
    assert root.today() == date(2027, 1, 1)


def test_closing_the_root_leaves_an_engine_it_was_given_to_its_owner(tmp_path: Path) -> None:
    given: Engine = make_engine(f"sqlite:///{tmp_path / 'given.sqlite3'}")
    try:
        root = Root(Settings(data_dir=tmp_path), engine_override=given)
        assert root.engine is given
        with root.engine.connect():
            pass
        root.close()
        assert given.pool.checkedin() == 1  # not disposed: its pooled connection is still there
    finally:
        given.dispose()
