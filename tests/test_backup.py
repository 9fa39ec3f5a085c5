"""Backup while uploads run, restore into a fresh directory (with the data directory's
configuration), refusals, and the unit export."""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, text
from sqlalchemy.pool import NullPool
from tests.conftest import PG_ADMIN_URL

from obligations.accounts.feed_address import feed_token, feed_user, load_feed_key, new_feed_address
from obligations.cli.main import cli
from obligations.db import make_engine, session_factory
from obligations.models import User
from obligations.paths import shipped_dir
from obligations.safety.config_files import is_config_member
from obligations.timeutil import utcnow

OBLIGATIONS = Path(sys.executable).parent / "obligations"

# Adds evidence in a loop through the service layer, in its own process, until killed.
UPLOADER = """
import io, sys, itertools
from datetime import timedelta
from obligations.rules.catalog import load_catalog
from obligations.db import make_engine, session_factory
from obligations.accounts.access import operator
from obligations.evidence import intake
from obligations.evidence import records as evidence
from obligations.settings import Settings
from obligations.evidence.storage import LocalBlobStore, UploadLimits
from obligations.timeutil import local_date, utcnow

settings = Settings(data_dir=sys.argv[1])
sessions = session_factory(make_engine(settings.effective_database_url))
store = LocalBlobStore(settings.evidence_dir)
limits = UploadLimits.of(settings.max_upload_mb, settings.allowed_file_types)
policy = evidence.EvidencePolicy(limits=limits)
catalog = load_catalog(settings.rules_dirs)
task_id, held_on = int(sys.argv[2]), sys.argv[3]
for n in itertools.count():
    content = b"%PDF-1.4\\n" + str(n).encode() * 5000
    intake.add(
        sessions, store, policy, catalog, target=intake.TaskTarget(task_id),
        data=evidence.EvidenceInput(
            title=f"upload {n}", held_on=local_date(utcnow()).replace(day=1)
        ),
        uploads=[intake.Upload(f"第{n}份.pdf", io.BytesIO(content))],
        by=operator("uploader"), now=utcnow(),
    )
    print(n, flush=True)
"""


def run(data_dir: Path, *args: str | Path, env: dict[str, str] | None = None) -> Result:
    result = CliRunner(env=env).invoke(cli, ["--data-dir", str(data_dir), *map(str, args)])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def states(data_dir: Path, env: dict[str, str] | None = None) -> dict[int, str]:
    listed = run(data_dir, "tasks", "list", "--json", "--status", *_all_states(), env=env)
    assert listed.exit_code == 0, listed.output
    return {t["id"]: t["status"] for t in json.loads(listed.stdout)}


def _all_states() -> list[str]:
    states = ["upcoming", "open", "due_soon", "overdue", "done", "done_late", "waived", "retired"]
    return [arg for state in states for arg in ("--status", state)][1:]


def evidence_of(data_dir: Path, env: dict[str, str] | None = None) -> list[dict[str, object]]:
    listed = run(data_dir, "evidence", "list", "--json", env=env)
    return json.loads(listed.stdout)  # type: ignore[no-any-return]


def file_bytes(data_dir: Path, sha256: str) -> bytes:
    return (data_dir / "evidence" / "objects" / sha256[:2] / sha256[2:4] / sha256).read_bytes()


def first_open_task(data_dir: Path, env: dict[str, str] | None = None) -> int:
    listed = run(data_dir, "tasks", "list", "--json", "--unit", "U01", "--rule",
                 "central-group-study", "--status", "due_soon", "--status", "open",
                 env=env)  # fmt: skip
    return int(json.loads(listed.stdout)[0]["id"])


def add_some_evidence(data_dir: Path, tmp_path: Path, env: dict[str, str] | None = None) -> None:
    listed = run(data_dir, "tasks", "list", "--json", "--unit", "U02", "--status", "overdue",
                 env=env)  # fmt: skip
    for n, task in enumerate(json.loads(listed.stdout)[:5]):
        path = tmp_path / f"记录{n}.pdf"
        path.write_bytes(b"%PDF-1.4\n" + bytes([n]) * 3000)
        added = run(data_dir, "evidence", "add", str(task["id"]), path, "--held-on",
                    task["period_start"], "--title", f"记录{n}", env=env)  # fmt: skip
        assert added.exit_code == 0, added.output


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """The demo college without its recorded year (made relative to the day the suite runs;
    these tests count what ``add_some_evidence`` adds), plus that evidence. The demo with its
    year is backed up in tests/test_demo_history.py."""
    data = tmp_path / "data"
    assert run(data, "init", "--demo", "--without-history").exit_code == 0
    add_some_evidence(data, tmp_path)
    return data


@pytest.fixture
def sweeper(demo: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Reminder sweeps in a loop, in another process (an email channel with no server: each
    sweep plans reminder items and records failed attempts, writing to the database)."""
    (demo / "channels.yaml").write_text(
        "channels:\n  mail: {kind: email, host: 127.0.0.1, port: 9, from_address: a@b.cn}\n"
        "defaults: [mail]\nadmins: {name: 组织部, emails: [zzb@example.edu.cn]}\n",
        encoding="utf-8",
    )
    loop = f'while true; do "{OBLIGATIONS}" --data-dir "{demo}" remind --now 2026-11-25T09:30; done'
    process = subprocess.Popen(["bash", "-c", loop], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
    yield process
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def planned_reminders(data_dir: Path) -> int:
    engine = make_engine(f"sqlite:///{data_dir / 'obligations.sqlite3'}")
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM reminder_item")).scalar_one())
    finally:
        engine.dispose()


def wait_for_a_sweep(data_dir: Path) -> None:
    deadline = time.monotonic() + 120
    while planned_reminders(data_dir) == 0:
        assert time.monotonic() < deadline, "no reminder sweep ran"
        time.sleep(0.5)


@pytest.fixture
def uploader(demo: Path) -> Iterator[subprocess.Popen[str]]:
    task = first_open_task(demo)
    process = subprocess.Popen(
        [sys.executable, "-c", UPLOADER, str(demo), str(task), ""],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    process.stdout.readline()  # the first upload is committed
    yield process
    process.kill()
    process.wait()
    process.stdout.close()


def test_a_backup_taken_during_uploads_and_sweeps_restores_a_consistent_verified_directory(
    demo: Path,
    tmp_path: Path,
    uploader: subprocess.Popen[str],
    sweeper: subprocess.Popen[bytes],
) -> None:
    wait_for_a_sweep(demo)
    during = run(demo, "backup", "-o", tmp_path / "during.tar")
    assert during.exit_code == 0, during.output
    uploader.kill()
    uploader.wait()
    restored = tmp_path / "restored"

    result = run(restored, "restore", tmp_path / "during.tar")

    assert result.exit_code == 0, result.output
    assert run(restored, "verify").exit_code == 0
    source = {r["id"]: r for r in evidence_of(demo)}
    copy = evidence_of(restored)
    uploads = [r for r in copy if r["recorded_by"] == "uploader"]
    # A consistent snapshot: a prefix of the uploads, each record exactly as in the source.
    assert uploads and [r["title"] for r in uploads] == [f"upload {n}" for n in range(len(uploads))]
    assert all(source[r["id"]] == r for r in copy)  # type: ignore[index]
    for record in copy:
        for file in record["files"]:  # type: ignore[attr-defined]
            assert file_bytes(restored, file["sha256"]) == file_bytes(demo, file["sha256"])
    assert planned_reminders(restored) > 0  # the sweeps were writing as the backup was taken


def test_a_quiet_backup_restores_every_task_state_and_file(demo: Path, tmp_path: Path) -> None:
    assert run(demo, "backup", "-o", tmp_path / "quiet.tar").exit_code == 0
    restored = tmp_path / "restored"
    assert run(restored, "restore", tmp_path / "quiet.tar").exit_code == 0
    # Only what a data directory holds: no side files of the backup's database member.
    assert not [p.name for p in restored.iterdir() if p.name.startswith("database.sqlite3")]
    assert run(restored, "verify").exit_code == 0
    assert states(restored) == states(demo)
    assert evidence_of(restored) == evidence_of(demo)


def test_a_tampered_backup_is_refused_and_leaves_nothing(demo: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.tar"
    assert run(demo, "backup", "-o", good).exit_code == 0
    tampered = tmp_path / "tampered.tar"
    content = bytearray(good.read_bytes())
    with tarfile.open(good) as tar:
        member = next(m for m in tar if m.name.startswith("evidence/objects/"))
    content[member.offset_data + 20] ^= 0xFF
    tampered.write_bytes(bytes(content))

    result = run(tmp_path / "restored", "restore", tampered)

    assert result.exit_code == 2
    assert "备份已被改动" in result.stderr
    assert not (tmp_path / "restored").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".restore-")] == []


def test_a_truncated_backup_is_refused(demo: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.tar"
    assert run(demo, "backup", "-o", good).exit_code == 0
    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])

    result = run(tmp_path / "restored", "restore", truncated)

    assert result.exit_code == 2
    assert "不完整" in result.stderr or "已损坏" in result.stderr
    assert not (tmp_path / "restored").exists()


def test_restore_refuses_a_directory_that_holds_data_and_a_file_that_is_no_backup(
    demo: Path, tmp_path: Path
) -> None:
    good = tmp_path / "good.tar"
    assert run(demo, "backup", "-o", good).exit_code == 0
    not_a_backup = tmp_path / "notes.tar"
    not_a_backup.write_bytes(b"just some text, not a tar file" * 100)

    into_existing = run(demo, "restore", good)
    garbage = run(tmp_path / "fresh", "restore", not_a_backup)

    assert (into_existing.exit_code, garbage.exit_code) == (2, 2)
    assert "不是空目录" in into_existing.stderr
    assert "不是有效的备份文件（应为 obligations backup 生成的 .tar 文件）" in garbage.stderr
    assert "gzip" not in garbage.stderr and "ReadError" not in garbage.stderr


def test_restore_of_a_truncated_backup_says_it_is_damaged_in_chinese(
    demo: Path, tmp_path: Path
) -> None:
    good = tmp_path / "good.tar"
    assert run(demo, "backup", "-o", good).exit_code == 0
    cut = tmp_path / "cut.tar"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2 + 100])

    result = run(tmp_path / "fresh", "restore", cut)

    assert result.exit_code == 2
    assert "已损坏或不完整" in result.stderr
    assert not any(
        "a" <= ch.lower() <= "z"
        for ch in result.stderr.split("：", 1)[1].replace(cut.name, "").replace("obligations", "")
    )


def object_path(data_dir: Path, sha256: str) -> Path:
    return data_dir / "evidence" / "objects" / sha256[:2] / sha256[2:4] / sha256


def damage_two_files(data_dir: Path) -> tuple[dict[str, object], dict[str, object]]:
    """Corrupt the file of 记录1 on disk and remove that of 记录3; their records."""
    by_title = {r["title"]: r for r in evidence_of(data_dir)}
    corrupt, missing = by_title["记录1"], by_title["记录3"]
    path = object_path(data_dir, corrupt["files"][0]["sha256"])  # type: ignore[index]
    path.chmod(0o644)
    path.write_bytes(b"%PDF-1.4\n bit rot")
    object_path(data_dir, missing["files"][0]["sha256"]).unlink()  # type: ignore[index]
    return corrupt, missing


def test_a_backup_with_a_corrupt_or_missing_file_stops_with_exit_1_naming_the_records(
    demo: Path, tmp_path: Path
) -> None:
    corrupt, missing = damage_two_files(demo)
    assert run(demo, "verify").exit_code == 1

    result = run(demo, "backup", "-o", tmp_path / "b.tar")

    assert result.exit_code == 1
    for record, problem in ((corrupt, "已损坏"), (missing, "文件缺失")):
        assert f"材料 {record['id']}「{record['title']}」" in result.stderr
        assert f"任务 {record['task_id']}" in result.stderr
        assert f"的文件 {record['title']}.pdf" in result.stderr and problem in result.stderr
    assert "--allow-damaged" in result.stderr
    left = {p.name for p in tmp_path.iterdir()} - {p.name for p in tmp_path.glob("记录*.pdf")}
    assert left == {"data"}  # no backup file, no staging folder


def test_a_backup_allowed_to_be_damaged_restores_everything_else_and_lists_the_damage(
    demo: Path, tmp_path: Path
) -> None:
    corrupt, missing = damage_two_files(demo)
    backup_file = tmp_path / "damaged.tar"

    taken = run(demo, "backup", "-o", backup_file, "--allow-damaged")
    restored = tmp_path / "restored"
    result = CliRunner().invoke(cli, ["restore", str(backup_file), "--data-dir", str(restored)])

    assert taken.exit_code == 0, taken.output
    assert result.exit_code == 0, result.output
    with tarfile.open(backup_file) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    damaged = {d["sha256"]: d for d in manifest["damaged"]}
    bad = {r["files"][0]["sha256"]: r for r in (corrupt, missing)}  # type: ignore[index]
    assert set(damaged) == set(bad)
    for sha256, record in bad.items():
        assert [u["record_id"] for u in damaged[sha256]["uses"]] == [record["id"]]
        assert f"材料 {record['id']}「{record['title']}」" in taken.stderr
        assert f"材料 {record['id']}「{record['title']}」" in result.stderr
        assert not object_path(restored, sha256).exists()
    assert states(restored) == states(demo)
    assert evidence_of(restored) == evidence_of(demo)
    kept = [f["sha256"] for r in evidence_of(demo) for f in r["files"]]  # type: ignore[attr-defined]
    for sha256 in set(kept) - set(bad):
        assert file_bytes(restored, sha256) == file_bytes(demo, sha256)
    after = run(restored, "verify")
    assert after.exit_code == 1 and after.stdout.count("缺失：") == 2


@pytest.fixture
def pg_databases() -> Iterator[tuple[str, str]]:
    """Two fresh PostgreSQL databases: the source and the restore target."""
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    names = [f"obligations_backup_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{names[0]}", f"{base}/{names[1]}"
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_postgresql_backup_restores_into_an_empty_database(
    pg_databases: tuple[str, str], tmp_path: Path
) -> None:
    source_url, target_url = pg_databases
    source = {"OBLIGATIONS_DATABASE_URL": source_url}
    target = {"OBLIGATIONS_DATABASE_URL": target_url}
    data = tmp_path / "data"
    assert run(data, "init", "--demo", env=source).exit_code == 0
    add_some_evidence(data, tmp_path, env=source)
    assert run(data, "backup", "-o", tmp_path / "pg.tar", env=source).exit_code == 0
    with tarfile.open(tmp_path / "pg.tar") as tar:
        assert "database.pgdump" in tar.getnames()
    restored = tmp_path / "restored"

    result = run(restored, "restore", tmp_path / "pg.tar", env=target)

    assert result.exit_code == 0, result.output
    assert run(restored, "verify", env=target).exit_code == 0
    assert states(restored, env=target) == states(data, env=source)
    assert evidence_of(restored, env=target) == evidence_of(data, env=source)
    again = run(tmp_path / "again", "restore", tmp_path / "pg.tar", env=target)
    assert again.exit_code == 2 and "不是空库" in again.stderr


def test_a_unit_export_holds_its_tasks_records_and_identical_files(
    demo: Path, tmp_path: Path
) -> None:
    output = tmp_path / "U02.zip"
    result = run(demo, "export", "--unit", "U02", "-o", output)
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(output) as archive:
        names = set(archive.namelist())
        records = json.loads(archive.read("evidence.json"))
        tasks = json.loads(archive.read("tasks.json"))
        unit = json.loads(archive.read("unit.json"))
        assert {"unit.json", "tasks.json", "tasks.csv", "evidence.csv", "audit.json"} <= names
        assert archive.read("tasks.csv").decode("utf-8-sig").startswith("id,rule,title")
        ledger = docx.Document(io.BytesIO(archive.read("ledgers/U02-2026年台账.docx")))
        assert "ledgers/U02-2025年台账.docx" in names
        assert len(ledger.tables[0].rows) > 30  # the header row and the 30 items
        for record in records:
            for file in record["files"]:
                assert archive.read(file["path"]) == file_bytes(demo, file["sha256"])
    assert unit["code"] == "U02" and len(records) == 5
    assert {t["unit"] for t in tasks} == {"U02"} and sum(
        t["status"] == "done_late" for t in tasks
    ) == 5


def test_exporting_an_unknown_unit_is_refused(demo: Path, tmp_path: Path) -> None:
    result = run(demo, "export", "--unit", "U99", "-o", tmp_path / "x.zip")
    assert result.exit_code == 2 and "U99" in result.stderr
    assert not (tmp_path / "x.zip").exists()
    assert [name for name in os.listdir(tmp_path) if "export" in name or ".zip" in name] == []


# -- the data directory's configuration ------------------------------------------------------


def with_configuration(data: Path) -> dict[str, bytes]:
    """Give ``data`` every kind of configuration file a college keeps (and files a backup must
    leave out: an editor's swap file, a scratch download); the configuration by relative path."""
    rules, templates = shipped_dir("calendar_rules"), shipped_dir("notifications")
    files = {
        "channels.yaml": "channels:\n  robot: {kind: wecom, key: 机器人密钥0123456789}\n"
        "defaults: [robot]\n".encode(),
        "calendar_rules/holidays.yaml": (rules / "holidays.yaml").read_bytes(),
        "calendar_rules/ledger-template.docx": (rules / "ledger-template.docx").read_bytes(),
        "notifications/overdue/subject.txt": "【本院】".encode()
        + (templates / "overdue" / "subject.txt").read_bytes(),
    }
    for name, content in files.items():
        (data / name).parent.mkdir(parents=True, exist_ok=True)
        (data / name).write_bytes(content)
    (data / "channels.yaml").chmod(0o600)
    (data / "calendar_rules" / ".holidays.yaml.swp").write_bytes(b"editor state")
    (data / "tmp").mkdir(exist_ok=True)
    (data / "tmp" / "obligations-bundle-1.zip").write_bytes(b"PK")
    return files


def make_feed_address(url: str, data: Path) -> tuple[str, str]:
    """A calendar feed address for the first account, as the calendar page makes it (the key
    file made in ``data`` on first use); (the username, the address's token)."""
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            user = session.scalars(select(User).order_by(User.id)).first()
            assert user is not None
            new_feed_address(session, user, now=utcnow())
            session.commit()
            token = feed_token(load_feed_key(data), user)
            assert token is not None
            return user.username, token
    finally:
        engine.dispose()


def feed_owner(url: str, data: Path, token: str) -> str | None:
    """Whose calendar the feed address ``token`` opens in the data directory ``data``."""
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            user = feed_user(session, load_feed_key(data), token)
            return None if user is None else user.username
    finally:
        engine.dispose()


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_restore_brings_back_the_configuration_byte_identical_and_the_same_feed_address(
    database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    data, restored = tmp_path / "data", tmp_path / "restored"
    if database == "sqlite":
        source_url = f"sqlite:///{data / 'obligations.sqlite3'}"
        target_url = f"sqlite:///{restored / 'obligations.sqlite3'}"
        source = target = None
    else:
        source_url, target_url = request.getfixturevalue("pg_databases")
        source = {"OBLIGATIONS_DATABASE_URL": source_url}
        target = {"OBLIGATIONS_DATABASE_URL": target_url}
    assert run(data, "init", "--demo", env=source).exit_code == 0
    configuration = with_configuration(data)
    username, token = make_feed_address(source_url, data)
    configuration["calendar-feed.key"] = (data / "calendar-feed.key").read_bytes()

    taken = run(data, "backup", "-o", tmp_path / "b.tar", env=source)
    result = run(restored, "restore", tmp_path / "b.tar", env=target)

    assert taken.exit_code == 0, taken.output
    assert result.exit_code == 0, result.output
    with tarfile.open(tmp_path / "b.tar") as tar:
        kept = {name for name in tar.getnames() if name.startswith("config/")}
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    assert kept == {f"config/{name}" for name in configuration}
    listed = {m["path"]: m for m in manifest["members"]}
    assert manifest["format"] == "obligations-backup/2"
    assert all(listed[name]["size"] == len(configuration[name[7:]]) for name in kept)
    for name, content in configuration.items():
        assert (restored / name).read_bytes() == content
        assert f"  {name}" in result.stdout
    for secret in ("calendar-feed.key", "channels.yaml"):
        assert (restored / secret).stat().st_mode & 0o777 == 0o600
    assert not (restored / "config").exists()
    assert not (restored / "calendar_rules" / ".holidays.yaml.swp").exists()
    assert not (restored / "tmp").exists()
    assert feed_owner(target_url, restored, token) == username
    assert states(restored, env=target) == states(data, env=source)


def rebuild(
    backup_file: Path,
    output: Path,
    *,
    keep: Callable[[str], bool] = lambda name: True,
    added: dict[str, bytes] | None = None,
    manifest_format: str | None = None,
) -> None:
    """Write ``backup_file`` again as ``output``: only the members ``keep`` accepts, ``added``
    members too (listed in the manifest with their true hash and size), another format."""
    with tarfile.open(backup_file) as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar]  # type: ignore[union-attr]
    *content, (_, raw) = members
    manifest = json.loads(raw)
    manifest["members"] = [m for m in manifest["members"] if keep(m["path"])]
    if manifest_format:
        manifest["format"] = manifest_format
    extra = [(tarfile.TarInfo(name), data) for name, data in (added or {}).items()]
    for info, data in extra:
        info.size = len(data)
        digest = hashlib.sha256(data).hexdigest()
        manifest["members"].append({"path": info.name, "sha256": digest, "size": len(data)})
    manifest_data = json.dumps(manifest).encode()
    manifest_info = tarfile.TarInfo("manifest.json")
    manifest_info.size = len(manifest_data)
    with tarfile.open(output, "w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in [*(c for c in content if keep(c[0].name)), *extra]:
            tar.addfile(info, io.BytesIO(data))
        tar.addfile(manifest_info, io.BytesIO(manifest_data))


def test_a_backup_of_the_earlier_format_without_configuration_still_restores(
    demo: Path, tmp_path: Path
) -> None:
    with_configuration(demo)
    assert run(demo, "backup", "-o", tmp_path / "new.tar").exit_code == 0
    without_config = lambda name: not name.startswith("config/")  # noqa: E731
    rebuild(tmp_path / "new.tar", tmp_path / "old.tar", keep=without_config,
            manifest_format="obligations-backup/1")  # fmt: skip
    rebuild(tmp_path / "new.tar", tmp_path / "mixed.tar", manifest_format="obligations-backup/1")

    result = run(tmp_path / "restored", "restore", tmp_path / "old.tar")
    mixed = run(tmp_path / "mixed", "restore", tmp_path / "mixed.tar")

    assert result.exit_code == 0, result.output
    assert "备份中没有配置文件" in result.stdout
    assert not (tmp_path / "restored" / "channels.yaml").exists()
    assert states(tmp_path / "restored") == states(demo)
    assert evidence_of(tmp_path / "restored") == evidence_of(demo)
    assert mixed.exit_code == 2 and "旧格式的备份不应含有配置文件" in mixed.stderr


def test_a_tampered_configuration_file_is_refused_and_leaves_nothing(
    demo: Path, tmp_path: Path
) -> None:
    with_configuration(demo)
    good = tmp_path / "good.tar"
    assert run(demo, "backup", "-o", good).exit_code == 0
    content = bytearray(good.read_bytes())
    with tarfile.open(good) as tar:
        member = tar.getmember("config/channels.yaml")
    content[member.offset_data + 3] ^= 0x01
    (tmp_path / "tampered.tar").write_bytes(bytes(content))

    result = run(tmp_path / "restored", "restore", tmp_path / "tampered.tar")

    assert result.exit_code == 2
    assert "备份已被改动：config/channels.yaml 的哈希或大小与清单不符" in result.stderr
    assert not (tmp_path / "restored").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".restore-")] == []


def test_a_configuration_member_reaching_outside_the_data_directory_is_refused(
    demo: Path, tmp_path: Path
) -> None:
    assert run(demo, "backup", "-o", tmp_path / "good.tar").exit_code == 0
    rebuild(tmp_path / "good.tar", tmp_path / "escape.tar", added={"config/../x": b"planted"})

    result = run(tmp_path / "restored", "restore", tmp_path / "escape.tar")

    assert result.exit_code == 2
    assert "备份中有不应出现的条目：'config/../x'" in result.stderr
    assert not (tmp_path / "restored").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name == "x" or p.name.startswith(".rest")] == []


@pytest.mark.parametrize(
    ("member", "allowed"),
    [
        ("config/calendar-feed.key", True),
        ("config/channels.yaml", True),
        ("config/calendar_rules/rules/本院规则.yaml", True),
        ("config/notifications/overdue/subject.txt", True),
        ("config/../x", False),
        ("config/calendar_rules/../../x", False),
        ("config/calendar_rules/./holidays.yaml", False),
        ("config//channels.yaml", False),
        ("config/notifications/.hidden", False),
        ("config/obligations.sqlite3", False),
        ("config/evidence/objects/ab/cd/x", False),
        ("config/tmp/obligations-x.zip", False),
        ("config/calendar_rules", False),
        ("config/calendar_rules/" + "长" * 86 + ".yaml", False),  # 263 bytes: over NAME_MAX
        ("channels.yaml", False),
    ],
)
def test_only_configuration_paths_inside_the_known_set_are_members(
    member: str, allowed: bool
) -> None:
    assert is_config_member(member) is allowed
