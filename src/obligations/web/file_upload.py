"""One uploaded file streamed to a temporary file, with a size limit (the onboarding workbook).

Like :mod:`obligations.web.uploads`, the multipart body is fed chunk by chunk to
``python_multipart``'s parser rather than ``request.form()`` (which spools without a cap): the
CSRF field must come before the file, and the upload is refused (413) as soon as it passes
``max_bytes``. A full disk is refused as :class:`~obligations.errors.OutOfSpace`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from fastapi import Request

from obligations.errors import InvalidRequest, full_disk_refused
from obligations.evidence.storage import FileTooLarge
from obligations.evidence.storage.limits import format_size
from obligations.web.multipart import FormParts, feed


@dataclass
class ReceivedFile:
    fields: dict[str, str] = field(default_factory=dict)
    filename: str | None = None  # as the browser sent it; None: no file
    size: int = 0


class _OneFile(FormParts):
    def __init__(self, target: Path, csrf: str, max_bytes: int) -> None:
        super().__init__(csrf)
        self.target, self.max_bytes = target, max_bytes
        self.received = ReceivedFile(fields=self.fields)
        self._sink: IO[bytes] | None = None

    def close(self) -> None:
        if self._sink is not None:
            sink, self._sink = self._sink, None
            sink.close()  # may raise for a full disk: the bytes it held are lost

    def file_begins(self, raw_name: bytes) -> None:
        if self.received.filename is not None:
            raise InvalidRequest("一次只能上传一个文件")
        self.received.filename = raw_name.decode("utf-8", "replace")
        with full_disk_refused():
            self._sink = self.target.open("wb")

    def file_data(self, chunk: bytes) -> None:
        assert self._sink is not None
        self.received.size += len(chunk)
        if self.received.size > self.max_bytes:
            raise FileTooLarge(f"文件超过大小上限 {format_size(self.max_bytes)}")
        with full_disk_refused():
            self._sink.write(chunk)

    def file_ends(self) -> None:
        with full_disk_refused():
            self.close()


async def receive_file(
    request: Request, target: Path, *, csrf: str, max_bytes: int
) -> ReceivedFile:
    """Stream the form's one file into ``target`` (the caller owns and removes it)."""
    collector = _OneFile(target, csrf, max_bytes)
    try:
        await feed(request, collector)
    except BaseException:
        with contextlib.suppress(OSError):  # the refusal is what the caller must hear
            collector.close()
        raise
    with full_disk_refused():
        collector.close()
    return collector.received
