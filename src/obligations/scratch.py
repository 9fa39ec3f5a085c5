"""Temporary files inside the data directory, where a sweep finds what a killed process left.

A file made in the system's temporary folder (``/tmp``) by a process that is then killed (a
bundle download cut off, a server restarted) stays there for ever: nothing of ours looks there.
Ours live in ``<data dir>/tmp/`` under names starting with :data:`PREFIX`; ``obligations
verify`` and the web server's start-up remove those older than a grace period, so a file still
in use is never touched. (Uploads in progress live in the evidence store's own ``tmp/``.)
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

SCRATCH = "tmp"
PREFIX = "obligations-"


@dataclass(frozen=True)
class ScratchLeftover:
    name: str
    size: int  # bytes; 0 for a folder
    modified: datetime  # UTC


def scratch_dir(data_dir: Path) -> Path:
    """``<data dir>/tmp`` as an absolute path (a relative data directory, the README's
    default, would give LibreOffice a profile path it cannot turn into a file URI)."""
    return data_dir.resolve() / SCRATCH


def new_scratch_file(directory: Path, *, prefix: str, suffix: str) -> Path:
    """Create an empty file ``<directory>/obligations-<prefix>…<suffix>`` (the folder too if
    needed) and return its path; the caller removes it when done."""
    directory.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=PREFIX + prefix, suffix=suffix, dir=directory)
    os.close(handle)
    return Path(name)


@contextmanager
def scratch_folder(directory: Path | None, *, prefix: str) -> Iterator[Path]:
    """A temporary folder ``<directory>/obligations-<prefix>…``, removed on leaving; in the
    system's temporary folder when ``directory`` is None (a caller with no data directory)."""
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=PREFIX + prefix, dir=directory) as folder:
        yield Path(folder)


def sweep_scratch(
    directory: Path, *, older_than: timedelta, now: datetime
) -> list[ScratchLeftover]:
    """Remove our files and folders in ``directory`` last modified before ``now - older_than``.

    Names not starting with :data:`PREFIX` are left alone; a missing folder is nothing to do.
    Raises ``ValueError`` for a naive ``now``."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not directory.is_dir():
        return []
    cutoff = now - older_than
    removed = []
    for path in sorted(directory.glob(PREFIX + "*")):
        try:
            stat = path.lstat()
            modified = datetime.fromtimestamp(stat.st_mtime, tz=UTC)
            if modified >= cutoff:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
                removed.append(ScratchLeftover(path.name, 0, modified))
            else:
                path.unlink()
                removed.append(ScratchLeftover(path.name, stat.st_size, modified))
        except FileNotFoundError:  # removed by its owner or another sweep meanwhile
            continue
    return removed


@contextmanager
def replacing(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target`` to write into; once the block ends without an error
    it is fsynced and renamed over ``target``, so nobody ever sees a half-written file, and on
    an error it is removed. (Beside the target, not in the scratch folder: a rename stays on
    one file system.)"""
    with tempfile.NamedTemporaryFile(
        dir=target.parent, prefix=f".{target.name}.", suffix=".part", delete=False
    ) as raw:
        temporary = Path(raw.name)
    try:
        yield temporary
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
