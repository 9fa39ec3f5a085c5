"""Render a ledger as Word (.docx) by filling the docxtpl template.

The shipped template is ``calendar_rules/ledger-template.docx`` (built by
:mod:`obligations.ledger.make_template`); a college's data directory may carry its own restyled
copy under the same name (:func:`template_in_force`). Whatever the template, the filled table
gets the form's print layout (:mod:`obligations.ledger.docx_layout`): no justified text in a
narrow column, no row split across pages unless it is longer than a page.
"""

from __future__ import annotations

import io
import re
import threading
import zipfile
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from docx.opc.exceptions import PackageNotFoundError
from docxtpl import DocxTemplate  # type: ignore[import-untyped, unused-ignore]  # no hints
from jinja2 import Environment, StrictUndefined, Template, TemplateError

from obligations.ledger.document import LedgerDocument
from obligations.ledger.docx_layout import Styles, settle_layout
from obligations.ledger.errors import LedgerTemplateInvalid
from obligations.ledger.make_template import TEMPLATE_NAME
from obligations.paths import shipped_dir


def default_template() -> Path:
    return shipped_dir("calendar_rules") / TEMPLATE_NAME


def template_in_force(dirs: Sequence[Path]) -> Path:
    """The last of ``dirs`` holding ``ledger-template.docx`` wins, as catalog files do."""
    for folder in reversed(dirs):
        candidate = folder / TEMPLATE_NAME
        if candidate.is_file():
            return candidate
    return default_template()


def template_context(document: LedgerDocument) -> dict[str, Any]:
    """The names the Word template may use; plain values so a template needs no Python."""
    school, unit, filled = document.header_values
    return {
        "attachment": document.attachment,
        "title": document.title,
        "period_label": document.period_label,
        "school_label": school[0],
        "school_name": _line(school[1]),
        "unit_label": unit[0],
        "unit_name": _line(unit[1]),
        "date_label": filled[0],
        "filled_on": filled[1],
        "columns": list(document.columns),
        # Not "items": in Jinja2 ``section.items`` would resolve to ``dict.items``.
        "sections": [
            {
                "section_id": section.section_id,
                "section_name": section.section_name,
                "rows": [
                    {
                        "item_id": row.item_id,
                        "item_name": row.item_name,
                        "standard_text": row.standard_text,
                        "implementation": _paragraphs(row.implementation),
                        "verdict": row.verdict.value,
                        "gaps": _paragraphs(row.gaps),
                    }
                    for row in section.rows
                ],
            }
            for section in document.sections
        ],
    }


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _line(text: str) -> str:
    """One line: no control characters (XML forbids most; docxtpl reads \\a \\f \\t as layout)."""
    return _CONTROL.sub("", " ".join(text.splitlines()).replace("\t", " "))


def _paragraphs(text: str) -> str:
    """Each line of reported text its own paragraph (docxtpl's \\a), so justification holds."""
    lines = [_CONTROL.sub("", line).replace("\t", " ") for line in text.strip().splitlines()]
    return "\a".join(lines)


class _CompilingOnceEnvironment(Environment):
    """docxtpl hands the template's XML to ``from_string`` on every render, and compiling it
    is a third of a ledger's rendering time; the XML of one template file is the same text
    every time, so its compiled form is kept (a few entries: one per template part)."""

    def __init__(self) -> None:
        # Strict: a misspelt placeholder in a college's template is an error, not a blank cell.
        super().__init__(undefined=StrictUndefined, autoescape=True)
        self._compiled: OrderedDict[str, Template] = OrderedDict()

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Any:
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        with _COMPILING:
            compiled = self._compiled.get(source)
            if compiled is None:
                compiled = super().from_string(source)
                self._compiled[source] = compiled
                while len(self._compiled) > 16:
                    self._compiled.popitem(last=False)
            return compiled


_COMPILING = threading.Lock()
_ENVIRONMENT = _CompilingOnceEnvironment()


def _environment() -> Environment:
    return _ENVIRONMENT


_PARAGRAPH = re.compile(r"<w:p(?: [^>]*)?>.*?</w:p>", re.DOTALL)  # docxtpl's own pattern
_LISTING = re.compile("[\t\a\n\f]")


class _LedgerTemplate(DocxTemplate):  # type: ignore[misc, unused-ignore]  # docxtpl: no hints
    """docxtpl's template with two of its steps made cheaper, their output unchanged:

    - ``patch_xml`` (a dozen regular expressions over the template's XML, the same text on
      every rendering of one template file, using no state) is kept per XML text;
    - ``resolve_listing`` (three nested regular expressions over every paragraph, turning
      \\a \\t \\n \\f into paragraphs, tabs and breaks) is run only on the paragraphs holding
      one of those characters: on the others it returns what it was given.
    """

    def patch_xml(self, src_xml: str) -> str:
        with _PATCHING:
            patched = _PATCHED.get(src_xml)
        if patched is None:
            patched = str(super().patch_xml(src_xml))
            with _PATCHING:
                _PATCHED[src_xml] = patched
                while len(_PATCHED) > 16:
                    _PATCHED.popitem(last=False)
        return patched

    def resolve_listing(self, xml: str) -> str:
        resolve = super().resolve_listing
        return _PARAGRAPH.sub(lambda m: resolve(m[0]) if _LISTING.search(m[0]) else m[0], xml)


_PATCHING = threading.Lock()
_PATCHED: OrderedDict[str, str] = OrderedDict()


def render_docx(document: LedgerDocument, template: Path | None = None) -> bytes:
    """The filled ledger as .docx bytes; ``template`` defaults to the shipped one."""
    path = template or default_template()
    if not path.is_file():
        raise LedgerTemplateInvalid(f"台账模板文件不存在：{path}")
    try:
        word = _LedgerTemplate(path)
        # autoescape: &, < and > in reported text must not break the document's XML.
        word.render(template_context(document), jinja_env=_environment(), autoescape=True)
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError) as exc:
        raise LedgerTemplateInvalid(f"台账模板不是有效的 Word（.docx）文件：{path}") from exc
    except TemplateError as exc:
        raise LedgerTemplateInvalid(
            f"台账模板中的占位符有误：{path}（{exc.message or exc}）。"
            "请检查 {{ }}、{% %} 是否成对，名称是否拼写正确。"
        ) from exc
    settle_layout(word.docx.element.body, Styles(word.docx.styles.element))
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()
