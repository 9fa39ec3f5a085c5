"""What can be read from one file: its text (bounded) and, for a photo, the day it was taken.

Each reader uses a well-kept library (python-docx, pypdf, openpyxl in read-only mode, Pillow
with pillow-heif for HEIC) and stops after :data:`MAX_CHARS` characters or :data:`MAX_PAGES`
PDF pages, so a large file costs no more than a small one. A file that cannot be read is not
an error: the reading says why in ``problem`` (Chinese) and the proposal is made from the file
name. No OCR is done: scanned pages and photos are read from their name and dates only.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

MAX_CHARS = 20_000
MAX_PAGES = 5
MAX_ROWS = 400
MAX_COLUMNS = 30
# A .docx or .xlsx is itself a ZIP: refuse to unpack one that would grow past this.
MAX_OFFICE_UNPACKED = 100 * 1024 * 1024
MAX_OFFICE_RATIO = 200

PHOTO_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".heic", ".heif", ".webp", ".tif", ".tiff"})
TEXT_EXTENSIONS = frozenset({".txt", ".md", ".csv"})
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


def extension(name: str) -> str:
    """ ".docx" for "记录.DOCX"; "" without one."""
    stem, dot, ext = name.rpartition(".")
    return f".{ext.lower()}" if dot and stem else ""


def read(name: str, data: bytes) -> Reading:
    """What can be read from ``data``, a file called ``name`` (its extension chooses the
    reader; the content decides whether it really is one). Never raises for bad content."""
    ext = extension(name)
    try:
        if ext == ".docx":
            return _docx(data)
        if ext == ".pdf":
            return _pdf(data)
        if ext in {".xlsx", ".xlsm"}:
            return _xlsx(data)
        if ext in TEXT_EXTENSIONS:
            return Reading(text=_decode(data[: MAX_CHARS * 4])[:MAX_CHARS])
        if ext in PHOTO_EXTENSIONS:
            return _photo(data)
    except Exception as exc:  # any library error on hostile or damaged content
        return Reading(photo=ext in PHOTO_EXTENSIONS, problem=_unreadable(ext, exc))
    if ext in {".doc", ".xls", ".wps", ".et"}:
        return Reading(problem=f"旧版 Office 格式（{ext}）无法读取正文，仅按文件名判断")
    return Reading(problem=f"不读取此类文件（{ext or '无扩展名'}）的内容，仅按文件名判断")


def _unreadable(ext: str, exc: Exception) -> str:
    what = {".docx": "Word 文件", ".pdf": "PDF 文件", ".xlsx": "Excel 文件"}.get(ext, "文件")
    detail = str(exc).strip().splitlines()[0][:80] if str(exc).strip() else type(exc).__name__
    return f"无法读取{what}内容（{detail}），仅按文件名判断"


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
                raise ValueError("压缩比异常")
        if total > MAX_OFFICE_UNPACKED:
            raise ValueError("解压后过大")


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


def _pdf(data: bytes) -> Reading:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    out = _Collector()
    for page in reader.pages[:MAX_PAGES]:
        out.add(page.extract_text() or "")
        if out.full:
            break
    text = out.text()
    if not text.strip():
        return Reading(problem="PDF 中没有文字（可能是扫描件，未做文字识别），仅按文件名判断")
    return Reading(text=text)


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


def _photo(data: bytes) -> Reading:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:  # reads the header only, not the pixels
        exif = image.getexif()
        raw: Any = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    taken = _exif_date(raw)
    if taken is None:
        return Reading(photo=True, problem="照片中没有拍摄时间（EXIF），未做文字识别")
    return Reading(photo=True, taken_on=taken, problem="照片未做文字识别，按文件名和拍摄时间判断")


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
