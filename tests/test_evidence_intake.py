"""The two intake steps: an upload is written once (it needs no more than its own size in free
space), and a failed record never removes content a concurrent upload is recording."""

from __future__ import annotations

import io
import os
import subprocess
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from freezegun import freeze_time
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from tests import factories
from tests.access_grid import grid_world
from tests.helpers import shipped_catalog
from tests.storage_samples import PDF
from tests.web_support import (
    FAST_HASHER,
    NOW,
    WebWorld,
    copy_world,
    make_web_world,
    world_template,
)

from obligations.accounts import users as accounts
from obligations.accounts.access import operator
from obligations.cli.main import cli
from obligations.errors import InvalidRequest
from obligations.evidence import intake
from obligations.evidence.intake import TaskTarget, Upload
from obligations.evidence.records import EvidenceInput, EvidencePolicy
from obligations.evidence.storage import LocalBlobStore, UploadLimits
from obligations.models import EvidenceFile, Task
from obligations.safety.verify import verify
from obligations.tasks.generation import generate_tasks

__all__ = ["grid_world", "world_template"]

MIB = 1024 * 1024
SMALL_DISK = 8 * MIB


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A data directory whose evidence folder is an 8 MiB tmpfs of its own."""
    data_dir = tmp_path / "data"
    evidence = data_dir / "evidence"
    evidence.mkdir(parents=True)
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SMALL_DISK}", "tmpfs", str(evidence)], check=True
    )
    try:
        yield data_dir
    finally:
        subprocess.run(["umount", "-l", str(evidence)], check=True)


def free_bytes(path: Path) -> int:
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


def big_pdf(size: int) -> bytes:
    """``size`` bytes a type check accepts as a PDF (random, so nothing can shrink it)."""
    return PDF + os.urandom(size - len(PDF))


def stored_intact(evidence_dir: Path, sha256: str) -> bool:
    store = LocalBlobStore(evidence_dir)
    return store.exists(sha256) and store.verify(sha256)


def test_an_upload_through_the_web_needs_no_more_than_its_size_in_free_space(
    world_template: tuple[Path, dict[str, int]],
    small_disk: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(accounts, "hasher", FAST_HASHER)
    copy_world(world_template, small_disk)
    free = free_bytes(small_disk / "evidence")
    content = big_pdf(free * 6 // 10)
    for web in make_web_world(world_template, small_disk, max_upload_mb=SMALL_DISK // MIB):
        client, csrf = web.login("b1_secretary")
        fields = {"csrf_token": csrf, "title": "支部党员大会", "held_on": "2026-10-20"}
        files = [("files", ("大文件.pdf", content, "application/pdf"))]
        response = client.post(f"/tasks/{web.ids['task_b1']}/evidence", data=fields, files=files)
        assert response.status_code == 303, response.text[:500]
        with web.sessions() as db:
            query = select(EvidenceFile.sha256).where(EvidenceFile.size == len(content))
            (digest,) = db.scalars(query).all()
    assert stored_intact(small_disk / "evidence", digest)


def test_an_upload_through_the_cli_needs_no_more_than_its_size_in_free_space(
    world_template: tuple[Path, dict[str, int]], small_disk: Path, tmp_path: Path
) -> None:
    copy_world(world_template, small_disk)
    _, ids = world_template
    content = big_pdf(free_bytes(small_disk / "evidence") * 6 // 10)
    upload = tmp_path / "大文件.pdf"
    upload.write_bytes(content)
    with freeze_time(NOW, tick=True):
        result = CliRunner(env={"OBLIGATIONS_USER": "组织部"}).invoke(
            cli,
            ["--data-dir", str(small_disk), "evidence", "add", str(ids["task_b1"]), str(upload),
             "--held-on", "2026-10-20", "--title", "支部党员大会"],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    listed = CliRunner().invoke(
        cli, ["--data-dir", str(small_disk), "evidence", "list", "--json", "--task",
              str(ids["task_b1"])],
    )  # fmt: skip
    assert f'"size": {len(content)}' in listed.output
    digest = listed.output.split('"sha256": "')[-1][:64]
    assert stored_intact(small_disk / "evidence", digest)


# -- concurrency ---------------------------------------------------------------------------

POLICY = EvidencePolicy(limits=UploadLimits(max_bytes=1 * MIB))


@pytest.fixture
def october_task(committed_sessions: sessionmaker[Session]) -> Task:
    """U01's central-group study of October 2026, committed: the concurrent uploads below each
    run in a connection of their own and must see it."""
    with committed_sessions.begin() as session:
        orgs = factories.small_college(session)
        generate_tasks(session, shipped_catalog(), through=date(2026, 12, 31), now=NOW)
        return session.scalars(
            select(Task).where(
                Task.rule_id == "central-group-study",
                Task.unit_id == orgs["U01"].id,
                Task.period_key == "2026-10",
            )
        ).one()


def test_sixteen_identical_uploads_at_once_make_one_record_refuse_the_rest_and_keep_its_file(
    committed_sessions: sessionmaker[Session], october_task: Task, tmp_path: Path
) -> None:
    sessions = committed_sessions
    store = LocalBlobStore(tmp_path / "evidence")
    content = PDF + os.urandom(256 * 1024)
    catalog = shipped_catalog()
    start = threading.Barrier(16)
    outcomes: dict[int, object] = {}

    def upload(n: int) -> None:
        held_on = date(2026, 10, 9) if n % 2 == 0 else date(2026, 9, 9)  # odd: outside the period
        data = EvidenceInput(title=f"中心组学习 {n}", held_on=held_on)
        start.wait()
        try:
            outcomes[n] = intake.add(
                sessions, store, POLICY, catalog, target=TaskTarget(october_task.id),
                data=data, uploads=[Upload("记录.pdf", io.BytesIO(content))],
                by=operator(f"书记{n}"), now=NOW,
            )  # fmt: skip
        except Exception as exc:
            outcomes[n] = exc

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    valid, invalid = [outcomes[n] for n in range(0, 16, 2)], [outcomes[n] for n in range(1, 16, 2)]
    # One valid upload is recorded; the other seven repeat its file on its task (a double submit)
    assert sorted(type(outcome).__name__ for outcome in valid) == ["AlreadyRecorded"] * 7 + ["int"]
    assert all(isinstance(outcome, InvalidRequest) for outcome in invalid), invalid
    with sessions() as session:
        digests = session.scalars(select(EvidenceFile.sha256).distinct()).all()
        files = session.scalar(select(func.count()).select_from(EvidenceFile))
    assert files == 1 and len(digests) == 1
    assert store.verify(digests[0])
    assert list(store.iter_blobs()) == digests


def test_a_failed_upload_leaves_content_another_upload_holds_or_a_record_refers_to(
    tmp_path: Path,
) -> None:
    store = LocalBlobStore(tmp_path / "evidence")

    def stored(name: str, content: bytes) -> intake.StoredUpload:
        (upload,) = intake.store_uploads(
            store, UploadLimits(), [Upload(name, io.BytesIO(content))], in_use=lambda _: False
        )
        return upload

    first, second = stored("a.pdf", PDF), stored("b.pdf", PDF)
    assert not first.blob.already_stored and second.blob.already_stored
    intake.settle([first], recorded=False, in_use=lambda _: False)  # the second holds it
    assert stored_intact(tmp_path / "evidence", first.blob.sha256)
    intake.settle([second], recorded=True, in_use=lambda _: False)
    assert store.discard(first.blob.sha256) and not store.exists(first.blob.sha256)
    third = stored("c.pdf", PDF + b"%3")
    intake.settle([third], recorded=False, in_use=lambda _: True)  # a record refers to it
    assert store.exists(third.blob.sha256)
    fourth = stored("d.pdf", PDF + b"%4")
    intake.settle([fourth], recorded=False, in_use=lambda _: False)
    assert not store.exists(fourth.blob.sha256)


def test_sixteen_identical_uploads_at_once_through_the_web_make_one_record_and_keep_its_file(
    grid_world: WebWorld,
) -> None:
    content = PDF + os.urandom(256 * 1024)
    task_id = grid_world.ids["task_b1"]
    clients = [grid_world.login("b1_secretary") for _ in range(16)]
    start = threading.Barrier(16)
    statuses: dict[int, int] = {}

    def upload(n: int) -> None:
        client, csrf = clients[n]
        held_on = "2026-10-20" if n % 2 == 0 else "2026-09-09"  # odd: outside the period
        fields = {"csrf_token": csrf, "title": f"支部党员大会 {n}", "held_on": held_on}
        start.wait()
        response = client.post(
            f"/tasks/{task_id}/evidence",
            data=fields,
            files=[("files", ("记录.pdf", content, "application/pdf"))],
        )
        statuses[n] = response.status_code

    threads = [threading.Thread(target=upload, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses[n] for n in range(0, 16, 2)) == [303] + [409] * 7  # a double submit
    assert [statuses[n] for n in range(1, 16, 2)] == [400] * 8
    with grid_world.sessions() as db:
        digests = db.scalars(
            select(EvidenceFile.sha256).where(EvidenceFile.size == len(content))
        ).all()
    assert len(digests) == 1
    assert stored_intact(grid_world.settings.evidence_dir, digests[0])


def test_verify_leaves_an_old_orphan_an_upload_still_holds_and_removes_it_once_released(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    store = LocalBlobStore(tmp_path / "evidence")
    (held,) = intake.store_uploads(
        store, UploadLimits(), [Upload("a.pdf", io.BytesIO(PDF))], in_use=lambda _: False
    )
    long_ago = (NOW - timedelta(days=1)).timestamp()
    os.utime(store.root / "objects" / held.blob.sha256[:2] / held.blob.sha256[2:4]
             / held.blob.sha256, (long_ago, long_ago))  # fmt: skip
    with sessions() as session:
        report = verify(session, store, now=NOW)
    assert report.orphans_recent == [held.blob.sha256] and report.orphans_removed == []
    assert store.exists(held.blob.sha256)
    intake.settle([held], recorded=True, in_use=lambda _: False)  # its record was committed...
    with sessions() as session:  # ...but here it was not: a real orphan now
        report = verify(session, store, now=NOW)
    assert report.orphans_removed == [held.blob.sha256] and not store.exists(held.blob.sha256)
