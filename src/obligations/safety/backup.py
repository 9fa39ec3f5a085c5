"""Backups of a data directory, taken while the service runs, and their verified restore.

A backup is one tar file:

- ``database.sqlite3`` (SQLite's online backup API: a consistent copy while others write) or
  ``database.pgdump`` (``pg_dump --format=custom``, itself one consistent snapshot);
- ``evidence/objects/ab/cd/<sha256>``: every stored file the snapshot's records refer to (files
  are immutable and content-addressed, so copying them after the snapshot is consistent: an
  object a snapshot record names is never removed);
- ``manifest.json`` last: format, time, database kind, schema revision, and the SHA-256 and size
  of every other member.

Restore extracts into a staging folder beside the target, checks every member against the
manifest (and every object against its own name), checks the database, and only then moves
the folder into place: a truncated or tampered backup is refused and leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, make_url, select

from obligations.db import make_engine, session_factory
from obligations.errors import InvalidRequest, ServiceError
from obligations.evidence.storage import LocalBlobStore
from obligations.models import EvidenceFile
from obligations.schema import upgrade

FORMAT = "obligations-backup/1"
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PG_MEMBER = "database.pgdump"
OBJECTS = PurePosixPath("evidence/objects")
CHUNK = 1024 * 1024


class BackupError(ServiceError):
    """A backup could not be taken (a tool is missing, the database refused)."""


class BackupRefused(InvalidRequest):
    """A backup file that cannot be restored: truncated, tampered, or not a backup."""


@dataclass(frozen=True)
class BackupReport:
    path: Path
    database: str  # "sqlite" or "postgresql"
    files: int
    bytes: int


@dataclass(frozen=True)
class RestoreReport:
    data_dir: Path
    database: str
    files: int
    created_at: str


def backup(engine: Engine, evidence_dir: Path, output: Path, *, now: datetime) -> BackupReport:
    """Write a backup of the database behind ``engine`` and its evidence files to ``output``.

    The file appears under its name only when complete (written beside it, then renamed)."""
    output = output.resolve()
    if output.is_dir():
        raise InvalidRequest(f"{output} 是目录，请给出备份文件名，如 backup-2026-12-31.tar")
    output.parent.mkdir(parents=True, exist_ok=True)
    members: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=".backup-") as work:
        staging = Path(work)
        kind = engine.dialect.name
        database = staging / (SQLITE_MEMBER if kind == "sqlite" else PG_MEMBER)
        if kind == "sqlite":
            _sqlite_snapshot(engine, database)
            snapshot = make_engine(f"sqlite:///{database}")
        elif kind == "postgresql":
            _pg_dump(engine, database)
            snapshot = engine  # the dump is one snapshot; see _referenced for the race
        else:
            raise BackupError(f"不支持备份 {kind} 数据库")
        try:
            revision = _revision(snapshot)
            digests = _referenced(snapshot)
        finally:
            if snapshot is not engine:
                snapshot.dispose()
        temporary = staging / "backup.tar"
        store = LocalBlobStore(evidence_dir)
        with tarfile.open(temporary, "w", format=tarfile.PAX_FORMAT) as tar:
            members.append(_add_file(tar, database, database.name))
            for sha256 in sorted(digests):
                name = str(OBJECTS / sha256[:2] / sha256[2:4] / sha256)
                with store.open(sha256) as content:
                    members.append(_add_stream(tar, content, name))
            manifest = {
                "format": FORMAT,
                "created_at": now.isoformat(),
                "database": kind,
                "schema_revision": revision,
                "members": members,
            }
            data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        _fsync(temporary)
        os.replace(temporary, output)
    return BackupReport(output, kind, len(members) - 1, sum(int(m["size"]) for m in members))


def restore(backup_file: Path, data_dir: Path, *, database_url: str | None = None) -> RestoreReport:
    """Rebuild a working data directory from a backup, verifying every hash first.

    A SQLite backup becomes ``data_dir/obligations.sqlite3``; a PostgreSQL backup is restored
    into the empty database at ``database_url``. ``data_dir`` must not exist or be empty."""
    data_dir = data_dir.resolve()
    if data_dir.exists() and any(data_dir.iterdir()):
        raise InvalidRequest(f"目标目录 {data_dir} 不是空目录；请指定一个新目录，以免覆盖现有数据")
    if not backup_file.is_file():
        raise InvalidRequest(f"备份文件 {backup_file} 不存在")
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=data_dir.parent, prefix=".restore-") as work:
        staging = Path(work) / "data"
        manifest = _extract_verified(backup_file, staging)
        kind = manifest["database"]
        if kind == "sqlite":
            _check_sqlite(staging / SQLITE_MEMBER)
            (staging / SQLITE_MEMBER).rename(staging / "obligations.sqlite3")
            engine = make_engine(f"sqlite:///{staging / 'obligations.sqlite3'}")
        elif kind == "postgresql":
            if not database_url:
                raise InvalidRequest(
                    "这是 PostgreSQL 数据库的备份：请用 --database-url"
                    "（或 OBLIGATIONS_DATABASE_URL）指定一个空数据库以恢复到其中"
                )
            engine = make_engine(database_url)
        else:
            raise BackupRefused(f"备份中的数据库类型 {kind!r} 无法识别")
        try:
            if kind == "postgresql":
                _pg_restore(engine, staging / PG_MEMBER)
                (staging / PG_MEMBER).unlink()
            upgrade(engine)  # a backup from an older version is brought up to date
            _check_objects(engine, staging / "evidence")
        finally:
            engine.dispose()
        if data_dir.exists():
            data_dir.rmdir()
        os.replace(staging, data_dir)
    files = sum(1 for m in manifest["members"] if m["path"].startswith(str(OBJECTS)))
    return RestoreReport(data_dir, kind, files, str(manifest["created_at"]))


# -- taking a backup -------------------------------------------------------------------------


def _sqlite_snapshot(engine: Engine, target: Path) -> None:
    source_path = engine.url.database
    if not source_path:
        raise BackupError("内存数据库无法备份")
    source = sqlite3.connect(source_path)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # the online backup API: consistent while others write
    finally:
        copy.close()
        source.close()


def _libpq_url(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_dump(engine: Engine, target: Path) -> None:
    if shutil.which("pg_dump") is None:
        raise BackupError("未找到 pg_dump：请安装与数据库服务器版本相同的 PostgreSQL 客户端")
    result = subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", f"--file={target}", _libpq_url(engine)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_dump 失败：{result.stderr.strip()}")


def _revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    return ",".join(sorted(heads)) or None


def _referenced(engine: Engine) -> set[str]:
    """Objects the snapshot's records name. On PostgreSQL this reads the live database just
    after the dump, so it may name a few more objects than the dump needs (harmless: extra
    objects restore as orphans that verify removes); it never names fewer, as evidence files
    are never deleted while referenced."""
    with session_factory(engine)() as session:
        return set(session.scalars(select(EvidenceFile.sha256).distinct()))


def _add_file(tar: tarfile.TarFile, path: Path, name: str) -> dict[str, Any]:
    with path.open("rb") as content:
        return _add_stream(tar, content, name)


def _add_stream(tar: tarfile.TarFile, content: IO[bytes], name: str) -> dict[str, Any]:
    """Add a member while hashing it, in one pass over the content."""
    size = os.fstat(content.fileno()).st_size
    hashing = _HashingReader(content)
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o444
    tar.addfile(info, hashing)
    return {"path": name, "sha256": hashing.digest.hexdigest(), "size": size}


class _HashingReader:
    def __init__(self, inner: IO[bytes]) -> None:
        self.inner = inner
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.inner.read(size)
        self.digest.update(data)
        return data


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


# -- restoring ----------------------------------------------------------------------------------


def _extract_verified(backup_file: Path, staging: Path) -> dict[str, Any]:
    staging.mkdir()
    seen: dict[str, tuple[str, int]] = {}
    manifest: dict[str, Any] | None = None
    try:
        with tarfile.open(backup_file, "r:*") as tar:
            for member in tar:
                manifest = _extract_member(tar, member, staging, seen) or manifest
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupRefused(f"备份文件 {backup_file.name} 已损坏或不完整：{exc}") from exc
    if manifest is None:
        raise BackupRefused(f"备份文件 {backup_file.name} 缺少清单 {MANIFEST}（文件不完整？）")
    if manifest.get("format") != FORMAT:
        raise BackupRefused(f"不是本系统的备份文件（格式 {manifest.get('format')!r}）")
    listed = {m["path"]: (m["sha256"], int(m["size"])) for m in manifest["members"]}
    for path, expected in listed.items():
        if path not in seen:
            raise BackupRefused(f"备份不完整：缺少 {path}")
        if seen[path] != expected:
            raise BackupRefused(f"备份已被改动：{path} 的哈希或大小与清单不符")
    extra = sorted(set(seen) - set(listed))
    if extra:
        raise BackupRefused(f"备份中有清单之外的文件：{'、'.join(extra[:5])}")
    return manifest


def _extract_member(
    tar: tarfile.TarFile, member: tarfile.TarInfo, staging: Path, seen: dict[str, tuple[str, int]]
) -> dict[str, Any] | None:
    name = member.name
    if not member.isfile() or not _allowed_name(name):
        raise BackupRefused(f"备份中有不应出现的条目：{name!r}")
    source = tar.extractfile(member)
    assert source is not None  # a regular file
    if name == MANIFEST:
        try:
            loaded: dict[str, Any] = json.loads(source.read(16 * CHUNK))
        except ValueError as exc:
            raise BackupRefused(f"备份清单无法读取：{exc}") from exc
        return loaded
    target = staging / name
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    with target.open("wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    if size != member.size:
        raise BackupRefused(f"备份不完整：{name} 被截断")
    hexdigest = digest.hexdigest()
    if name.startswith(str(OBJECTS)) and PurePosixPath(name).name != hexdigest:
        raise BackupRefused(
            f"备份已被改动：证据文件 {PurePosixPath(name).name[:12]}… 内容与其哈希不符"
        )
    seen[name] = (hexdigest, size)
    return None


def _allowed_name(name: str) -> bool:
    if name in (MANIFEST, SQLITE_MEMBER, PG_MEMBER):
        return True
    path = PurePosixPath(name)
    parts = path.parts
    return (
        len(parts) == 5
        and PurePosixPath(*parts[:2]) == OBJECTS
        and len(parts[4]) == 64
        and all(c in "0123456789abcdef" for c in parts[4])
        and parts[2] == parts[4][:2]
        and parts[3] == parts[4][2:4]
    )


def _check_sqlite(path: Path) -> None:
    if not path.exists():
        raise BackupRefused("备份中没有数据库文件")
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            (result,) = connection.execute("PRAGMA integrity_check").fetchone()
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise BackupRefused(f"备份中的数据库已损坏：{exc}") from exc
    if result != "ok":
        raise BackupRefused(f"备份中的数据库未通过完整性检查：{result}")


def _pg_restore(engine: Engine, dump: Path) -> None:
    if shutil.which("pg_restore") is None:
        raise BackupError("未找到 pg_restore：请安装与数据库服务器版本相同的 PostgreSQL 客户端")
    with engine.connect() as connection:
        tables = connection.exec_driver_sql(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).scalar_one()
    if tables:
        raise InvalidRequest(
            f"目标数据库 {make_url(str(engine.url)).database} 不是空库，请新建一个数据库"
        )
    result = subprocess.run(
        [
            "pg_restore",
            "--no-owner",
            "--exit-on-error",
            f"--dbname={_libpq_url(engine)}",
            str(dump),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupRefused(f"pg_restore 失败：{result.stderr.strip()}")


def _check_objects(engine: Engine, evidence_dir: Path) -> None:
    """Every object a restored record names is present (its content was checked on extraction)."""
    store = LocalBlobStore(evidence_dir)
    for sha256 in _referenced(engine):
        if not store.exists(sha256):
            raise BackupRefused(f"备份不完整：缺少证据文件 {sha256[:12]}…")
