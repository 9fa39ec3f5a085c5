"""Small files of every shape bulk intake reads, made in memory: Word minutes, PDFs with
Chinese text, Excel sign-in sheets, photos with an EXIF date (JPEG, HEIC). Shared by the
intake tests and the labelled corpus (:mod:`benchmarks.intake_corpus`)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import datetime

from docx import Document
from openpyxl import Workbook
from PIL import Image

EXIF_IFD = 0x8769
DATETIME_ORIGINAL = 36867


def docx_bytes(lines: Sequence[str], table: Sequence[Sequence[str]] = ()) -> bytes:
    """A Word document: one paragraph per line, then a table if given."""
    document = Document()
    for line in lines:
        document.add_paragraph(line)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, values in zip(grid.rows, table, strict=True):
            for cell, value in zip(row.cells, values, strict=True):
                cell.text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_bytes(rows: Sequence[Sequence[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def sign_in_sheet(title: str, names: Sequence[str]) -> bytes:
    """An Excel sign-in sheet: a title row, a 序号/姓名/签到时间 heading, one row per name."""
    rows: list[list[object]] = [[title], ["序号", "姓名", "签到时间"]]
    rows += [[i, name, "已签到"] for i, name in enumerate(names, start=1)]
    return xlsx_bytes(rows)


def pdf_bytes(lines: Sequence[str]) -> bytes:
    """A one-page PDF whose text is ``lines`` (Chinese included): a Type0 font with
    Identity-H encoding, each character written as its code point, and a ToUnicode map, so
    text extraction gives the characters back. (The font is not embedded: a viewer shows
    whatever CJK font it has; the text layer is what intake reads.)"""
    ops = ["BT", "/F1 12 Tf", "14 TL", "50 780 Td"]
    for line in lines:
        encoded = "".join(f"{ord(c):04X}" for c in line if ord(c) <= 0xFFFF)
        ops.append(f"<{encoded}> Tj T*")
    ops.append("ET")
    content = "\n".join(ops).encode("ascii")
    used = sorted({ord(c) for line in lines for c in line if ord(c) <= 0xFFFF})
    chars = [used[i : i + 100] for i in range(0, len(used), 100)]  # at most 100 per block
    blocks = "".join(
        f"{len(block)} beginbfchar\n"
        + "".join(f"<{c:04X}> <{c:04X}>\n" for c in block)
        + "endbfchar\n"
        for block in chars
    )  # only the characters used: a full-range map costs a reader ~1 s to expand
    cmap = (
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        b"/CMapName /Identity-UCS def /CMapType 2 def\n"
        b"1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
        + blocks.encode("ascii")
        + b"endcmap CMapName currentdict /CMap defineresource pop end end\n"
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H "
        b"/DescendantFonts [6 0 R] /ToUnicode 7 0 R >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> >>",
        b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"endstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def _exif(taken: datetime | None) -> Image.Exif:
    exif = Image.Exif()
    if taken is not None:
        exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] = taken.strftime("%Y:%m:%d %H:%M:%S")
    return exif


def jpeg_bytes(
    taken: datetime | None, *, size: tuple[int, int] = (16, 16), noise: bytes = b""
) -> bytes:
    """A JPEG photo taken at ``taken`` (EXIF DateTimeOriginal); ``noise`` appended after the
    image's end marker makes a file of any size (viewers ignore it)."""
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "JPEG", exif=_exif(taken))
    return out.getvalue() + noise


def heic_bytes(taken: datetime | None) -> bytes:
    """A HEIC photo (as iPhones take them) with an EXIF date."""
    from pillow_heif import from_pillow

    out = io.BytesIO()
    image = Image.new("RGB", (16, 16), (30, 30, 200))
    from_pillow(image).save(out, format="HEIF", exif=_exif(taken).tobytes())
    return out.getvalue()
