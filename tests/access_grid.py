"""The access grid's world, built once per database, and what each write must change.

Writes consume objects (a waived task cannot be waived again), so each write case gets a fresh
object of the same kind and scope (:func:`prepare`); everything else in the world is shared.
"""

from __future__ import annotations

import io
import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import PG_ADMIN_URL
from tests.evidence_support import add_to_task
from tests.storage_samples import PDF
from tests.web_support import FAST_HASHER, NOW, WebWorld, build_world, make_web_world

from obligations.accounts import users as accounts
from obligations.accounts.access import operator
from obligations.db import make_engine, session_factory
from obligations.evidence.intake import Upload
from obligations.evidence.records import EvidenceInput, EvidencePolicy
from obligations.evidence.storage import LocalBlobStore, UploadLimits
from obligations.models import (
    ApiToken,
    AuditEntry,
    EvidenceRecord,
    LedgerFigure,
    LedgerNote,
    Task,
    User,
)
from obligations.schema import upgrade
from obligations.settings import Settings
from obligations.tasks import waivers
from obligations.vocabulary import ReviewState
from obligations.web import create_app


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: str  # {obj} is replaced by the object's id or code
    objects: tuple[str, ...]
    action: str | None = None  # a write checked against MAY
    api: bool = False
    form: bool = False  # urlencoded with CSRF
    upload: bool = False
    json: bool = False


@dataclass(frozen=True)
class Snapshot:
    """What any write of the grid changes; equal snapshots: nothing was written."""

    audit_entries: int
    records: int
    withdrawn: frozenset[int]
    reviewed: frozenset[tuple[int, ReviewState]]
    waived: frozenset[int]
    notes: frozenset[tuple[int, str, int, str | None, str | None]]
    figures: frozenset[tuple[int, int, str, str]]
    api_tokens: frozenset[int]
    feed_nonces: frozenset[tuple[int, str | None]]


def snapshot(sessions: sessionmaker[Session]) -> Snapshot:
    with sessions() as db:
        records = db.execute(
            select(EvidenceRecord.id, EvidenceRecord.withdrawn_at, EvidenceRecord.review_state)
        ).all()
        return Snapshot(
            audit_entries=db.scalar(select(func.count()).select_from(AuditEntry)) or 0,
            records=len(records),
            withdrawn=frozenset(r.id for r in records if r.withdrawn_at is not None),
            reviewed=frozenset(
                (r.id, r.review_state) for r in records if r.review_state is not ReviewState.PENDING
            ),
            waived=frozenset(db.scalars(select(Task.id).where(Task.waived_at.is_not(None)))),
            notes=frozenset(
                (n.unit_id, n.ledger_item, n.year, n.narrative, n.measures)
                for n in db.scalars(select(LedgerNote))
            ),
            figures=frozenset(
                (f.unit_id, f.year, f.key, str(f.value)) for f in db.scalars(select(LedgerFigure))
            ),
            api_tokens=frozenset(db.scalars(select(ApiToken.id))),
            feed_nonces=frozenset((u, n) for u, n in db.execute(select(User.id, User.feed_nonce))),
        )


class Effect:
    """What an allowed write must have changed, and nothing else but its audit entry."""

    @staticmethod
    def of(action: str) -> type[Effect]:
        return _EFFECTS[action]

    @staticmethod
    def assert_done(before: Snapshot, after: Snapshot, key: str, user: str) -> None:
        raise NotImplementedError


def _audited(before: Snapshot, after: Snapshot, **changed: object) -> None:
    """``after`` is ``before`` with one more audit entry and the ``changed`` fields."""
    expected = before.__dict__ | {"audit_entries": before.audit_entries + 1} | changed
    assert after.__dict__ == expected


class _Upload(Effect):
    @staticmethod
    def assert_done(before: Snapshot, after: Snapshot, key: str, user: str) -> None:
        _audited(before, after, records=before.records + 1)


class _Waive(Effect):
    @staticmethod
    def assert_done(before: Snapshot, after: Snapshot, key: str, user: str) -> None:
        _audited(before, after, waived=before.waived | {int(key)})


class _Unwaive(Effect):
    @staticmethod
    def assert_done(before: Snapshot, after: Snapshot, key: str, user: str) -> None:
        assert int(key) in before.waived
        _audited(before, after, waived=before.waived - {int(key)})


class _Review(Effect):
    @staticmethod
    def assert_done(before: Snapshot, after: Snapshot, key: str, user: str) -> None:
        _audited(before, after, reviewed=before.reviewed | {(int(key), ReviewState.REJECTED)})


class _Reads(Effect):
    """A page only some roles may open: opening it writes nothing."""

    @staticmethod
    def assert_done(before: Snapshot, after: Snapshot, key: str, user: str) -> None:
        assert after == before


class _Withdraw(Effect):
    @staticmethod
    def assert_done(before: Snapshot, after: Snapshot, key: str, user: str) -> None:
        _audited(before, after, withdrawn=before.withdrawn | {int(key)})


class _Notes(Effect):
    @staticmethod
    def assert_done(before: Snapshot, after: Snapshot, key: str, user: str) -> None:
        _audited(before, after, notes=after.notes)
        assert after.notes != before.notes
        assert any(note[3] == f"已落实（{user}）" for note in after.notes - before.notes)


class _ApiToken(Effect):
    @staticmethod
    def assert_done(before: Snapshot, after: Snapshot, key: str, user: str) -> None:
        assert len(after.api_tokens - before.api_tokens) == 1
        assert after.__dict__ == before.__dict__ | {"api_tokens": after.api_tokens}


class _FeedToken(Effect):
    @staticmethod
    def assert_done(before: Snapshot, after: Snapshot, key: str, user: str) -> None:
        assert len(after.feed_nonces - before.feed_nonces) == 1
        assert after.__dict__ == before.__dict__ | {"feed_nonces": after.feed_nonces}


_EFFECTS: dict[str, type[Effect]] = {
    "upload": _Upload,
    "waive": _Waive,
    "unwaive": _Unwaive,
    "review": _Review,
    "review inbox": _Reads,
    "intake": _Reads,
    "withdraw": _Withdraw,
    "ledger notes": _Notes,
    "api token": _ApiToken,
    "feed token": _FeedToken,
}

# Objects a write consumes are replaced by a fresh one of the same owner.
OWNER_TASK = {"task_b1": "task_b1", "task_u02": "task_u02", "rec_b1": "task_b1_open",
              "rec_u02": "task_u02_open"}  # fmt: skip


def prepare(web: WebWorld, action: str | None, obj: str, user: str) -> str:
    """The id or code the case acts on: the shared object, or a fresh one for a write that
    consumes it (written by the operator, before the case's snapshot)."""
    if obj == "self":
        return ""
    if obj.startswith("U0"):
        return obj
    if action in ("waive", "unwaive"):
        with web.sessions.begin() as db:
            task_id = _fresh_task(db, web.ids, obj)
            if action == "unwaive":
                waivers.waive(db, task_id=task_id, reason="准备", by=operator("grid"), now=NOW)
        return str(task_id)
    if action in ("review", "withdraw"):
        return str(fresh_record(web, obj))
    return str(web.ids[obj])


def _fresh_task(db: Session, ids: dict[str, int], obj: str) -> int:
    """A task of the same organization as ``obj``'s, not waived, done or used by the world."""
    like = db.get(Task, ids[obj])
    assert like is not None
    task_id = db.scalar(
        select(Task.id)
        .where(Task.organization_id == like.organization_id, Task.person_id.is_(None))
        .where(Task.waived_at.is_(None), Task.done_on.is_(None), Task.retired_at.is_(None))
        .where(Task.id.not_in(list(ids.values())))
        .order_by(Task.id.desc())
        .limit(1)
    )
    assert task_id is not None, f"no fresh task like {obj}"
    return task_id


def fresh_record(web: WebWorld, obj: str) -> int:
    """A new pending record on the open task ``obj``'s record belongs to."""
    store = LocalBlobStore(web.settings.evidence_dir)
    policy = EvidencePolicy(limits=UploadLimits(max_bytes=100_000))
    with web.sessions.begin() as db:
        task = db.get(Task, web.ids[OWNER_TASK[obj]])
        assert task is not None
        data = EvidenceInput(title="会议记录", held_on=max(task.period_start, date(2026, 10, 1)))
        record = add_to_task(
            db, store, policy, task_id=task.id, data=data,
            uploads=[Upload("记录.pdf", io.BytesIO(PDF + next(_FRESH)))], actor="grid", now=NOW,
        )  # fmt: skip
        return record.id


# Each fresh record's file differs: the same file sent again to a task is a double submit.
_FRESH = (f"% fresh {n}\n".encode() for n in itertools.count())


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def grid_world(
    request: pytest.FixtureRequest,
    world_template: tuple[Path, dict[str, int]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[WebWorld]:
    """The web world, built once per database for the whole grid."""
    patch = pytest.MonkeyPatch()
    patch.setattr(accounts, "hasher", FAST_HASHER)
    data_dir = tmp_path_factory.mktemp(f"grid-{request.param}")
    try:
        if request.param == "sqlite":
            yield from make_web_world(world_template, data_dir)
        else:
            yield from _postgres_world(data_dir)
    finally:
        patch.undo()


def _postgres_world(data_dir: Path) -> Iterator[WebWorld]:
    name = f"obligations_grid_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        with session_factory(engine).begin() as session:
            world = build_world(session, LocalBlobStore(data_dir / "evidence"))
        yield from _serve(engine, Settings(data_dir=data_dir, database_url=url, max_upload_mb=1),
                          world.ids)  # fmt: skip
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def _serve(engine: object, settings: Settings, ids: dict[str, int]) -> Iterator[WebWorld]:
    from tests.web_support import TestClient

    clock = [NOW]
    app = create_app(settings, clock=lambda: clock[0], engine=engine)  # type: ignore[arg-type]
    with TestClient(app, follow_redirects=False) as client:
        yield WebWorld(client, session_factory(engine), ids, settings, clock)  # type: ignore[arg-type]
