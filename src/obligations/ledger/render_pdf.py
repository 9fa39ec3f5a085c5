"""Render a ledger as PDF: the Word ledger converted by LibreOffice (``soffice --headless``).

Each conversion runs in a temporary folder with its own LibreOffice user profile, so
concurrent conversions do not fight over one profile's lock, and with a fontconfig file that
maps the Windows Chinese faces the template names (宋体, 黑体, ...) to the Noto CJK fonts a
Linux server has (Debian: fonts-noto-cjk), serif for serif, sans for sans.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

from obligations.ledger.document import LedgerDocument
from obligations.ledger.errors import PdfConversionFailed, PdfConverterMissing
from obligations.ledger.render_docx import render_docx
from obligations.scratch import scratch_folder

DEFAULT_TIMEOUT = 120.0  # seconds; a first start of LibreOffice takes a few
CONVERTER_NAMES = ("soffice", "libreoffice")
_CALC_HINT = "（Excel 文件需安装 LibreOffice Calc，Debian/Ubuntu：libreoffice-calc-nogui）"

_SERIF_FACES = ("宋体", "SimSun", "新宋体", "NSimSun", "仿宋", "仿宋_GB2312", "FangSong", "楷体")
_SANS_FACES = ("黑体", "SimHei", "方正小标宋简体", "方正小标宋_GBK", "微软雅黑", "Microsoft YaHei")


def find_converter(path: str | None = None) -> str:
    """The LibreOffice executable on ``path`` (default: the process's PATH)."""
    for name in CONVERTER_NAMES:
        found = shutil.which(name, path=path)
        if found:
            return found
    raise PdfConverterMissing(
        "无法生成 PDF：服务器未安装 LibreOffice（找不到 soffice 或 libreoffice 命令）。"
        "请管理员安装 LibreOffice（Debian/Ubuntu：apt-get install libreoffice-writer-nogui "
        "libreoffice-calc-nogui fonts-noto-cjk），或先下载 Word 版台账再自行转换为 PDF。"
    )


def render_pdf(
    document: LedgerDocument,
    template: Path | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    scratch: Path | None = None,
) -> bytes:
    """The ledger as PDF bytes, converted from :func:`render_docx`'s output (working files in
    ``scratch``, see :func:`docx_to_pdf`)."""
    return docx_to_pdf(render_docx(document, template), timeout=timeout, scratch=scratch)


def docx_to_pdf(
    docx: bytes,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    path: str | None = None,
    scratch: Path | None = None,
) -> bytes:
    """Convert Word bytes to PDF bytes with LibreOffice; ``path`` overrides PATH for the lookup.

    The working folder goes in ``scratch`` (the data directory's ``tmp/``, swept of what a killed
    conversion leaves) or, without one, the system's temporary folder."""
    return office_to_pdf(docx, "docx", timeout=timeout, path=path, scratch=scratch)


def office_to_pdf(
    content: bytes,
    suffix: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    path: str | None = None,
    scratch: Path | None = None,
) -> bytes:
    """Convert an office file (``suffix`` ``docx`` or ``xlsx``, as bytes) to PDF bytes with
    LibreOffice, as :func:`docx_to_pdf` does; a workbook prints with its own page setup.
    Raises :class:`PdfConverterMissing` or :class:`PdfConversionFailed`."""
    converter = find_converter(path)
    with scratch_folder(scratch, prefix="pdf-") as work:
        source = work / f"ledger.{suffix}"
        source.write_bytes(content)
        command = [
            converter,
            f"-env:UserInstallation={(work / 'profile').resolve().as_uri()}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work / "out"),
            str(source),
        ]
        output = _run(command, _environment(work), timeout)
        result = work / "out" / "ledger.pdf"
        if not result.is_file():
            hint = _CALC_HINT if suffix == "xlsx" else ""
            raise PdfConversionFailed(f"LibreOffice 未能生成 PDF{hint}。输出信息：{output[-500:]}")
        return result.read_bytes()


def _run(command: list[str], env: dict[str, str], timeout: float) -> str:
    # A session of its own: on timeout the whole group (the launcher and soffice.bin) is ended.
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise PdfConversionFailed(
            f"LibreOffice 转换 PDF 超时（超过 {timeout:g} 秒），请稍后重试或联系管理员。"
        ) from exc
    text = out.decode("utf-8", errors="replace")
    if process.returncode != 0:
        raise PdfConversionFailed(
            f"LibreOffice 转换 PDF 失败（退出码 {process.returncode}）：{text[-500:]}"
        )
    return text


def _environment(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["HOME"] = str(work)  # LibreOffice writes caches under HOME; keep them in the temp dir
    fonts = work / "fonts.conf"
    fonts.write_text(_fontconfig(), encoding="utf-8")
    env["FONTCONFIG_FILE"] = str(fonts)
    return env


def _fontconfig() -> str:
    def alias(face: str, family: str) -> str:
        return (
            f'  <alias binding="same"><family>{face}</family>'
            f"<prefer><family>{family}</family></prefer></alias>\n"
        )

    aliases = "".join(alias(face, "Noto Serif CJK SC") for face in _SERIF_FACES)
    aliases += "".join(alias(face, "Noto Sans CJK SC") for face in _SANS_FACES)
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        f"{aliases}</fontconfig>\n"
    )
