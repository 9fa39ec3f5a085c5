"""What an upload may be: the allowed file types and the size limit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

MIB = 1024 * 1024


class FileType(StrEnum):
    """File types evidence may have; the value is the canonical extension."""

    PDF = "pdf"
    DOCX = "docx"
    XLSX = "xlsx"
    DOC = "doc"
    XLS = "xls"
    JPG = "jpg"
    PNG = "png"
    HEIC = "heic"
    MP4 = "mp4"
    ZIP = "zip"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]


_MEDIA_TYPES = {
    FileType.PDF: "application/pdf",
    FileType.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileType.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileType.DOC: "application/msword",
    FileType.XLS: "application/vnd.ms-excel",
    FileType.JPG: "image/jpeg",
    FileType.PNG: "image/png",
    FileType.HEIC: "image/heic",
    FileType.MP4: "video/mp4",
    FileType.ZIP: "application/zip",
}


def _file_types(values: Iterable[FileType | str]) -> tuple[FileType, ...]:
    result = []
    for value in values:
        try:
            result.append(FileType(str(value).lower()))
        except ValueError:
            known = ", ".join(FileType)
            raise ValueError(f"unknown file type {value!r}; known types: {known}") from None
    if not result:
        raise ValueError("at least one file type must be allowed")
    return tuple(dict.fromkeys(result))


@dataclass(frozen=True)
class UploadLimits:
    """Size limit in bytes and allowed types (in the order messages list them)."""

    max_bytes: int = 50 * MIB
    allowed: tuple[FileType, ...] = field(default=tuple(FileType))

    def __post_init__(self) -> None:
        if self.max_bytes <= 0:
            raise ValueError(f"max_bytes must be positive, got {self.max_bytes}")
        object.__setattr__(self, "allowed", _file_types(self.allowed))

    @property
    def allowed_text(self) -> str:
        """The allowed list as users read it: ``pdf、docx、xlsx``."""
        return "、".join(self.allowed)


def format_size(size: int) -> str:
    """``52428800`` -> ``"50 MB"``; limits are binary multiples but users read "MB"."""
    for unit, factor in (("GB", 1024 * MIB), ("MB", MIB), ("KB", 1024)):
        if size >= factor:
            amount = size / factor
            return f"{amount:.0f} {unit}" if amount.is_integer() else f"{amount:.1f} {unit}"
    return f"{size} 字节"
