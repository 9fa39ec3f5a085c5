"""Who may see and do what. Every web page and API route asks these functions.

Scopes: an administrator (the organization department) sees everything; a unit manager and a
unit viewer see one unit (党总支 or 直属党支部) with its branches; a branch secretary sees the
tasks of their branch and their own tasks; a college viewer sees everything read-only.

Objects outside one's scope are reported as not found (never "forbidden"), so ids cannot be
probed; an action on a visible object that the role may not take is ``Forbidden``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import Session

from obligations.errors import NotFound, ServiceError
from obligations.models import EvidenceRecord, Organization, RoleAssignment, Task
from obligations.vocabulary import OrgKind, UserRole


class Forbidden(ServiceError):
    """A visible object, an action the role may not take."""


@dataclass(frozen=True)
class Principal:
    """The signed-in user as the access checks see them."""

    user_id: int
    username: str
    display_name: str
    role: UserRole
    unit_id: int | None  # the unit a unit manager / unit viewer / branch secretary belongs to
    branch_id: int | None  # the branch of a branch secretary
    person_id: int | None
    local_operator: bool = False  # the command line's operator (see ``operator``)

    @property
    def actor(self) -> str:
        """How the audit log names this user: ``web:NAME``, or the operator's own name."""
        return self.username if self.local_operator else f"web:{self.username}"

    @property
    def is_admin(self) -> bool:
        return self.role is UserRole.ADMIN

    @property
    def college_wide(self) -> bool:
        """Sees every unit (an administrator or a college viewer)."""
        return self.unit_id is None and self.role in (UserRole.ADMIN, UserRole.VIEWER)

    @property
    def sees_whole_unit(self) -> bool:
        return self.role in (UserRole.UNIT_MANAGER, UserRole.VIEWER) and self.unit_id is not None


def operator(name: str) -> Principal:
    """The trusted local operator of the command line, with an administrator's rights (whoever
    can run the CLI on the server can read the database anyway), named ``name`` in the audit
    log (``OBLIGATIONS_USER`` or the login name). The services check it like anyone else."""
    return Principal(
        user_id=0,
        username=name,
        display_name=name,
        role=UserRole.ADMIN,
        unit_id=None,
        branch_id=None,
        person_id=None,
        local_operator=True,
    )


def visible_unit_ids(principal: Principal) -> set[int] | None:
    """The units whose pages one may open; ``None`` for all of them."""
    if principal.college_wide:
        return None
    if principal.sees_whole_unit and principal.unit_id is not None:
        return {principal.unit_id}
    return set()  # a branch secretary sees tasks, not whole units


def visible_units(session: Session, principal: Principal) -> list[Organization]:
    query = select(Organization).where(
        Organization.kind.in_([OrgKind.GENERAL_BRANCH, OrgKind.DIRECT_BRANCH])
    )
    ids = visible_unit_ids(principal)
    if ids is not None:
        query = query.where(Organization.id.in_(ids))
    return list(session.scalars(query.order_by(Organization.code)))


def task_clause(principal: Principal) -> ColumnElement[bool]:
    """A WHERE clause selecting the tasks ``principal`` may see (for list queries)."""
    if principal.college_wide:
        return true()
    if principal.sees_whole_unit:
        return Task.unit_id == principal.unit_id
    if principal.role is UserRole.BRANCH_SECRETARY:
        mine = [Task.organization_id == principal.branch_id]
        if principal.person_id is not None:
            mine.append(Task.person_id == principal.person_id)
        return or_(*mine)
    return false()


def my_task_clause(session: Session, principal: Principal, today: date) -> ColumnElement[bool]:
    """What the signed-in person owes: their own tasks and those of the organizations where
    they hold a role today, among the tasks they may see."""
    if principal.person_id is None:
        return false()
    orgs = _held_organizations(session, principal.person_id, today)
    mine = or_(Task.person_id == principal.person_id, Task.organization_id.in_(orgs))
    return and_(mine, task_clause(principal))


def my_task_lanes(session: Session, principal: Principal, today: date) -> list[ColumnElement[bool]]:
    """:func:`my_task_clause` split by whom the task is owed by: one clause for the person's
    own tasks and one per organization where they hold a role today (their union is
    :func:`my_task_clause`; none without a person). Each is answered by an index on the
    owner and the due date, where the union would walk every due date of the college."""
    if principal.person_id is None:
        return []
    owners = [Task.person_id == principal.person_id] + [
        Task.organization_id == org
        for org in _held_organizations(session, principal.person_id, today)
    ]
    return [and_(owner, task_clause(principal)) for owner in owners]


def _held_organizations(session: Session, person_id: int, today: date) -> list[int]:
    held = select(RoleAssignment.organization_id).where(
        RoleAssignment.person_id == person_id,
        RoleAssignment.start_on <= today,
        or_(RoleAssignment.end_on.is_(None), RoleAssignment.end_on >= today),
    )
    return sorted(set(session.scalars(held)))


def can_see_task(principal: Principal, task: Task) -> bool:
    if principal.college_wide:
        return True
    if principal.sees_whole_unit:
        return task.unit_id == principal.unit_id
    if principal.role is UserRole.BRANCH_SECRETARY:
        own = principal.person_id is not None and task.person_id == principal.person_id
        return own or task.organization_id == principal.branch_id
    return False


def can_see_unit(principal: Principal, unit_id: int) -> bool:
    ids = visible_unit_ids(principal)
    return ids is None or unit_id in ids


def can_see_record(session: Session, principal: Principal, record: EvidenceRecord) -> bool:
    if record.task_id is not None:
        task = session.get(Task, record.task_id)
        return task is not None and can_see_task(principal, task)
    return can_see_unit(principal, record.unit_id)  # standing evidence belongs to the unit


def can_add_evidence(principal: Principal, task: Task) -> bool:
    """Viewers only read; everyone else records evidence for the tasks they see."""
    return principal.role is not UserRole.VIEWER and can_see_task(principal, task)


def can_waive(principal: Principal, task: Task) -> bool:
    """Waiving is the unit's decision (or the organization department's)."""
    if principal.is_admin:
        return True
    return principal.role is UserRole.UNIT_MANAGER and task.unit_id == principal.unit_id


def can_edit_ledger(principal: Principal, unit_id: int) -> bool:
    """A unit's ledger notes are written by its managers (or the organization department)."""
    if principal.is_admin:
        return True
    return principal.role is UserRole.UNIT_MANAGER and unit_id == principal.unit_id


def can_add_standing(principal: Principal, unit_id: int) -> bool:
    """Standing evidence belongs to the unit's ledger: filed by those who write it."""
    return can_edit_ledger(principal, unit_id)


def reviews_any(principal: Principal) -> bool:
    """Whether ``principal`` reviews evidence at all (and has a review inbox): the
    organization department, and each unit's managers."""
    if principal.is_admin:
        return True
    return principal.role is UserRole.UNIT_MANAGER and principal.unit_id is not None


def can_review(principal: Principal, unit_id: int) -> bool:
    """The organization department reviews every unit's evidence, a unit manager their own
    unit's (branch secretaries and viewers review none)."""
    if principal.is_admin:
        return True
    return reviews_any(principal) and unit_id == principal.unit_id


def review_clause(principal: Principal) -> ColumnElement[bool]:
    """A WHERE clause selecting the evidence records ``principal`` may review (for lists and
    counts: the review inbox)."""
    if principal.is_admin:
        return true()
    if reviews_any(principal):
        return EvidenceRecord.unit_id == principal.unit_id
    return false()


def can_create_api_tokens(principal: Principal) -> bool:
    """Who makes their own JSON API tokens on the account page: everyone but branch
    secretaries, who work in the pages (mostly on a phone) and connect no other system. An
    administrator can still issue one a token (``obligations user token``)."""
    return principal.role is not UserRole.BRANCH_SECRETARY


def can_withdraw(principal: Principal, record: EvidenceRecord, task: Task | None) -> bool:
    if principal.is_admin:
        return True
    if principal.role is UserRole.UNIT_MANAGER:
        return record.unit_id == principal.unit_id
    if principal.role is UserRole.BRANCH_SECRETARY:
        return task is not None and can_see_task(principal, task)
    return False


# Lookups that raise: routes call these and never touch an object they did not pass.


def require_task(session: Session, principal: Principal, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None or not can_see_task(principal, task):
        raise NotFound(f"没有编号为 {task_id} 的任务")
    return task


def require_record(session: Session, principal: Principal, record_id: int) -> EvidenceRecord:
    record = session.get(EvidenceRecord, record_id)
    if record is None or not can_see_record(session, principal, record):
        raise NotFound(f"没有编号为 {record_id} 的佐证材料")
    return record


def require_unit(session: Session, principal: Principal, unit_code: str) -> Organization:
    unit = session.scalar(select(Organization).where(Organization.code == unit_code))
    if unit is None or not unit.kind.is_unit or not can_see_unit(principal, unit.id):
        raise NotFound(f"没有编号为 {unit_code} 的单位")
    return unit


def require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("此页面仅限组织部管理员")


def require_can_add_evidence(principal: Principal, task: Task) -> None:
    if not can_add_evidence(principal, task):
        raise Forbidden("只读用户不能登记佐证材料")


def require_can_waive(principal: Principal, task: Task) -> None:
    if not can_waive(principal, task):
        raise Forbidden("只有本单位管理员或组织部可以豁免任务")


def require_can_edit_ledger(principal: Principal, unit: Organization) -> None:
    if not can_edit_ledger(principal, unit.id):
        raise Forbidden("只有本单位管理员或组织部可以填写台账说明")


def require_can_add_standing(principal: Principal, unit: Organization) -> None:
    if not can_add_standing(principal, unit.id):
        raise Forbidden("只有本单位管理员或组织部可以登记常备材料")


def require_reviews_any(principal: Principal) -> None:
    if not reviews_any(principal):
        raise Forbidden("只有组织部和单位管理员可以审核佐证材料")


def require_can_review(principal: Principal, record: EvidenceRecord) -> None:
    if not can_review(principal, record.unit_id):
        raise Forbidden("只有组织部或本单位管理员可以审核这份佐证材料")


def require_can_create_api_tokens(principal: Principal) -> None:
    if not can_create_api_tokens(principal):
        raise Forbidden(
            "支部书记账户不能自行创建 API 令牌；如确需使用 JSON API，请联系组织部管理员"
        )


def require_can_withdraw(session: Session, principal: Principal, record: EvidenceRecord) -> None:
    task = session.get(Task, record.task_id) if record.task_id is not None else None
    if not can_withdraw(principal, record, task):
        raise Forbidden("无权撤回这份佐证材料")
