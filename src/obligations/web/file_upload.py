"""One uploaded file streamed to a temporary file, with a size limit (the onboarding workbook).

Like :mod:`obligations.web.uploads`, the multipart body is fed chunk by chunk to
``python_multipart``'s parser rather than ``request.form()`` (which spools without a cap): the
CSRF field must come before the file, and the upload is refused (413) as soon as it passes
``max_bytes``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import anyio
from fastapi import Request
from python_multipart.multipart import MultipartParser, parse_options_header

from obligations.errors import InvalidRequest
from obligations.services.access import Forbidden
from obligations.services.accounts import csrf_matches
from obligations.storage import FileTooLarge
from obligations.storage.limits import format_size
from obligations.web.uploads import CSRF_FIELD, CSRF_REFUSED, MAX_FIELD_BYTES


@dataclass
class ReceivedFile:
    fields: dict[str, str] = field(default_factory=dict)
    filename: str | None = None  # as the browser sent it; None: no file
    size: int = 0


class _OneFile:
    def __init__(self, target: Path, csrf: str, max_bytes: int) -> None:
        self.target, self.csrf, self.max_bytes = target, csrf, max_bytes
        self.csrf_ok = False
        self.received = ReceivedFile()
        self._headers: dict[bytes, bytes] = {}
        self._field, self._value = b"", b""
        self._name = ""
        self._text: bytearray | None = None
        self._sink: IO[bytes] | None = None
        self._field_bytes = 0

    def callbacks(self) -> Any:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def close(self) -> None:
        if self._sink is not None:
            self._sink.close()
            self._sink = None

    def _part_begin(self) -> None:
        self._headers, self._field, self._value = {}, b"", b""

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field, self._value = b"", b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        raw_name = options.get(b"filename")
        self._text = None
        if raw_name is None:
            self._text = bytearray()
            return
        if not self.csrf_ok:
            raise Forbidden(CSRF_REFUSED)
        if raw_name == b"":
            return  # a file input left empty
        if self.received.filename is not None:
            raise InvalidRequest("一次只能上传一个文件")
        self.received.filename = raw_name.decode("utf-8", "replace")
        self._sink = self.target.open("wb")

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._sink is not None:
            self.received.size += end - start
            if self.received.size > self.max_bytes:
                raise FileTooLarge(f"文件超过大小上限 {format_size(self.max_bytes)}")
            self._sink.write(data[start:end])
        elif self._text is not None:
            self._field_bytes += end - start
            if self._field_bytes > MAX_FIELD_BYTES:
                raise InvalidRequest("表单文字内容过长")
            self._text += data[start:end]

    def _part_end(self) -> None:
        if self._sink is not None:
            self.close()
        elif self._text is not None:
            value = bytes(self._text).decode("utf-8", "replace")
            if self._name == CSRF_FIELD:
                if not csrf_matches(self.csrf, value):
                    raise Forbidden(CSRF_REFUSED)
                self.csrf_ok = True
            self.received.fields[self._name] = value
        self._text = None


async def receive_file(
    request: Request, target: Path, *, csrf: str, max_bytes: int
) -> ReceivedFile:
    """Stream the form's one file into ``target`` (the caller owns and removes it)."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise InvalidRequest("请以 multipart/form-data 方式提交表单")
    collector = _OneFile(target, csrf, max_bytes)
    parser = MultipartParser(boundary, collector.callbacks())
    try:
        async for chunk in request.stream():
            if chunk:
                await anyio.to_thread.run_sync(parser.write, chunk)
        await anyio.to_thread.run_sync(parser.finalize)
    finally:
        collector.close()
    if not collector.csrf_ok:
        raise Forbidden(CSRF_REFUSED)
    return collector.received
