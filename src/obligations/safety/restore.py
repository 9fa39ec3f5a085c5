"""Restore a backup written by :mod:`obligations.safety.backup` into a new data directory.

The backup is extracted into a staging folder beside the target; every member is checked
against the manifest and every evidence object against its own name (an object the manifest
lists as damaged is left out and reported: the backup found it missing or corrupt); then the
database is checked and brought up to date, the configuration files are put in place (the
``config/`` members, at their paths in the data directory: see
:mod:`obligations.safety.config_files`), and only then is the folder moved into place. A
truncated or tampered backup is refused and leaves nothing behind. Backups of format
``obligations-backup/1``, which kept no configuration, restore as before.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import Engine, make_url

from obligations.db import make_engine
from obligations.errors import InvalidRequest, os_error_text
from obligations.evidence.storage import LocalBlobStore
from obligations.safety.backup import (
    CHUNK,
    FORMATS,
    MANIFEST,
    OBJECTS,
    PG_MEMBER,
    SQLITE_MEMBER,
    BackupError,
    BackupRefused,
    libpq_url,
    referenced_objects,
)
from obligations.safety.config_files import CONFIG, is_config_member, place_config
from obligations.safety.damage import DamagedObject
from obligations.schema import upgrade


@dataclass(frozen=True)
class RestoreReport:
    data_dir: Path
    database: str
    files: int
    created_at: str
    damaged: list[DamagedObject]  # listed as damaged by the backup: not restored
    config: list[str]  # configuration files restored, by their path in the data directory


def restore(backup_file: Path, data_dir: Path, *, database_url: str | None = None) -> RestoreReport:
    """Rebuild a working data directory from a backup, verifying every hash first.

    A SQLite backup becomes ``data_dir/obligations.sqlite3``; a PostgreSQL backup is restored
    into the empty database at ``database_url``. ``data_dir`` must not exist or be empty.
    Raises :class:`BackupRefused` for a backup that is truncated, tampered, of an unknown
    format or holds a member outside the allowed names (such as ``config/../x``)."""
    data_dir = data_dir.resolve()
    if data_dir.exists() and any(data_dir.iterdir()):
        raise InvalidRequest(f"目标目录 {data_dir} 不是空目录；请指定一个新目录，以免覆盖现有数据")
    if not backup_file.is_file():
        raise InvalidRequest(f"备份文件 {backup_file} 不存在")
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=data_dir.parent, prefix=".restore-") as work:
        staging = Path(work) / "data"
        manifest = _extract_verified(backup_file, staging)
        damaged = _damaged(manifest)
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
            _check_objects(engine, staging / "evidence", {d.sha256 for d in damaged})
        finally:
            engine.dispose()
        config = place_config(staging)
        if data_dir.exists():
            data_dir.rmdir()
        os.replace(staging, data_dir)
    files = sum(
        1
        for m in manifest["members"]
        if m["path"].startswith(str(OBJECTS)) and not m.get("damaged")
    )
    return RestoreReport(data_dir, kind, files, str(manifest["created_at"]), damaged, config)


def _extract_verified(backup_file: Path, staging: Path) -> dict[str, Any]:
    staging.mkdir()
    seen: dict[str, tuple[str, int]] = {}
    manifest: dict[str, Any] | None = None
    try:
        tar = tarfile.open(backup_file, "r:*")  # noqa: SIM115 -- the with below closes it
    except tarfile.ReadError as exc:
        raise BackupRefused(
            f"{backup_file.name} 不是有效的备份文件（应为 obligations backup 生成的 .tar 文件）"
        ) from exc
    except OSError as exc:
        raise BackupRefused(f"无法读取备份文件 {backup_file.name}：{os_error_text(exc)}") from exc
    try:
        with tar:
            for member in tar:
                manifest = _extract_member(tar, member, staging, seen) or manifest
    except (tarfile.TarError, EOFError) as exc:
        raise BackupRefused(
            f"备份文件 {backup_file.name} 已损坏或不完整（读到一半出错），请换用另一份备份"
        ) from exc
    except OSError as exc:
        raise BackupRefused(f"无法读取备份文件 {backup_file.name}：{os_error_text(exc)}") from exc
    if manifest is None:
        raise BackupRefused(f"备份文件 {backup_file.name} 缺少清单 {MANIFEST}（文件不完整？）")
    if manifest.get("format") not in FORMATS:
        raise BackupRefused(f"不是本系统的备份文件（格式 {manifest.get('format')!r}）")
    if manifest["format"] == FORMATS[0] and any(p.startswith(f"{CONFIG}/") for p in seen):
        raise BackupRefused("备份已被改动：旧格式的备份不应含有配置文件（config/）")
    listed = {m["path"]: (m["sha256"], int(m["size"])) for m in manifest["members"]}
    for path, expected in listed.items():
        if path not in seen:
            raise BackupRefused(f"备份不完整：缺少 {path}")
        if seen[path] != expected:
            raise BackupRefused(f"备份已被改动：{path} 的哈希或大小与清单不符")
    extra = sorted(set(seen) - set(listed))
    if extra:
        raise BackupRefused(f"备份中有清单之外的文件：{'、'.join(extra[:5])}")
    _set_aside_damaged(manifest, seen, staging)
    return manifest


def _set_aside_damaged(
    manifest: dict[str, Any], seen: dict[str, tuple[str, int]], staging: Path
) -> None:
    """Remove the objects whose content is not what their name says: allowed only for those
    the manifest marks damaged (the backup found them so); any other is a tampered backup."""
    marked = {m["path"] for m in manifest["members"] if m.get("damaged")}
    for path, (sha256, _) in seen.items():
        if path.startswith(str(OBJECTS)) and PurePosixPath(path).name != sha256:
            if path not in marked:
                raise BackupRefused(
                    f"备份已被改动：证据文件 {PurePosixPath(path).name[:12]}… 内容与其哈希不符"
                )
            (staging / path).unlink()


def _damaged(manifest: dict[str, Any]) -> list[DamagedObject]:
    try:
        return [DamagedObject.from_json(item) for item in manifest.get("damaged", [])]
    except (KeyError, TypeError, AttributeError) as exc:
        raise BackupRefused("备份清单中损坏文件的记录格式有误（备份已被改动？）") from exc


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
            raise BackupRefused("备份清单无法读取：不是有效的 JSON（备份已损坏或被改动）") from exc
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
    seen[name] = (digest.hexdigest(), size)  # checked against the manifest and its name later
    return None


def _allowed_name(name: str) -> bool:
    if name in (MANIFEST, SQLITE_MEMBER, PG_MEMBER) or is_config_member(name):
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
        # immutable: read only the file itself, creating no -wal or -shm beside it (they would
        # be left in the restored data directory under the backup member's name)
        connection = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        try:
            (result,) = connection.execute("PRAGMA integrity_check").fetchone()
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise BackupRefused(
            "备份中的数据库已损坏（不是有效的 SQLite 数据库），请换用另一份备份"
        ) from exc
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
            f"--dbname={libpq_url(engine)}",
            str(dump),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupRefused(f"pg_restore 失败：{result.stderr.strip()}")


def _check_objects(engine: Engine, evidence_dir: Path, damaged: set[str]) -> None:
    """Every object a restored record names is present (its content was checked on extraction),
    except those the backup recorded as damaged."""
    store = LocalBlobStore(evidence_dir)
    for sha256 in referenced_objects(engine) - damaged:
        if not store.exists(sha256):
            raise BackupRefused(f"备份不完整：缺少证据文件 {sha256[:12]}…")
