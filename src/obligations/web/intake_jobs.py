"""The web's bulk intake upload and reading: several files (a ZIP among them unpacked, as
:class:`~obligations.evidence.bulk.sources.Uploaded` reads them) streamed into a scratch
folder, then read in a background thread that writes its progress beside them, so the page
can show a progress bar while the server reads (OCR takes seconds a photo).

The folder (``tmp/obligations-intake-<token>``) holds ``files/``, ``meta.json`` (who, which
unit, branch and year), ``progress.json`` while reading, then ``proposals.json`` or
``failed.json`` (the reason, in Chinese). A reading that stopped (the server restarted) is
recognised by a progress file older than :data:`STALE` and reported as such.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from fastapi import Request

from obligations.errors import InvalidRequest, ServiceError, full_disk_refused
from obligations.evidence.bulk import grouping
from obligations.evidence.bulk.matching import Proposal
from obligations.evidence.storage import FileTooLarge, clean_filename
from obligations.evidence.storage.limits import format_size
from obligations.web.multipart import FormParts, feed

FILES = "files"
META = "meta.json"
PROGRESS = "progress.json"
PROPOSALS = "proposals.json"
FAILED = "failed.json"
MAX_UPLOAD_FILES = 2000
STALE = 600.0  # seconds without progress: the reading stopped
# Readings at once in this process (OCR keeps a core busy); the others wait their turn.
READERS = threading.BoundedSemaphore(2)
_NAME_BYTES = 240  # room for " (2)" under the 255-byte limit of a file name


class _ManyFiles(FormParts):
    """Every file of the form into ``folder``, under its cleaned name (a second file of the
    same name gets " (2)"); all of them together at most ``max_bytes``."""

    def __init__(self, folder: Path, csrf: str, max_bytes: int) -> None:
        super().__init__(csrf)
        self.folder, self.max_bytes = folder, max_bytes
        self.names: list[str] = []
        self.size = 0
        self._sink: IO[bytes] | None = None

    def close(self) -> None:
        if self._sink is not None:
            sink, self._sink = self._sink, None
            sink.close()

    def file_begins(self, raw_name: bytes) -> None:
        if len(self.names) >= MAX_UPLOAD_FILES:
            raise InvalidRequest(f"一次最多上传 {MAX_UPLOAD_FILES} 个文件，请打包成 .zip 后上传")
        name = clean_filename(raw_name.decode("utf-8", "replace"))
        stem, dot, ext = name.rpartition(".")
        stem, ext = (stem, dot + ext) if dot and stem else (name, "")
        number, unique = 1, name
        while unique in self.names:
            number += 1
            unique = f"{stem} ({number}){ext}"
        self.names.append(unique)
        with full_disk_refused():
            self._sink = (self.folder / unique).open("wb")

    def file_data(self, chunk: bytes) -> None:
        assert self._sink is not None
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise FileTooLarge(f"上传的文件合计超过上限 {format_size(self.max_bytes)}")
        with full_disk_refused():
            self._sink.write(chunk)

    def file_ends(self) -> None:
        with full_disk_refused():
            self.close()


async def receive_files(
    request: Request, folder: Path, *, csrf: str, max_bytes: int
) -> tuple[dict[str, str], list[str]]:
    """Stream the form's files into ``folder/files`` (the caller owns and removes the folder);
    the text fields and the files' names. Raises ``InvalidRequest`` when no file was sent."""
    files = folder / FILES
    files.mkdir()
    collector = _ManyFiles(files, csrf, max_bytes)
    try:
        await feed(request, collector)
    except BaseException:
        with contextlib.suppress(OSError):
            collector.close()
        raise
    with full_disk_refused():
        collector.close()
    if not collector.names or collector.size == 0:
        raise InvalidRequest("请选择要整理的文件（可多选）或一个 .zip 压缩包")
    return collector.fields, collector.names


def _write(path: Path, value: Any) -> None:
    """Write JSON so that a reader never sees half of it (written beside, then renamed)."""
    part = path.with_suffix(".part")
    part.write_text(json.dumps(value, ensure_ascii=False), "utf-8")
    part.replace(path)


def start(folder: Path, total: int, propose: Callable[[Callable[[str], None]], list[Proposal]],
          stored: Callable[[Proposal], dict[str, Any]]) -> None:  # fmt: skip
    """Read in a background thread (at most two at once, :data:`READERS`): ``propose(progress)``
    gives the proposals, numbered into groups, the files of a record together, written with
    ``stored``; its progress (files done of ``total``) as it goes."""
    _write(folder / PROGRESS, {"done": 0, "total": total})

    def run() -> None:
        done = 0

        def progress(_name: str) -> None:
            nonlocal done
            done += 1
            _write(folder / PROGRESS, {"done": done, "total": total})

        try:
            with READERS:
                proposals = propose(progress)
            grouping.number_groups(proposals)
            proposals = grouping.in_record_order(proposals)
            _write(folder / PROPOSALS, [stored(p) for p in proposals])
        except ServiceError as exc:
            _write(folder / FAILED, {"error": str(exc)})
        except Exception as exc:  # the page must say so, not wait for ever
            _write(
                folder / FAILED, {"error": f"读取文件时出错（{type(exc).__name__}），请重新上传"}
            )
        except BaseException:
            with contextlib.suppress(OSError):
                _write(folder / FAILED, {"error": "读取被中断，请重新上传"})
            raise

    threading.Thread(target=run, name=f"intake-{folder.name}", daemon=True).start()


def status(folder: Path) -> dict[str, Any]:
    """{"ready": bool, "done": n, "total": n, "error": str | None} of a folder's reading."""
    with contextlib.suppress(OSError, ValueError):
        failed = json.loads((folder / FAILED).read_text("utf-8"))
        return {"ready": False, "done": 0, "total": 0, "error": failed["error"]}
    if (folder / PROPOSALS).exists():
        return {"ready": True, "done": 0, "total": 0, "error": None}
    try:
        progress = json.loads((folder / PROGRESS).read_text("utf-8"))
        stale = time.time() - (folder / PROGRESS).stat().st_mtime > STALE
    except (OSError, ValueError):
        progress, stale = {"done": 0, "total": 0}, True
    error = "读取已中断（服务可能重启过），请重新上传" if stale else None
    return {"ready": False, "done": progress["done"], "total": progress["total"], "error": error}
