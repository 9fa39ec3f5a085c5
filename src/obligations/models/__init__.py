"""SQLAlchemy 2 typed models. Import every model module here so metadata is complete."""

from obligations.models.accounts import (
    ApiToken,
    CalendarFeedToken,
    LoginThrottle,
    User,
    WebSession,
)
from obligations.models.base import Base
from obligations.models.calendar import AcademicYear, Semester, Vacation
from obligations.models.evidence import AuditEntry, EvidenceFile, EvidenceRecord
from obligations.models.ledger import LedgerFigure, LedgerNote
from obligations.models.org import Organization, Person, PersonContact, RoleAssignment
from obligations.models.reminders import (
    ChannelHealth,
    ChannelPacing,
    DeliveryAttempt,
    OrganizationChannel,
    ReminderCursor,
    ReminderItem,
)
from obligations.models.tasks import GenerationStamp, Task

__all__ = [
    "AcademicYear",
    "ApiToken",
    "AuditEntry",
    "Base",
    "CalendarFeedToken",
    "ChannelHealth",
    "ChannelPacing",
    "DeliveryAttempt",
    "EvidenceFile",
    "EvidenceRecord",
    "GenerationStamp",
    "LedgerFigure",
    "LedgerNote",
    "LoginThrottle",
    "Organization",
    "OrganizationChannel",
    "Person",
    "PersonContact",
    "ReminderCursor",
    "ReminderItem",
    "RoleAssignment",
    "Semester",
    "Task",
    "User",
    "Vacation",
    "WebSession",
]
