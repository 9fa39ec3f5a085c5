"""`obligations remind`, `channels list`, `channels assign` and `channels test`."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy.orm import Session, sessionmaker
from tests import test_channel_robots as robots
from tests.reminder_support import Inbox, channels_file, inbox_server, many_branches

from obligations.cli.main import cli

provider = robots.provider  # the fake robot server, a fixture


@pytest.fixture
def env(sqlite_url: str) -> dict[str, str]:
    return {"OBLIGATIONS_DATABASE_URL": sqlite_url}


def run(tmp_path: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), *args], env=env)
    return result.exit_code, result.output


def test_remind_dry_run_shows_what_would_be_sent_and_sends_nothing(
    tmp_path: Path, env: dict[str, str], sqlite_url: str
) -> None:
    from obligations.db import make_engine, session_factory

    engine = make_engine(sqlite_url)
    sessions: sessionmaker[Session] = session_factory(engine)
    with sessions.begin() as session:
        many_branches(session, units=1, branches=2, tasks_per_branch=3)
    engine.dispose()
    inbox = Inbox()
    with inbox_server(inbox) as port:
        channels_file(tmp_path, port)
        code, out = run(tmp_path, env, "remind", "--dry-run", "--now", "2026-03-24T09:30")
        assert code == 0, out
        assert out.count("将发送") == 2 and inbox.messages == []
        code, out = run(tmp_path, env, "remind", "--now", "2026-03-24T09:30")
        assert code == 0, out
        assert "合计：发送 6 条" in out and len(inbox.messages) == 2
        code, out = run(tmp_path, env, "remind", "--now", "2026-10-02T09:30")
        assert "不是工作日发送时段" in out


def test_channels_can_be_listed_assigned_and_tested(tmp_path: Path, env: dict[str, str]) -> None:
    inbox = Inbox()
    with inbox_server(inbox) as port:
        channels_file(tmp_path, port)
        code, out = run(tmp_path, env, "channels", "list")
        assert code == 0 and "mail" in out and "电子邮件" in out and "正常" in out
        code, out = run(tmp_path, env, "channels", "test", "mail")
        assert code == 0, out
        assert inbox.messages[0].to == ("zzb@example.edu.cn",)
        code, out = run(tmp_path, env, "channels", "test", "nope")
        assert code == 2 and "没有名为 nope 的渠道" in out
        code, out = run(tmp_path, env, "channels", "assign", "U01", "mail")
        assert code == 2 and "没有编号为 U01 的组织" in out


def test_a_bad_channels_file_names_the_field(tmp_path: Path, env: dict[str, str]) -> None:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "channels.yaml").write_text("defaults: [missing]\n", encoding="utf-8")
    code, out = run(tmp_path, env, "channels", "list")
    assert code == 2 and "missing" in out


def test_remind_says_which_robot_is_paused_after_a_rate_limit_and_until_when(
    tmp_path: Path, env: dict[str, str], sqlite_url: str, provider: robots.FakeProvider
) -> None:
    from obligations.db import make_engine, session_factory

    engine = make_engine(sqlite_url)
    with session_factory(engine).begin() as session:
        many_branches(session, units=1, branches=3, tasks_per_branch=1)
    engine.dispose()
    provider.answer_always(200, {"errcode": 45009, "errmsg": "api freq out of limit"})
    robot = {"kind": "wecom", "key": "k", "base_url": provider.url}
    config = {"channels": {"robot": robot}, "defaults": ["robot"]}
    (tmp_path / "channels.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["--data-dir", str(tmp_path), "remind", "--now", "2026-03-24T09:30"], env=env
    )
    assert result.exit_code == 0, result.output
    assert "渠道 robot 被服务方限流，09:31:00 前暂停发送" in result.stderr
    assert "无法发送 0 条，限流暂缓 2 条" in result.stdout
    assert len(provider.requests) == 1
