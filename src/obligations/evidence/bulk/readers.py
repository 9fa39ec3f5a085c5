"""What can be read from one file: its text (bounded) and, for a photo, the day it was taken.

Each reader uses a well-kept library (python-docx, pypdf, openpyxl in read-only mode, Pillow
with pillow-heif for HEIC) and stops after :data:`MAX_CHARS` characters or :data:`MAX_PAGES`
PDF pages, so a large file costs no more than a small one. A file that cannot be read is not
an error: the reading says why in ``problem`` (Chinese) and the proposal is made from the file
name. With ``ocr`` (and Tesseract installed, :mod:`.ocr`), photos and PDF pages without a text
layer are read by OCR (bounded in pixels, pages and time); otherwise they are read from their
name and dates only, and the reading says so.
"""

from __future__ import annotations

import io
import logging
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from obligations.evidence.bulk import ocr as ocr_reader

log = logging.getLogger(__name__)

MAX_CHARS = 20_000
MAX_PAGES = 5
MAX_ROWS = 400
MAX_COLUMNS = 30
# A .docx or .xlsx is itself a ZIP: refuse to unpack one that would grow past this.
MAX_OFFICE_UNPACKED = 100 * 1024 * 1024
MAX_OFFICE_RATIO = 200

PHOTO_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".heic", ".heif", ".webp", ".tif", ".tiff"})
TEXT_EXTENSIONS = frozenset({".txt", ".md", ".csv"})
# Reasons this module raises itself, shown as they are (already Chinese).
_OWN_REASONS = ("压缩比异常，疑为压缩炸弹", "解压后过大")
_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 36867
_DATETIME = 306

try:  # HEIC photos from phones; optional where the wheel is not available
    from pillow_heif import register_heif_opener

    register_heif_opener()
except ImportError:  # pragma: no cover - depends on the platform
    pass


@dataclass(frozen=True)
class Reading:
    text: str = ""
    photo: bool = False
    taken_on: date | None = None  # EXIF DateTimeOriginal (local wall time of the camera)
    signed: int | None = None  # names under a 姓名 heading of a sign-in sheet
    problem: str | None = None  # why the content could not be read, in Chinese
    note: str | None = None  # how it was read, when that matters (OCR), in Chinese


def extension(name: str) -> str:
    """ ".docx" for "记录.DOCX"; "" without one."""
    stem, dot, ext = name.rpartition(".")
    return f".{ext.lower()}" if dot and stem else ""


def read(name: str, data: bytes, *, ocr: bool = False) -> Reading:
    """What can be read from ``data``, a file called ``name`` (its extension chooses the
    reader; the content decides whether it really is one); photos and scanned PDF pages by
    OCR when ``ocr`` is asked and installed. Never raises for bad content."""
    ext = extension(name)
    try:
        if ext == ".docx":
            return _docx(data)
        if ext == ".pdf":
            return _pdf(data, ocr=ocr)
        if ext in {".xlsx", ".xlsm"}:
            return _xlsx(data)
        if ext in TEXT_EXTENSIONS:
            return Reading(text=_decode(data[: MAX_CHARS * 4])[:MAX_CHARS])
        if ext in PHOTO_EXTENSIONS:
            return _photo(data, ocr=ocr)
    except Exception as exc:  # any library error on hostile or damaged content
        return Reading(photo=ext in PHOTO_EXTENSIONS, problem=_unreadable(ext, data, exc))
    if ext in {".doc", ".xls", ".wps", ".et"}:
        return Reading(problem=f"旧版 Office 格式（{ext}）无法读取正文，仅按文件名判断")
    return Reading(problem=f"不读取此类文件（{ext or '无扩展名'}）的内容，仅按文件名判断")


def _unreadable(ext: str, data: bytes, exc: Exception) -> str:
    """Why a file could not be read, in Chinese only (empty, encrypted, damaged, too large
    once unpacked); the library's own (English) wording goes to the log."""
    what = {".docx": "Word 文件", ".pdf": "PDF 文件", ".xlsx": "Excel 文件"}.get(ext, "文件")
    log.info("could not read %s content: %r", ext or "file", exc)
    return f"无法读取{what}内容（{_why_unreadable(data, exc)}），仅按文件名判断"


def _why_unreadable(data: bytes, exc: Exception) -> str:
    if not data:
        return "文件为空"
    name = type(exc).__name__
    if "Decrypt" in name or "encrypt" in str(exc).lower() or "password" in str(exc).lower():
        return "文件已加密，请另存为未加密的文件"
    if isinstance(exc, ValueError) and str(exc) in _OWN_REASONS:
        return str(exc)
    if isinstance(exc, zipfile.BadZipFile | KeyError):
        return "文件已损坏，或扩展名与实际格式不符"
    if isinstance(exc, MemoryError):
        return "文件过大"
    return "文件已损坏或格式不受支持"


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace")


def _check_office_zip(data: bytes) -> None:
    """Refuse an Office file whose parts would unpack past the bounds (a zip bomb)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        total = 0
        for info in archive.infolist():
            total += info.file_size
            if info.file_size > 1024 * 1024 and info.file_size > info.compress_size * (
                MAX_OFFICE_RATIO
            ):
                raise ValueError(_OWN_REASONS[0])
        if total > MAX_OFFICE_UNPACKED:
            raise ValueError(_OWN_REASONS[1])


class _Collector:
    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    @property
    def full(self) -> bool:
        return self.size >= MAX_CHARS

    def add(self, text: str) -> None:
        if text and not self.full:
            self.parts.append(text)
            self.size += len(text) + 1

    def text(self) -> str:
        return "\n".join(self.parts)[:MAX_CHARS]


def _docx(data: bytes) -> Reading:
    from docx import Document

    _check_office_zip(data)
    document = Document(io.BytesIO(data))
    out = _Collector()
    for paragraph in document.paragraphs:
        out.add(paragraph.text.strip())
        if out.full:
            break
    for table in document.tables:
        for row in table.rows[:MAX_ROWS]:
            out.add("\t".join(cell.text.strip() for cell in row.cells[:MAX_COLUMNS]))
            if out.full:
                break
    return Reading(text=out.text())


def _pdf(data: bytes, *, ocr: bool) -> Reading:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    out = _Collector()
    for page in reader.pages[:MAX_PAGES]:
        out.add(page.extract_text() or "")
        if out.full:
            break
    text = out.text()
    if text.strip():
        return Reading(text=text)
    scanned = "PDF 中没有文字（可能是扫描件）"
    if not ocr:
        return Reading(problem=f"{scanned}，未做文字识别（OCR），仅按文件名判断")
    if not ocr_reader.available():
        return Reading(problem=f"{scanned}；{ocr_reader.NOT_INSTALLED}，仅按文件名判断")
    pages: list[str] = []
    try:
        for page in reader.pages[: ocr_reader.MAX_IMAGES]:
            largest = max(page.images, key=lambda i: len(i.data), default=None)
            if largest is not None and largest.image is not None:
                pages.append(ocr_reader.image_text(largest.image))
    except ocr_reader.OcrFailed as exc:
        return Reading(text="\n".join(pages), problem=f"扫描件{exc}，仅按已读出的文字和文件名判断")
    return _recognised("\n".join(pages)[:MAX_CHARS], "扫描件")


def _xlsx(data: bytes) -> Reading:
    from openpyxl import load_workbook  # type: ignore[import-untyped, unused-ignore]

    _check_office_zip(data)
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    out = _Collector()
    signed: int | None = None
    try:
        for sheet in workbook.worksheets:
            name_column: int | None = None
            for row in sheet.iter_rows(max_row=MAX_ROWS, max_col=MAX_COLUMNS, values_only=True):
                cells = ["" if v is None else str(v).strip() for v in row]
                out.add("\t".join(c for c in cells if c))
                if name_column is None and "姓名" in cells:
                    name_column, signed = cells.index("姓名"), 0
                elif name_column is not None and name_column < len(cells):
                    signed = (signed or 0) + (1 if _is_name(cells[name_column]) else 0)
                if out.full:
                    break
    finally:
        workbook.close()
    return Reading(text=out.text(), signed=signed)


def _is_name(cell: str) -> bool:
    return 2 <= len(cell) <= 6 and all("\u4e00" <= c <= "\u9fff" or c == "·" for c in cell)


def _photo(data: bytes, *, ocr: bool) -> Reading:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:  # reads the header only, not the pixels
        exif = image.getexif()
        raw: Any = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
        taken = _exif_date(raw)
        if ocr and ocr_reader.available():
            image.draft("L", (ocr_reader.MAX_SIDE, ocr_reader.MAX_SIDE))  # JPEG: decode small
            try:
                recognised = _recognised(ocr_reader.image_text(image), "照片")
            except ocr_reader.OcrFailed as exc:
                recognised = Reading(problem=f"照片{exc}，按文件名和拍摄时间判断")
            return Reading(photo=True, taken_on=taken, text=recognised.text,
                           problem=recognised.problem, note=recognised.note)  # fmt: skip
    where = "按文件名和拍摄时间判断" if taken else "照片中没有拍摄时间（EXIF），仅按文件名判断"
    if not ocr:
        return Reading(photo=True, taken_on=taken, problem=f"照片未做文字识别（OCR），{where}")
    return Reading(photo=True, taken_on=taken, problem=f"{ocr_reader.NOT_INSTALLED}，照片{where}")


def _recognised(text: str, what: str) -> Reading:
    if not text.strip():
        return Reading(problem=f"{what}经文字识别（OCR）未读出文字")
    return Reading(text=text, note=f"{what}经文字识别（OCR）读出 {len(text)} 字")


def _exif_date(raw: object) -> date | None:
    """The day of an EXIF "2026:03:12 14:30:00" (the camera's local time), or None."""
    if isinstance(raw, bytes):
        raw = raw.decode("ascii", errors="ignore")
    if not isinstance(raw, str):
        return None
    try:
        return datetime.strptime(raw.strip()[:19], "%Y:%m:%d %H:%M:%S").date()  # noqa: DTZ007
    except ValueError:
        return None
