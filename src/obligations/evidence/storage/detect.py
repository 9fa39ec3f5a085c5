"""Telling an upload's type from its content, checked as the bytes stream past.

``filetype`` reads the first bytes. Two families need more than that, written by hand here:

* ZIP: ``.docx``, ``.xlsx`` and ``.zip`` all start with ``PK\\x03\\x04``. filetype 1.2 recognises
  OOXML only when one of the first four local headers names ``word/`` or ``xl/`` within a few KB,
  so a document whose first entries are large (an embedded thumbnail, say) comes back as plain
  ``zip``. The central directory at the end of the file is what Office itself reads, so the
  decision waits for the whole file and reads the entry names there.
* OLE2 (Office 97-2003): ``.doc``, ``.xls`` and ``.ppt`` share the ``D0CF11E0`` header. filetype
  names ``doc``/``xls`` only when optional markers happen to sit at fixed offsets; telling them
  apart properly means walking the compound-file directory. Once the content has proved to be
  OLE2, the declared extension chooses between ``doc`` and ``xls``; any other extension is
  refused.

A third family, HEIF (phone photos), is told from its ``ftyp`` box by hand too: filetype 1.2
knows the ``heic`` major brand alone (and ``mif1``/``msf1`` listing ``heic``), so a 10-bit iPhone
photo (``heix``), a burst (``hevc``), or a phone that lists HEVC brands only among the compatible
brands was refused as of unknown type. Any HEVC-coded HEIF brand, major or compatible, makes a
``heic`` (ISO/IEC 23008-12 annex B; brands as registered by the MP4 registration authority).
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from typing import BinaryIO

import filetype  # type: ignore[import-untyped]

from obligations.evidence.storage.errors import EmptyFile, FileTooLarge, FileTypeRefused
from obligations.evidence.storage.limits import FileType, UploadLimits, format_size

HEAD_BYTES = 8192  # what filetype reads
OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # an archive with entries; an empty archive

# Labels for content that is not one allowed FileType but needs saying in a message.
ZIP_FAMILY = "zip-family"
OLE2_OTHER = "ole2"
BROKEN_ZIP = "broken-zip"
_LABEL_TEXT = {
    OLE2_OTHER: "Office 97-2003 文件（无法按扩展名确定是 doc 还是 xls）",
    BROKEN_ZIP: "损坏的 ZIP 压缩文件",
}


def declared_extension(filename: str) -> str:
    """``"报告.DOC"`` -> ``"doc"``; ``""`` without a dot."""
    stem, dot, extension = filename.rpartition(".")
    return extension.lower() if dot and stem else ""


# HEVC-coded HEIF: still images (heic, heix: 10-bit, heim: multi-layer, heis: scalable) and
# image sequences (hevc, hevx, hevm, hevs), as phones write them.
HEVC_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"})


def ftyp_brands(head: bytes) -> tuple[bytes, frozenset[bytes]] | None:
    """(major brand, compatible brands) of an ISO base media file's leading ``ftyp`` box, or
    None when ``head`` does not start with one."""
    if len(head) < 16 or head[4:8] != b"ftyp":
        return None
    size = int.from_bytes(head[0:4], "big")
    end = min(size, len(head)) if size >= 16 else len(head)
    compatible = frozenset(head[i : i + 4] for i in range(16, end - 3, 4))
    return head[8:12], compatible


def _is_heic(head: bytes) -> bool:
    brands = ftyp_brands(head)
    return brands is not None and bool(HEVC_BRANDS & {brands[0], *brands[1]})


def sniff_head(head: bytes, declared: str) -> str | None:
    """A type label from the first bytes, ``ZIP_FAMILY`` to decide later, or None if unknown."""
    if _is_heic(head):
        return FileType.HEIC
    if head.startswith(OLE2_MAGIC):
        return _ole2_type(head, declared)
    if head.startswith(ZIP_MAGICS):
        return ZIP_FAMILY
    kind = filetype.guess(head)
    return str(kind.extension) if kind is not None else None


def _ole2_type(head: bytes, declared: str) -> str:
    kind = filetype.guess(head)
    if kind is not None and kind.extension in ("doc", "xls", "ppt"):
        return str(kind.extension)  # a marker proved which one: the content wins
    if declared in (FileType.DOC, FileType.XLS):
        return declared
    return OLE2_OTHER


def classify_zip(content: BinaryIO) -> str:
    """docx, xlsx, pptx or zip from the entry names in the central directory."""
    try:
        with zipfile.ZipFile(content) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, EOFError, ValueError):
        return BROKEN_ZIP
    if "[Content_Types].xml" in names:
        if "word/document.xml" in names:
            return FileType.DOCX
        if "xl/workbook.xml" in names:
            return FileType.XLSX
        if "ppt/presentation.xml" in names:
            return "pptx"
    return FileType.ZIP


class UploadCheck:
    """Checks one upload as it streams past: the size as it grows, the type from the first bytes.

    ``feed`` raises as soon as the upload is known to be refused, so the caller stops reading;
    ``finish`` gives the type once everything has been fed.
    """

    def __init__(self, limits: UploadLimits, filename: str) -> None:
        self.limits = limits
        self.filename = filename
        self.size = 0
        self._head = bytearray()
        self._sniffed = False
        self._label: str | None = None

    def feed(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limits.max_bytes:
            raise FileTooLarge(
                f"文件“{self.filename}”超过大小上限 {format_size(self.limits.max_bytes)}"
            )
        if not self._sniffed:
            self._head += chunk[: HEAD_BYTES - len(self._head)]
            if len(self._head) >= HEAD_BYTES:
                self._sniff()

    def finish(self, reopen: Callable[[], BinaryIO]) -> FileType:
        """The allowed type of the whole content; ``reopen`` gives it from the start."""
        if self.size == 0:
            raise EmptyFile(f"文件“{self.filename}”为空")
        if not self._sniffed:
            self._sniff()
        label = self._label
        if label == ZIP_FAMILY:
            with reopen() as content:
                label = classify_zip(content)
        return self._allowed(label)

    def _sniff(self) -> None:
        self._sniffed = True
        self._label = sniff_head(bytes(self._head), declared_extension(self.filename))
        self._head = bytearray()
        if self._label != ZIP_FAMILY:  # a ZIP's type is known only at the end
            self._allowed(self._label)

    def _allowed(self, label: str | None) -> FileType:
        if label in self.limits.allowed:
            return FileType(label)
        allowed = self.limits.allowed_text
        if label is None:
            message = f"无法识别文件“{self.filename}”的实际类型，只允许：{allowed}"
        else:
            shown = _LABEL_TEXT.get(label, label)
            message = f"文件“{self.filename}”的实际类型为 {shown}，只允许：{allowed}"
        raise FileTypeRefused(message)
