"""Small but real files of each type, built in memory for the storage tests."""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib

import docx
import openpyxl

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64)
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isommp41" + b"\x00\x00\x00\x08free"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + bytes(64)
OLE2 = bytes.fromhex("D0CF11E0A1B11AE1") + bytes(1024)


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1x1, 8-bit greyscale
    pixels = zlib.compress(b"\x00\x00")
    chunks = chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + chunks


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("会议记录.txt", "第一次支部委员会")
    return buffer.getvalue()


def word_document() -> bytes:
    document = docx.Document()
    document.add_paragraph("2025年度组织生活会记录")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def workbook() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"] = "党员名册"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def word_document_with_large_first_entry() -> bytes:
    """A docx whose first entry is a 20 KB preview image, as some editors write them."""
    original = zipfile.ZipFile(io.BytesIO(word_document()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("docProps/thumbnail.emf", os.urandom(20_000))
        for name in original.namelist():
            archive.writestr(name, original.read(name))
    return buffer.getvalue()
