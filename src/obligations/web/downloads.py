"""Content-Disposition with the original (Chinese) file name, RFC 5987 / RFC 6266."""

from __future__ import annotations

import re
from urllib.parse import quote

_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._ -]")


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """``filename*=UTF-8''...`` carries the real name; ``filename=`` is an ASCII fallback
    for old clients (non-ASCII characters and quotes replaced)."""
    fallback = _UNSAFE_ASCII.sub("_", filename).strip() or "download"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
