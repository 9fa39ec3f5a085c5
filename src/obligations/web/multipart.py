"""Streaming multipart forms: the parser callbacks every upload shares.

``request.form()`` would spool every file to disk with no size cap. Here the request body is
fed chunk by chunk to ``python_multipart``'s parser. :class:`FormParts` keeps the text fields
in memory (capped) and checks the CSRF field, which the pages' forms put before any file; a
subclass decides what happens to a file's bytes (:meth:`file_begins`, :meth:`file_data`,
:meth:`file_ends`).
"""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from obligations.accounts.access import Forbidden
from obligations.accounts.users import csrf_matches
from obligations.errors import InvalidRequest

MAX_FIELD_BYTES = 64 * 1024  # all text fields together
CSRF_FIELD = "csrf_token"
CSRF_REFUSED = "表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试"
MALFORMED = "提交的表单数据已损坏（multipart 格式错误，例如文件名中含有换行），请刷新页面后重新提交"
NAMELESS_FILE = "上传的文件没有文件名，未登记任何内容；请选择带文件名的文件后重试"


class FormParts:
    """Text fields into ``fields``; file parts handed to the subclass's hooks. With ``csrf``
    None the form needs no CSRF field (the API, authenticated by a token)."""

    def __init__(self, csrf: str | None) -> None:
        self.csrf = csrf
        self.csrf_ok = csrf is None
        self.fields: dict[str, str] = {}
        self._headers: dict[bytes, bytes] = {}
        self._field, self._value = b"", b""
        self._name = ""
        self._text: bytearray | None = None
        self._in_file = False
        self._nameless = False  # a file part with an empty name: must stay empty
        self._field_bytes = 0

    # -- what a subclass does with files --------------------------------------------------

    def file_begins(self, raw_name: bytes) -> None:
        raise InvalidRequest("此表单不接受文件")

    def file_data(self, chunk: bytes) -> None:
        raise NotImplementedError

    def file_ends(self) -> None:
        raise NotImplementedError

    # -- the parser's callbacks -----------------------------------------------------------

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
        self._text, self._in_file, self._nameless = None, False, False
        if raw_name is None and not _typed_as_file(self._headers):
            self._text = bytearray()
            return
        if not self.csrf_ok:
            raise Forbidden(CSRF_REFUSED)
        if not raw_name:
            self._nameless = True  # a file input left empty, unless bytes follow
            return
        self.file_begins(raw_name)
        self._in_file = True

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._nameless and end > start:
            raise InvalidRequest(NAMELESS_FILE)
        if self._in_file:
            self.file_data(data[start:end])
        elif self._text is not None:
            self._field_bytes += end - start
            if self._field_bytes > MAX_FIELD_BYTES:
                raise InvalidRequest("表单文字内容过长")
            self._text += data[start:end]

    def _part_end(self) -> None:
        if self._in_file:
            self._in_file = False
            self.file_ends()
        elif self._text is not None:
            value = bytes(self._text).decode("utf-8", "replace")
            if self._name == CSRF_FIELD and self.csrf is not None:
                if not csrf_matches(self.csrf, value):
                    raise Forbidden(CSRF_REFUSED)
                self.csrf_ok = True
            self.fields[self._name] = value
        self._text = None


def _typed_as_file(headers: dict[bytes, bytes]) -> bool:
    """A part without a file name that still says it holds a file (a content type other than
    text): what some clients send for a file whose name is empty."""
    content_type, _ = parse_options_header(headers.get(b"content-type", b""))
    return content_type not in (b"", b"text/plain")


async def feed(request: Request, parts: FormParts) -> None:
    """Run the request body through the parser into ``parts``; refuse a form without its
    CSRF field."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise InvalidRequest("请以 multipart/form-data 方式提交表单")
    parser = MultipartParser(boundary, parts.callbacks())
    try:
        async for chunk in request.stream():
            if chunk:
                await anyio.to_thread.run_sync(parser.write, chunk)
        await anyio.to_thread.run_sync(parser.finalize)
    except MultipartParseError:
        raise InvalidRequest(MALFORMED) from None
    if not parts.csrf_ok:
        raise Forbidden(CSRF_REFUSED)
