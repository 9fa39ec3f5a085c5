"""A small college with accounts of every role, built once and copied for each web test."""

from __future__ import annotations

import io
import shutil
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import StarletteDeprecationWarning
from tests import factories
from tests.evidence_support import add_to_task
from tests.helpers import shipped_catalog
from tests.storage_samples import PDF

from obligations.accounts import users as accounts
from obligations.accounts.users import NewUser
from obligations.db import make_engine, session_factory
from obligations.evidence.intake import Upload
from obligations.evidence.records import EvidenceInput, EvidencePolicy
from obligations.evidence.storage import LocalBlobStore, UploadLimits
from obligations.models import Organization, Task
from obligations.schema import upgrade
from obligations.settings import Settings
from obligations.tasks.generation import generate_tasks
from obligations.vocabulary import EvidenceKind, Role, UserRole
from obligations.web import create_app

with warnings.catch_warnings():
    # Starlette 1.0 prefers the httpx2 package for its test client; httpx works the same.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

# 2026-11-25 10:00 in Shanghai: October's monthly tasks are overdue, November's open.
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)

# username -> (role, scope, person)
USERS: dict[str, tuple[UserRole, str | None, str | None]] = {
    "admin": (UserRole.ADMIN, None, None),
    "viewer_all": (UserRole.VIEWER, "C", None),
    "u01_manager": (UserRole.UNIT_MANAGER, "U01", "T1"),
    "u01_viewer": (UserRole.VIEWER, "U01", None),
    "b1_secretary": (UserRole.BRANCH_SECRETARY, "U01-B01", "PB1"),
    "b2_secretary": (UserRole.BRANCH_SECRETARY, "U01-B02", None),
    "u02_manager": (UserRole.UNIT_MANAGER, "U02", "T3"),
}


@dataclass
class World:
    ids: dict[str, int] = field(default_factory=dict)


def _task(session: Session, org: Organization, rule: str, period: str) -> Task:
    return session.scalars(
        select(Task).where(
            Task.organization_id == org.id,
            Task.rule_id == rule,
            Task.period_key == period,
            Task.person_id.is_(None),
        )
    ).one()


def build_world(session: Session, store: LocalBlobStore) -> World:
    orgs = factories.small_college(session)
    factories.assign(
        session, factories.person(session, "PB1", "赵支书"), orgs["B1"], Role.SECRETARY
    )
    generate_tasks(session, shipped_catalog(), through=date(2026, 12, 31), now=NOW)
    for username, (role, scope, person) in USERS.items():
        accounts.add_user(
            session,
            NewUser(username, username, PASSWORD, role, scope_code=scope, person_code=person),
            now=NOW,
        )
    world = World()
    branch_rule = session.scalar(
        select(Task.rule_id).where(Task.organization_id == orgs["B1"].id).order_by(Task.rule_id)
    )
    # A monthly branch task (三会一课: the branch members' meeting) of October: overdue.
    task_b1 = session.scalars(
        select(Task)
        .where(Task.organization_id == orgs["B1"].id, Task.due_on < date(2026, 11, 25))
        .where(Task.due_on >= date(2026, 10, 1), Task.person_id.is_(None))
        .order_by(Task.due_on, Task.id)
    ).first()
    assert task_b1 is not None, branch_rule
    task_b1_open = session.scalars(
        select(Task)
        .where(Task.organization_id == orgs["B1"].id, Task.due_on > date(2026, 11, 25))
        .where(Task.opens_on <= date(2026, 11, 25), Task.person_id.is_(None))
        .order_by(Task.due_on, Task.id)
    ).first()
    assert task_b1_open is not None
    task_u01 = _task(session, orgs["U01"], "central-group-study", "2026-10")
    task_u02 = session.scalars(
        select(Task)
        .where(Task.organization_id == orgs["U02"].id, Task.due_on >= date(2026, 10, 1))
        .where(Task.due_on < date(2026, 11, 25), Task.person_id.is_(None))
        .order_by(Task.due_on, Task.id)
    ).first()
    assert task_u02 is not None
    task_u02_open = session.scalars(
        select(Task)
        .where(Task.organization_id == orgs["U02"].id, Task.due_on > date(2026, 11, 25))
        .where(Task.opens_on <= date(2026, 11, 25), Task.person_id.is_(None))
        .order_by(Task.due_on, Task.id)
    ).first()
    assert task_u02_open is not None
    policy = EvidencePolicy(limits=UploadLimits(max_bytes=100_000))
    records = {}
    for name, task in (("rec_b1", task_b1_open), ("rec_u02", task_u02_open)):
        record = add_to_task(
            session,
            store,
            policy,
            task_id=task.id,
            data=EvidenceInput(
                title="会议记录",
                held_on=max(task.period_start, date(2026, 10, 1)),
                kind=EvidenceKind.MINUTES,
            ),
            uploads=[Upload("支部党员大会记录.pdf", io.BytesIO(PDF))],
            actor="seed",
            now=NOW,
        )
        records[name] = record.id
    world.ids = {
        "task_b1": task_b1.id,
        "task_b1_open": task_b1_open.id,
        "task_u01": task_u01.id,
        "task_u02": task_u02.id,
        "task_u02_open": task_u02_open.id,
        **records,
        **{code: org.id for code, org in orgs.items()},
    }
    return world


@dataclass
class WebWorld:
    client: TestClient
    sessions: sessionmaker[Session]
    ids: dict[str, int]
    settings: Settings
    clock: list[datetime]

    def login(self, username: str) -> tuple[TestClient, str]:
        """A client signed in as ``username`` (session created directly) and its CSRF token."""
        with self.sessions.begin() as db:
            user = accounts.get_user(db, username)
            token, csrf = accounts.start_session(db, user, now=self.clock[0])
        client = TestClient(self.client.app, follow_redirects=False)
        client.cookies.set("obl_session", token)
        return client, csrf

    def api(self, username: str) -> TestClient:
        with self.sessions.begin() as db:
            user = accounts.get_user(db, username)
            token = accounts.create_api_token(db, user, "测试", now=self.clock[0])
        client = TestClient(self.client.app, follow_redirects=False)
        client.headers["Authorization"] = f"Bearer {token}"
        return client


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    folder = tmp_path_factory.mktemp("web-world")
    engine = make_engine(f"sqlite:///{folder / 'obligations.sqlite3'}")
    upgrade(engine)
    original = accounts.hasher
    accounts.hasher = FAST_HASHER
    try:
        with session_factory(engine).begin() as session:
            world = build_world(session, LocalBlobStore(folder / "evidence"))
    finally:
        accounts.hasher = original
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return folder, world.ids


def copy_world(template: tuple[Path, dict[str, int]], data_dir: Path) -> None:
    """The world's database and evidence into ``data_dir`` (whose evidence folder may exist:
    a mount point)."""
    folder, _ = template
    data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(folder / "obligations.sqlite3", data_dir / "obligations.sqlite3")
    shutil.copytree(folder / "evidence", data_dir / "evidence", dirs_exist_ok=True)


def make_web_world(
    template: tuple[Path, dict[str, int]],
    data_dir: Path,
    max_upload_mb: int = 1,
    **app_options: object,
) -> Iterator[WebWorld]:
    _, ids = template
    copy_world(template, data_dir)
    settings = Settings(data_dir=data_dir, max_upload_mb=max_upload_mb)
    clock = [NOW]
    engine: Engine = make_engine(settings.effective_database_url)
    app = create_app(settings, clock=lambda: clock[0], engine=engine, **app_options)  # type: ignore[arg-type]
    with TestClient(app, follow_redirects=False) as client:
        yield WebWorld(client, session_factory(engine), ids, settings, clock)
    engine.dispose()


@pytest.fixture
def web(
    world_template: tuple[Path, dict[str, int]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[WebWorld]:
    monkeypatch.setattr(accounts, "hasher", FAST_HASHER)
    yield from make_web_world(world_template, tmp_path / "data")
