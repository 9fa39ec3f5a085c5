"""Path components that every file system can hold: at most 255 bytes of UTF-8.

Linux file systems (ext4, XFS, btrfs) and ``unzip`` or Python's ``zipfile``/``tarfile``
extracting on them refuse a path component over 255 bytes (``NAME_MAX``, "File name too
long"), whatever its number of characters: a Chinese character takes 3 bytes in UTF-8 and an
emoji 4, so 86 Chinese characters are already too many. Every archive the project writes
(export, evidence bundle, backup) shortens its names with these functions, keeping the
extension so the file still opens with the right program.
"""

from __future__ import annotations

MAX_COMPONENT_BYTES = 255
MAX_EXTENSION_CHARS = 16


def utf8_length(text: str) -> int:
    """The length of ``text`` in bytes of UTF-8, as file systems count a name."""
    return len(text.encode("utf-8"))


def cut_to_bytes(text: str, max_bytes: int) -> str:
    """The longest start of ``text`` within ``max_bytes`` of UTF-8, never splitting a character
    (and not ending in a joiner or variation selector left over from a cut emoji)."""
    if max_bytes <= 0:
        return ""
    cut = text.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")
    return cut if cut == text else cut.rstrip("\u200d\ufe0e\ufe0f")


def split_extension(name: str) -> tuple[str, str]:
    """("报告", ".pdf") for "报告.pdf"; ("说明", "") for a name without a short extension."""
    stem, dot, extension = name.rpartition(".")
    if dot and stem and 0 < len(extension) < MAX_EXTENSION_CHARS and " " not in extension:
        return stem, dot + extension
    return name, ""


def fit_text(text: str, max_bytes: int = MAX_COMPONENT_BYTES) -> str:
    """A folder name within ``max_bytes``: cut at the end, trailing spaces and dots removed
    (Windows drops them)."""
    return cut_to_bytes(text, max_bytes).rstrip(" .") or "_"


def fit_file_name(name: str, max_bytes: int = MAX_COMPONENT_BYTES, *, marker: str = "") -> str:
    """A file name within ``max_bytes``, shortened in its stem so the extension is kept;
    ``marker`` (such as "（2）", to tell apart names that would clash) goes between stem and
    extension and is kept too."""
    stem, extension = split_extension(name)
    room = max_bytes - utf8_length(marker) - utf8_length(extension)
    return fit_text(stem, room) + marker + extension
