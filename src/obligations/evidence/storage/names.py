"""The original file name, kept as metadata only: it never becomes a path.

Chinese and other scripts are kept as typed (werkzeug's ``secure_filename`` would drop them);
what is refused is what could mislead a reader or a later tool that does treat it as a path.
"""

from __future__ import annotations

import unicodedata

from obligations.evidence.storage.errors import BadFileName
from obligations.textcheck import hidden_character

# File systems limit a name to 255 bytes, not characters: a Chinese character takes 3 bytes in
# UTF-8 and an emoji 4. A longer name could be stored but not extracted from an export.
MAX_NAME_BYTES = 255


def clean_filename(name: str) -> str:
    """The name in NFC with surrounding spaces removed, or ``BadFileName`` saying why not."""
    cleaned = unicodedata.normalize("NFC", name).strip()
    if not cleaned:
        raise BadFileName("文件名为空，请提供带扩展名的文件名")
    if "\x00" in cleaned:
        raise BadFileName("文件名含有空字符（NUL），请重命名后再上传")
    if hidden_character(cleaned):
        raise BadFileName(
            "文件名含有不可见的控制或格式字符（如换行、制表符、零宽字符或文字方向控制符），请重命名后再上传"
        )
    if "/" in cleaned or "\\" in cleaned:
        raise BadFileName(f"文件名“{cleaned}”含有路径分隔符“/”或“\\”，只能是单纯的文件名")
    if cleaned in (".", ".."):
        raise BadFileName(f"文件名不能是“{cleaned}”")
    size = len(cleaned.encode("utf-8"))
    if size > MAX_NAME_BYTES:
        raise BadFileName(
            f"文件名过长（{len(cleaned)} 个字符，占 {size} 字节），最多 {MAX_NAME_BYTES} 字节"
            f"（约 {MAX_NAME_BYTES // 3} 个汉字；一个汉字占 3 字节，表情符号占 4 字节），"
            "请缩短后再上传"
        )
    return cleaned
