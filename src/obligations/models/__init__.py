"""SQLAlchemy 2 typed models. Import every model module here so metadata is complete."""

from obligations.models.base import Base
from obligations.models.calendar import AcademicYear, Semester, Vacation
from obligations.models.evidence import AuditEntry, EvidenceFile, EvidenceRecord, ReviewState
from obligations.models.org import Organization, OrgKind, Person, Role, RoleAssignment
from obligations.models.tasks import GenerationStamp, Task

__all__ = [
    "AcademicYear",
    "AuditEntry",
    "Base",
    "EvidenceFile",
    "EvidenceRecord",
    "GenerationStamp",
    "OrgKind",
    "Organization",
    "Person",
    "ReviewState",
    "Role",
    "RoleAssignment",
    "Semester",
    "Task",
    "Vacation",
]
