"""Small real files for the demo's evidence: Word minutes, sign-in and activity photos, a PDF.

Made in memory, deterministically (no timestamps inside), a few kilobytes each, so the demo's
files open in the programs people use and the store's content checks accept them.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import datetime

from docx import Document
from PIL import Image, ImageDraw

from obligations.vocabulary import EvidenceKind


@dataclass(frozen=True)
class SampleFile:
    """One file as uploaded: the name a secretary would give it and its bytes."""

    name: str
    content: bytes


def minutes_docx(title: str, lines: list[str]) -> bytes:
    """A one-page Word document: ``title`` as its heading, then one paragraph per line."""
    document = Document()
    properties = document.core_properties
    properties.author = properties.last_modified_by = "示例学院"
    properties.created = properties.modified = _FIXED
    document.add_heading(title, level=1)
    for line in lines:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_times(buffer.getvalue())


_FIXED = datetime(2026, 1, 1)  # noqa: DTZ001 - a document property without a zone


def _fixed_times(package: bytes) -> bytes:
    """The same package with every member dated alike, so equal documents are equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()


def _picture(rows: int, shade: tuple[int, int, int]) -> Image.Image:
    """A small drawing: a sheet with ``rows`` ruled lines (a sign-in sheet or a photo)."""
    image = Image.new("RGB", (240, 160), (250, 250, 246))
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, 8, 231, 151), outline=shade, width=3)
    for row in range(rows):
        y = 24 + row * 12
        draw.line((20, y, 220, y), fill=shade, width=1)
    return image


def _encoded(image: Image.Image, form: str) -> bytes:
    buffer = io.BytesIO()
    stamp = _FIXED.timetuple()
    dated = {"creationDate": stamp, "modDate": stamp} if form == "PDF" else {}
    image.save(buffer, format=form, **dated)
    return buffer.getvalue()


def sample_files() -> dict[EvidenceKind, list[SampleFile]]:
    """The files attached to a record of each kind (shared by every record of that kind: the
    store keeps one copy of each content)."""
    minutes = minutes_docx(
        "会议记录",
        [
            "时间：会议当日 14:30",
            "地点：党员活动室",
            "主持人：支部书记",
            "一、传达学习上级有关文件精神；",
            "二、结合本单位实际开展交流研讨；",
            "三、部署下一阶段工作。",
        ],
    )
    sign_in = _encoded(_picture(10, (40, 60, 120)), "PNG")
    photo = _encoded(_picture(3, (170, 40, 40)), "JPEG")
    document = _encoded(_picture(8, (60, 60, 60)), "PDF")
    return {
        EvidenceKind.MINUTES: [
            SampleFile("会议记录.docx", minutes),
            SampleFile("签到表.png", sign_in),
        ],
        EvidenceKind.SIGN_IN: [SampleFile("签到表.png", sign_in)],
        EvidenceKind.PHOTOS: [SampleFile("活动照片.jpg", photo)],
        EvidenceKind.DOCUMENT: [SampleFile("文件.pdf", document)],
        EvidenceKind.OTHER: [SampleFile("文件.pdf", document)],
    }
