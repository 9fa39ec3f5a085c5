"""What an upload may be: the allowed file types and the size limit."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from obligations.vocabulary import FileType as FileType  # re-exported: storage's own word

MIB = 1024 * 1024
# File name extensions a type is commonly saved under, when more than its own value.
_EXTENSIONS = {FileType.JPG: ("jpg", "jpeg"), FileType.HEIC: ("heic", "heif")}


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

    @classmethod
    def of(cls, max_upload_mb: int, allowed_file_types: Iterable[str]) -> UploadLimits:
        """The limits a deployment's settings give (``OBLIGATIONS_MAX_UPLOAD_MB``,
        ``OBLIGATIONS_ALLOWED_FILE_TYPES``)."""
        allowed = tuple(FileType(name) for name in allowed_file_types)
        return cls(max_bytes=max_upload_mb * MIB, allowed=allowed)

    @property
    def accept(self) -> str:
        """The allowed types as an HTML file input's ``accept`` list (extensions, then media
        types): ``.pdf,.jpg,.jpeg,application/pdf,image/jpeg``. A browser only offers these
        in its file picker; the server still decides each file's type by its content."""
        extensions = [ext for kind in self.allowed for ext in _EXTENSIONS.get(kind, (kind,))]
        return ",".join(["." + ext for ext in extensions] + [k.media_type for k in self.allowed])

    @property
    def camera_accept(self) -> str:
        """The allowed photo types as an ``accept`` list for a camera input (a phone opens its
        camera for ``capture`` with image types); "" when no image type is allowed."""
        return ",".join(k.media_type for k in self.allowed if k.media_type.startswith("image/"))

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
