"""Blobs in a local directory, named by SHA-256.

Layout under ``root``::

    objects/ab/cd/abcd...   one read-only file per distinct content
    tmp/upload-*.part       uploads in progress (or left by a killed process)

An object appears only by ``os.link`` of a complete, fsynced temporary file (which fails if the
name exists, so two uploads of the same content never replace each other's object), so a crash
at any moment leaves either the whole object or a temporary file that ``sweep_leftovers``
removes.

Holding an object is a shared ``flock`` on it, taken before the object can be seen (on the
temporary file, before it is linked) or, for content already there, after which the name is
checked to still lead to the locked file. Removing an object takes the lock exclusively, without
waiting: an object some upload holds is left alone (``verify`` removes it later if it stays an
orphan). ``flock`` locks work between processes (the CLI, the web server) and between threads.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from obligations.errors import full_disk_refused
from obligations.evidence.storage.base import (
    CHUNK_BYTES,
    BlobStore,
    BlobWriter,
    InUse,
    Leftover,
    StoredBlob,
    check_digest,
)
from obligations.evidence.storage.detect import UploadCheck
from obligations.evidence.storage.errors import BlobNotFound
from obligations.evidence.storage.limits import UploadLimits

TMP_PREFIX = "upload-"
TMP_SUFFIX = ".part"


class LocalBlobStore(BlobStore):
    def __init__(self, root: Path) -> None:
        self.root = root
        self._objects = root / "objects"
        self._tmp = root / "tmp"
        self._objects.mkdir(parents=True, exist_ok=True)
        self._tmp.mkdir(parents=True, exist_ok=True)

    def begin(self, *, limits: UploadLimits, filename: str) -> BlobWriter:
        return _LocalWriter(self, limits, filename)

    def open(self, sha256: str) -> BinaryIO:
        try:
            return self._path(sha256).open("rb")
        except FileNotFoundError:
            raise BlobNotFound(f"文件内容 {sha256[:12]}… 不存在") from None

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()

    def iter_blobs(self) -> Iterator[str]:
        for first in _sorted_dirs(self._objects):
            for second in _sorted_dirs(first):
                for path in sorted(second.iterdir()):
                    name = path.name
                    if name[:2] == first.name and name[2:4] == second.name and _is_digest(name):
                        yield name

    def verify(self, sha256: str) -> bool:
        digest = hashlib.sha256()
        with self.open(sha256) as content:
            while chunk := content.read(CHUNK_BYTES):
                digest.update(chunk)
        return digest.hexdigest() == sha256

    def stored_at(self, sha256: str) -> datetime:
        try:
            return datetime.fromtimestamp(self._path(sha256).stat().st_mtime, tz=UTC)
        except FileNotFoundError:
            raise BlobNotFound(f"文件内容 {sha256[:12]}… 不存在") from None

    def discard(self, sha256: str) -> bool:
        path = self._path(sha256)
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            return _remove_unless_held(path, fd, lambda _: False)
        finally:
            os.close(fd)

    def sweep_leftovers(self, *, older_than: timedelta, now: datetime) -> list[Leftover]:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        cutoff = now - older_than
        removed = []
        for path in sorted(self._tmp.glob(f"{TMP_PREFIX}*{TMP_SUFFIX}")):
            try:
                stat = path.stat()
                modified = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
                if modified < cutoff:
                    path.unlink()
                    removed.append(Leftover(path.name, stat.st_size, modified))
            except FileNotFoundError:  # finished or swept by someone else meanwhile
                continue
        return removed

    def _path(self, sha256: str) -> Path:
        check_digest(sha256)
        return self._objects / sha256[:2] / sha256[2:4] / sha256

    def _place(self, temporary: Path, held: int, sha256: str) -> tuple[bool, int]:
        """Link a complete temporary file (``held``: its descriptor, locked shared) into place,
        or hold the object already there instead. Whether this placed it, and the descriptor
        that holds the object."""
        target = self._path(sha256)
        _make_dirs(target.parent)
        while True:
            try:
                os.link(temporary, target)
            except FileExistsError:
                existing = _hold_existing(target)
                if existing is None:
                    continue  # removed meanwhile: place ours
                temporary.unlink()
                os.close(held)
                return False, existing
            temporary.unlink()
            _fsync_dir(target.parent)
            return True, held


class _LocalWriter(BlobWriter):
    def __init__(self, store: LocalBlobStore, limits: UploadLimits, filename: str) -> None:
        self._store = store
        self._check = UploadCheck(limits, filename)
        self._digest = hashlib.sha256()
        with full_disk_refused():
            fd, name = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=TMP_SUFFIX, dir=store._tmp)
        self._path: Path | None = Path(name)
        self._file = os.fdopen(fd, "wb")
        self._held: tuple[int, str, bool] | None = None  # descriptor, digest, placed by us

    def write(self, chunk: bytes) -> None:
        if self._path is None:
            raise RuntimeError("upload already finished")
        with full_disk_refused():
            try:
                self._check.feed(chunk)  # before writing: a refused chunk never reaches the disk
                self._digest.update(chunk)
                self._file.write(chunk)
            except BaseException:
                self.abort()
                raise

    def commit(self) -> StoredBlob:
        path = self._path
        if path is None:
            raise RuntimeError("upload already finished")
        with full_disk_refused():
            return self._commit(path)

    def _commit(self, path: Path) -> StoredBlob:
        try:
            self._file.flush()
            file_type = self._check.finish(lambda: path.open("rb"))
            os.fsync(self._file.fileno())
            os.fchmod(self._file.fileno(), 0o444)
            held = os.open(path, os.O_RDONLY)
            fcntl.flock(held, fcntl.LOCK_SH)  # held before anyone can see it
            self._file.close()
            sha256 = self._digest.hexdigest()
            try:
                placed, held = self._store._place(path, held, sha256)
            except BaseException:
                os.close(held)
                raise
        except BaseException:
            self.abort()
            raise
        self._path = None
        self._held = (held, sha256, placed)
        return StoredBlob(sha256, self._check.size, file_type, already_stored=not placed)

    def release(self) -> None:
        if self._held is not None:
            os.close(self._held[0])  # closing the descriptor drops its lock
            self._held = None

    def withdraw(self, in_use: InUse) -> bool:
        if self._held is None:
            return False
        fd, sha256, placed = self._held
        try:
            return placed and _remove_unless_held(self._store._path(sha256), fd, in_use)
        finally:
            self.release()

    def abort(self) -> None:
        try:
            self._file.close()
        except OSError:
            pass  # its buffered bytes could not be written (a full disk): dropped with the file
        finally:
            if self._path is not None:
                self._path.unlink(missing_ok=True)
                self._path = None
            self.release()


def _hold_existing(target: Path) -> int | None:
    """A descriptor holding (shared lock) the object at ``target``; None if it is gone."""
    try:
        fd = os.open(target, os.O_RDONLY)
    except FileNotFoundError:
        return None
    fcntl.flock(fd, fcntl.LOCK_SH)  # waits only for a removal in progress
    if _still_named(target, fd):
        return fd
    os.close(fd)
    return None


def _remove_unless_held(path: Path, fd: int, in_use: InUse) -> bool:
    """Remove the object open as ``fd`` unless another descriptor holds it or it is in use."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    if not _still_named(path, fd) or in_use(path.name):
        return False
    path.unlink()
    _fsync_dir(path.parent)
    return True


def _still_named(path: Path, fd: int) -> bool:
    try:
        named, held = os.stat(path), os.fstat(fd)
        return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)
    except FileNotFoundError:
        return False


def _is_digest(name: str) -> bool:
    try:
        check_digest(name)
    except ValueError:
        return False
    return True


def _sorted_dirs(parent: Path) -> list[Path]:
    return sorted(p for p in parent.iterdir() if len(p.name) == 2 and p.is_dir())


def _make_dirs(directory: Path) -> None:
    """Create the fan-out directories, fsyncing each new one's parent so it survives a crash."""
    missing = []
    while not directory.exists():
        missing.append(directory)
        directory = directory.parent
    for path in reversed(missing):
        path.mkdir(exist_ok=True)
        _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
