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
from obligations.models.reminders import (
    AttemptResult,
    ChannelHealth,
    DeliveryAttempt,
    ItemState,
    OrganizationChannel,
    ReminderCursor,
    ReminderItem,
)
from obligations.models.tasks import GenerationStamp, Task

__all__ = [
    "AcademicYear",
    "ApiToken",
    "AttemptResult",
    "AuditEntry",
    "Base",
    "CalendarFeedToken",
    "ChannelHealth",
    "DeliveryAttempt",
    "EvidenceFile",
    "EvidenceRecord",
    "GenerationStamp",
    "ItemState",
    "LedgerFigure",
    "LedgerNote",
    "LoginThrottle",
    "OrgKind",
    "Organization",
    "OrganizationChannel",
    "Person",
    "ReminderCursor",
    "ReminderItem",
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
