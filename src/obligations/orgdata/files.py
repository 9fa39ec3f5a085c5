"""Read an import file by its kind: YAML, CSV or an .xlsx workbook, into one :class:`Batch`."""

from __future__ import annotations

from pathlib import Path

from obligations.errors import os_error_text
from obligations.orgdata.fields import Batch, refused
from obligations.orgdata.parse import XLSX_SUFFIX, YAML_SUFFIXES, parse_csv, parse_yaml
from obligations.yamlsource import FileTooLarge, YamlSyntaxError, load_yaml, read_text_bounded

MAX_CSV_BYTES = 32 * 1024 * 1024  # a college of 20,000 people is about 2 MB


def read_file(path: Path) -> Batch:
    """Parse ``path`` by its suffix; problems (even an unreadable file) land in the batch."""
    suffix = path.suffix.lower()
    try:
        if suffix in YAML_SUFFIXES:
            return parse_yaml(load_yaml(path))
        if suffix == ".csv":
            return parse_csv(str(path), read_text_bounded(path, MAX_CSV_BYTES, "utf-8-sig"))
        if suffix == XLSX_SUFFIX:
            # Imported here: openpyxl is slow to load and only workbooks need it.
            from obligations.orgdata.xlsx import parse_xlsx

            if not path.is_file():  # a folder or a device named .xlsx
                raise OSError(f"{path} 不存在或不是普通文件")
            return parse_xlsx(path)
    except YamlSyntaxError as exc:
        return refused(path, exc.message, exc.line)
    except FileTooLarge as exc:
        return refused(path, str(exc))
    except UnicodeDecodeError:
        return refused(path, "文件不是 UTF-8 编码；在 Excel 中请另存为“CSV UTF-8（逗号分隔）”")
    except OSError as exc:
        return refused(path, f"无法读取文件：{os_error_text(exc)}")
    kind = suffix or "（无扩展名）"
    hint = "；旧版 Excel 文件请另存为 .xlsx" if suffix in (".xls", ".et") else ""
    message = f"不支持的文件类型 {kind}，可导入 .yaml、.yml、.csv 或 .xlsx 文件{hint}"
    return refused(path, message)
