"""Text from photos and scanned pages by OCR, when Tesseract and its Simplified Chinese data
are installed (Debian: ``tesseract-ocr`` and ``tesseract-ocr-chi-sim``).

The ``tesseract`` command is run as a child process on one image at a time, with a time
limit (:data:`SECONDS_PER_IMAGE`, at most :data:`MAX_IMAGES` images a file), on the image
made grey and shrunk to at most :data:`MAX_SIDE` pixels on its longer side, so a
50-megapixel photo costs no more than a small one. Tesseract writes Chinese with spaces
between the characters; they are removed.
"""

from __future__ import annotations

import functools
import io
import re
import shutil
import subprocess
from typing import TYPE_CHECKING

from obligations.errors import os_error_text

if TYPE_CHECKING:
    from PIL.Image import Image

LANGUAGE = "chi_sim"
MAX_SIDE = 1800  # pixels
MAX_IMAGES = 2  # images (photo, or scanned PDF pages) read per file
SECONDS_PER_IMAGE = 15.0  # so a file costs at most 30 s
NOT_INSTALLED = "未安装文字识别（OCR）组件（Tesseract 及其简体中文数据）"
_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
_SPACE_BY_CJK = re.compile(rf"(?<=[{_CJK}])[ \t]+|[ \t]+(?=[{_CJK}])")


@functools.cache
def available() -> bool:
    """Whether ``tesseract`` is on the PATH and has the ``chi_sim`` language data."""
    command = shutil.which("tesseract")
    if command is None:
        return False
    try:
        listed = subprocess.run(
            [command, "--list-langs"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return LANGUAGE in (listed.stdout + listed.stderr).split()


class OcrFailed(Exception):
    """OCR could not read an image (timed out, or Tesseract failed); the message is Chinese."""


def image_text(image: Image) -> str:
    """The text Tesseract reads in ``image``; raises :class:`OcrFailed` past
    :data:`SECONDS_PER_IMAGE` or when Tesseract fails."""
    from PIL import ImageOps

    grey = ImageOps.exif_transpose(image).convert("L")
    grey.thumbnail((MAX_SIDE, MAX_SIDE))
    buffer = io.BytesIO()
    grey.save(buffer, "PNG")
    try:
        done = subprocess.run(
            ["tesseract", "stdin", "stdout", "-l", LANGUAGE, "--psm", "3"],
            input=buffer.getvalue(), capture_output=True, timeout=SECONDS_PER_IMAGE, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        raise OcrFailed(f"文字识别（OCR）超过 {SECONDS_PER_IMAGE:.0f} 秒，已停止") from None
    except OSError as exc:
        raise OcrFailed(f"文字识别（OCR）无法运行（{os_error_text(exc)}）") from None
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["未知错误"]
        raise OcrFailed(f"文字识别（OCR）失败（{detail[0][:80]}）")
    return tidy(done.stdout.decode("utf-8", "replace"))


def tidy(text: str) -> str:
    """Tesseract's Chinese without the spaces it puts between characters, and without empty
    lines ("2026 年 3 月 12 日" -> "2026年3月12日")."""
    lines = (_SPACE_BY_CJK.sub("", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)
