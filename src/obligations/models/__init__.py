"""SQLAlchemy 2 typed models. Import every model module here so metadata is complete."""

from obligations.models.accounts import (
    ApiToken,
    CalendarFeedToken,
    LoginThrottle,
    User,
    UserRole,
    WebSession,
)
from obligations.models.base import Base
from obligations.models.calendar import AcademicYear, Semester, Vacation
from obligations.models.evidence import AuditEntry, EvidenceFile, EvidenceRecord, ReviewState
from obligations.models.ledger import LedgerFigure, LedgerNote
from obligations.models.org import Organization, OrgKind, Person, Role, RoleAssignment
from obligations.models.tasks import GenerationStamp, Task

__all__ = [
    "AcademicYear",
    "ApiToken",
    "AuditEntry",
    "Base",
    "CalendarFeedToken",
    "EvidenceFile",
    "EvidenceRecord",
    "GenerationStamp",
    "LedgerFigure",
    "LedgerNote",
    "LoginThrottle",
    "OrgKind",
    "Organization",
    "Person",
    "ReviewState",
    "Role",
    "RoleAssignment",
    "Semester",
    "Task",
    "User",
    "UserRole",
    "Vacation",
    "WebSession",
]
