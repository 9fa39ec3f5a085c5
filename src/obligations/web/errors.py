"""The HTTP status of each kind of service refusal, shared by the error pages and the pages
that answer a refusal themselves (the task page keeps a refused upload's form)."""

from __future__ import annotations

from obligations.accounts.access import Forbidden
from obligations.errors import DataDamaged, NotFound, OutOfSpace, ServiceError
from obligations.evidence.storage import FileTooLarge, FileTypeRefused


def status_for(exc: ServiceError) -> int:
    """404 not found, 403 forbidden, 413 too large, 415 type refused, 507 a full disk
    (Insufficient Storage, RFC 4918: the server's disk, not the file's size), 500 a damaged
    stored file, else 400."""
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, FileTooLarge):
        return 413
    if isinstance(exc, FileTypeRefused):
        return 415
    if isinstance(exc, OutOfSpace):
        return 507
    if isinstance(exc, DataDamaged):
        return 500
    return 400
