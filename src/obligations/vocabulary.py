"""The shared vocabulary: kinds, roles and states that every feature speaks of.

Plain enums with their Chinese labels (the form's and the college's own words), importable by
pure code without SQLAlchemy. The database columns of :mod:`obligations.models` store their
values; the glossary in the README maps the English names to the Chinese terms.
"""

from __future__ import annotations

import enum

# org


class OrgKind(enum.StrEnum):
    COLLEGE = "college"  # 学校党委
    GENERAL_BRANCH = "general_branch"  # 党总支
    DIRECT_BRANCH = "direct_branch"  # 直属党支部
    BRANCH = "branch"  # 党支部

    @property
    def is_unit(self) -> bool:
        return self in (OrgKind.GENERAL_BRANCH, OrgKind.DIRECT_BRANCH)

    @property
    def label(self) -> str:
        return ORG_KIND_LABELS[self]


ORG_KIND_LABELS = {
    OrgKind.COLLEGE: "学校党委",
    OrgKind.GENERAL_BRANCH: "党总支",
    OrgKind.DIRECT_BRANCH: "直属党支部",
    OrgKind.BRANCH: "党支部",
}


class Role(enum.StrEnum):
    SECRETARY = "secretary"
    DEPUTY_SECRETARY = "deputy_secretary"
    COMMITTEE_MEMBER = "committee_member"
    DISCIPLINE_MEMBER = "discipline_member"
    ORGANIZER = "organizer"
    DEAN = "dean"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def on_committee(self) -> bool:
        """Whether holding this role makes one a member of the organization's committee."""
        return self in COMMITTEE_ROLES


ROLE_LABELS = {
    Role.SECRETARY: "书记",
    Role.DEPUTY_SECRETARY: "副书记",
    Role.COMMITTEE_MEMBER: "委员",
    Role.DISCIPLINE_MEMBER: "纪检委员",
    Role.ORGANIZER: "组织员",
    Role.DEAN: "院长",
}


COMMITTEE_ROLES = frozenset(
    {Role.SECRETARY, Role.DEPUTY_SECRETARY, Role.COMMITTEE_MEMBER, Role.DISCIPLINE_MEMBER}
)


# accounts


class UserRole(enum.StrEnum):
    ADMIN = "admin"  # 组织部：全部
    UNIT_MANAGER = "unit_manager"  # 党总支（直属党支部）书记或组织员：本单位及其支部
    BRANCH_SECRETARY = "branch_secretary"  # 党支部书记：本支部及本人的任务
    VIEWER = "viewer"  # 只读：某单位或全校

    @property
    def label(self) -> str:
        return USER_ROLE_LABELS[self]


USER_ROLE_LABELS = {
    UserRole.ADMIN: "管理员（组织部）",
    UserRole.UNIT_MANAGER: "单位管理员",
    UserRole.BRANCH_SECRETARY: "支部书记",
    UserRole.VIEWER: "只读用户",
}


# evidence


class EvidenceKind(enum.StrEnum):
    MINUTES = "minutes"  # 会议记录
    SIGN_IN = "sign_in"  # 签到表
    PHOTOS = "photos"  # 照片
    DOCUMENT = "document"  # 通知或文件
    OTHER = "other"  # 其他

    @property
    def label(self) -> str:
        return EVIDENCE_KIND_LABELS[self]


EVIDENCE_KIND_LABELS = {
    EvidenceKind.MINUTES: "会议记录",
    EvidenceKind.SIGN_IN: "签到表",
    EvidenceKind.PHOTOS: "照片",
    EvidenceKind.DOCUMENT: "通知或文件",
    EvidenceKind.OTHER: "其他",
}


class ReviewState(enum.StrEnum):
    NOT_REQUIRED = "not_required"  # review is off for this deployment
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return REVIEW_LABELS[self]


REVIEW_LABELS = {
    ReviewState.NOT_REQUIRED: "无需审核",
    ReviewState.PENDING: "待审核",
    ReviewState.ACCEPTED: "已通过",
    ReviewState.REJECTED: "已退回",
}


# reminders

ADMINS = "admins"  # the recipient key of the organization department (administrators)


class ItemState(enum.StrEnum):
    PENDING = "pending"  # waiting for its moment (or for a broken channel to be repaired)
    CLAIMED = "claimed"  # a sender holds it until ``lease_until``
    SENT = "sent"
    FAILED = "failed"  # can never be sent as planned (no channel reaches anyone); see last_error
    CANCELLED = "cancelled"  # the task was settled (done, waived, retired) before sending

    @property
    def label(self) -> str:
        return ITEM_STATE_LABELS[self]


ITEM_STATE_LABELS = {
    ItemState.PENDING: "待发送",
    ItemState.CLAIMED: "发送中",
    ItemState.SENT: "已发送",
    ItemState.FAILED: "无法发送",
    ItemState.CANCELLED: "已取消",
}


class AttemptResult(enum.StrEnum):
    SENDING = "sending"  # written before the send: left so, the sender died mid-send
    SENT = "sent"
    TRANSIENT = "transient"  # will be retried
    PERMANENT = "permanent"  # the channel was marked broken

    @property
    def label(self) -> str:
        return ATTEMPT_LABELS[self]


ATTEMPT_LABELS = {
    AttemptResult.SENDING: "发送中断（结果未知）",
    AttemptResult.SENT: "已发送",
    AttemptResult.TRANSIENT: "暂时失败，稍后重试",
    AttemptResult.PERMANENT: "失败，渠道转为故障",
}


# rules


class Scope(enum.StrEnum):
    """Whom a calendar rule's tasks are owed by (规则的范围)."""

    UNIT = "unit"  # the unit (党总支 / 直属党支部) itself
    BRANCH = "branch"  # each branch of the unit (a 直属党支部 without branches acts as its own)
    PERSON = "person"  # each person holding one of ``roles`` in the unit

    @property
    def label(self) -> str:
        return SCOPE_LABELS[self]


SCOPE_LABELS = {
    Scope.UNIT: "单位（党总支、直属党支部）",
    Scope.BRANCH: "各党支部",
    Scope.PERSON: "个人",
}


class PeriodKind(enum.StrEnum):
    """How often a calendar rule's tasks recur (规则的周期)."""

    MONTH = "month"
    QUARTER = "quarter"
    HALF_YEAR = "half_year"
    YEAR = "year"
    MONTHS = "months"  # the months listed in ``months``, each its own period
    SEMESTER = "semester"  # from the academic calendar
    ACADEMIC_YEAR = "academic_year"  # from the academic calendar
    TERM = "term"  # the unit's committee term, from its term start and length

    @property
    def label(self) -> str:
        return PERIOD_KIND_LABELS[self]


PERIOD_KIND_LABELS = {
    PeriodKind.MONTH: "每月",
    PeriodKind.QUARTER: "每季度",
    PeriodKind.HALF_YEAR: "每半年",
    PeriodKind.YEAR: "每年",
    PeriodKind.MONTHS: "指定月份",
    PeriodKind.SEMESTER: "每学期",
    PeriodKind.ACADEMIC_YEAR: "每学年",
    PeriodKind.TERM: "每届",
}

# audit log: what an entry is about (``AuditEntry.entity``)

AUDIT_ENTITY_LABELS = {
    "evidence": "佐证材料",
    "task": "任务",
    "tasks": "任务",
    "ledger_note": "台账说明与措施",
    "ledger_figure": "台账数据",
}

# tasks


class TallyOutcome(enum.StrEnum):
    """What a task's state is apart from the day: "open" tasks are upcoming, open, due soon
    or overdue depending on the day; the others are settled (as ``TaskStatus`` decides them)."""

    OPEN = "open"
    DONE = "done"
    DONE_LATE = "done_late"
    WAIVED = "waived"
    RETIRED = "retired"


# evidence files


class FileType(enum.StrEnum):
    """File types evidence may have; the value is the canonical extension."""

    PDF = "pdf"
    DOCX = "docx"
    XLSX = "xlsx"
    DOC = "doc"
    XLS = "xls"
    JPG = "jpg"
    PNG = "png"
    HEIC = "heic"
    MP4 = "mp4"
    ZIP = "zip"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]


_MEDIA_TYPES = {
    FileType.PDF: "application/pdf",
    FileType.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileType.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileType.DOC: "application/msword",
    FileType.XLS: "application/vnd.ms-excel",
    FileType.JPG: "image/jpeg",
    FileType.PNG: "image/png",
    FileType.HEIC: "image/heic",
    FileType.MP4: "video/mp4",
    FileType.ZIP: "application/zip",
}
