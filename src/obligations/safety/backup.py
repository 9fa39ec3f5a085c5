"""Backups of a data directory, taken while the service runs, and their verified restore.

A backup is one tar file:

- ``database.sqlite3`` (SQLite's online backup API: a consistent copy while others write) or
  ``database.pgdump`` (``pg_dump --format=custom``, itself one consistent snapshot);
- ``evidence/objects/ab/cd/<sha256>``: every stored file the snapshot's records refer to (files
  are immutable and content-addressed, so copying them after the snapshot is consistent: an
  object a snapshot record names is never removed);
- ``config/<path>``: the data directory's configuration, under its relative path: the calendar
  feed key, the reminder channels (``channels.yaml``), the local rule catalog
  (``calendar_rules/``, with holidays and the ledger's Word template) and message templates
  (``notifications/``); see :mod:`obligations.safety.config_files`;
- ``manifest.json`` last: format, time, database kind, schema revision, the SHA-256 and size
  of every other member, and the evidence objects found damaged (see below).

The format is ``obligations-backup/2``; ``/1`` (before configuration was kept) is the same
without ``config/`` members, and restore accepts both.

Each object is hashed as it is copied and its hash compared with its name: a missing or corrupt
object stops the backup (:class:`BackupDamaged`, naming the records that use it), or, with
``allow_damaged``, is listed as damaged in the manifest (a corrupt one's bytes go in marked so).

Restore (:mod:`obligations.safety.restore`) extracts into a staging folder beside the target,
checks every member against the manifest (and every object against its own name, unless the
manifest lists it as damaged: such an object is left out and reported), checks the database,
puts the configuration in place (the feed key and channels file readable by their owner only)
and only then moves the folder into place: a truncated or tampered backup is refused and
leaves nothing behind.
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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, select

from obligations.db import make_engine, session_factory
from obligations.errors import InvalidRequest, ServiceError, os_error_text
from obligations.evidence.storage import BlobNotFound, LocalBlobStore
from obligations.models import EvidenceFile
from obligations.safety.config_files import ConfigFile
from obligations.safety.damage import (
    CORRUPT,
    MISSING,
    BackupDamaged,
    DamagedObject,
    describe_damage,
)

FORMAT = "obligations-backup/2"
FORMATS = ("obligations-backup/1", FORMAT)  # what restore reads
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
    damaged: list[DamagedObject]  # recorded as damaged (only with allow_damaged)
    config: list[str]  # configuration files kept, by their path in the data directory


def backup(
    engine: Engine,
    evidence_dir: Path,
    output: Path,
    *,
    now: datetime,
    allow_damaged: bool = False,
    config: Sequence[ConfigFile] = (),
) -> BackupReport:
    """Write a backup of the database behind ``engine``, its evidence files and the
    configuration files ``config`` (see :func:`~obligations.safety.config_files.config_files`)
    to ``output``.

    The file appears under its name only when complete (written beside it, then renamed).
    Raises :class:`BackupDamaged` (nothing written) if a stored object is missing or corrupt,
    unless ``allow_damaged``: then such objects are listed in the manifest and the report."""
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
            snapshot = engine  # the dump is one snapshot; see referenced_objects for the race
        else:
            raise BackupError(f"不支持备份 {kind} 数据库")
        temporary = staging / "backup.tar"
        try:
            revision = _revision(snapshot)
            digests = referenced_objects(snapshot)
            with tarfile.open(temporary, "w", format=tarfile.PAX_FORMAT) as tar:
                members.append(_add_file(tar, database, database.name))
                problems = _add_objects(tar, LocalBlobStore(evidence_dir), digests, members)
                members += [_add_config(tar, item) for item in config]
                damaged = describe_damage(snapshot, problems) if problems else []
                if damaged and not allow_damaged:
                    raise BackupDamaged(damaged)
                manifest = {
                    "format": FORMAT,
                    "created_at": now.isoformat(),
                    "database": kind,
                    "schema_revision": revision,
                    "members": members,
                    "damaged": [item.as_json() for item in damaged],
                }
                _add_manifest(tar, manifest)
        finally:
            if snapshot is not engine:
                snapshot.dispose()
        _fsync(temporary)
        os.replace(temporary, output)
    size = sum(int(m["size"]) for m in members)
    files = sum(1 for m in members[1:] if not m.get("damaged")) - len(config)
    return BackupReport(output, kind, files, size, damaged, [item.name for item in config])


def _add_objects(
    tar: tarfile.TarFile, store: LocalBlobStore, digests: set[str], members: list[dict[str, Any]]
) -> dict[str, str]:
    """Copy every object, hashing it on the way; the missing and corrupt ones by SHA-256.

    A corrupt object's bytes are kept, its member marked ``"damaged": true``."""
    problems: dict[str, str] = {}
    for sha256 in sorted(digests):
        name = str(OBJECTS / sha256[:2] / sha256[2:4] / sha256)
        try:
            content = store.open(sha256)
        except BlobNotFound:
            problems[sha256] = MISSING
            continue
        with content:
            member = _add_stream(tar, content, name)
        if member["sha256"] != sha256:
            member["damaged"] = True
            problems[sha256] = CORRUPT
        members.append(member)
    return problems


def _add_config(tar: tarfile.TarFile, item: ConfigFile) -> dict[str, Any]:
    try:
        return _add_file(tar, item.source, item.member)
    except OSError as exc:  # removed or made unreadable since it was listed
        raise BackupError(
            f"配置文件 {item.source} 无法读取，未写备份：{os_error_text(exc)}"
        ) from exc


def _add_manifest(tar: tarfile.TarFile, manifest: dict[str, Any]) -> None:
    data = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
    info = tarfile.TarInfo(MANIFEST)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


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


def libpq_url(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_dump(engine: Engine, target: Path) -> None:
    if shutil.which("pg_dump") is None:
        raise BackupError("未找到 pg_dump：请安装与数据库服务器版本相同的 PostgreSQL 客户端")
    result = subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", f"--file={target}", libpq_url(engine)],
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


def referenced_objects(engine: Engine) -> set[str]:
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
