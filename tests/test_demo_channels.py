"""A fresh demo, before anyone has written channels.yaml: the reminders the worker plans
wait for a channel, and the channels page says how to configure one instead of listing them
as failures or as a deleted channel."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from starlette.exceptions import StarletteDeprecationWarning
from tests.demo_support import DEMO_NOW, init_demo

from obligations.accounts import users as accounts
from obligations.cli.main import cli
from obligations.db import make_engine, session_factory
from obligations.models.reminders import ReminderItem
from obligations.settings import Settings
from obligations.web import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def reminded_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, int]]:
    """`init --demo` then one reminder run, as `serve`'s worker makes on its first day."""
    data = tmp_path_factory.mktemp("demo-channels")
    init_demo(data, "--without-history")
    ran = CliRunner().invoke(cli, ["--data-dir", str(data), "remind", "--now", "2026-11-25T09:30"])
    assert ran.exit_code == 0, ran.output
    engine = make_engine(Settings(data_dir=data).effective_database_url)
    with session_factory(engine)() as db:
        planned = db.scalar(select(func.count()).select_from(ReminderItem)) or 0
    engine.dispose()
    yield data, planned


def admin_page(data: Path) -> str:
    settings = Settings(data_dir=data)
    engine = make_engine(settings.effective_database_url)
    with session_factory(engine).begin() as db:
        token, _ = accounts.start_session(db, accounts.get_user(db, "admin"), now=DEMO_NOW)
    app = create_app(settings, clock=lambda: DEMO_NOW, engine=engine)
    with TestClient(app) as client:
        client.cookies.set("obl_session", token)
        page = client.get("/admin/channels")
    engine.dispose()
    assert page.status_code == 200
    return page.text


def test_after_init_demo_the_channels_page_shows_guidance_and_no_failure_rows(
    reminded_demo: tuple[Path, int],
) -> None:
    data, planned = reminded_demo
    assert planned > 0  # the run did plan reminders, which wait for a channel
    page = admin_page(data)
    assert 'id="failed-items"' not in page and 'id="stale-channels"' not in page
    assert "（已删除）" not in page and "没有配置管理员接收渠道" not in page
    assert "如何配置提醒渠道" in page and f"有 {planned} 条提醒还没有可用的接收渠道" in page
