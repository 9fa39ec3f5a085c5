"""Errors raised while rendering a ledger. Messages are Simplified Chinese: a user reads them."""

from __future__ import annotations


class LedgerRenderError(Exception):
    """Base: the ledger could not be rendered; the message says why and what to do."""


class LedgerTemplateInvalid(LedgerRenderError):
    """A (college-supplied) Word template is missing, unreadable or has a broken placeholder."""


class PdfConverterMissing(LedgerRenderError):
    """LibreOffice, which turns the Word ledger into PDF, is not installed on the server."""


class PdfConversionFailed(LedgerRenderError):
    """LibreOffice ran but produced no PDF (error or timeout)."""
