"""The units, branches and role holders the planner reads, loaded from the database."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from obligations.models import Organization, RoleAssignment
from obligations.rules.planning import BranchSnapshot, Holding, UnitSnapshot
from obligations.vocabulary import OrgKind


def load_unit_snapshots(session: Session, *, default_start: date) -> list[UnitSnapshot]:
    """Every unit with its branches and the role holders of both, in two queries (of
    columns: no ORM object is loaded, so none stays in the session)."""
    orgs = session.execute(
        select(
            Organization.id,
            Organization.code,
            Organization.kind,
            Organization.parent_id,
            Organization.active_from,
            Organization.active_until,
            Organization.term_start,
            Organization.term_years,
        ).order_by(Organization.code)
    ).all()
    college_start = next(
        (o.active_from for o in orgs if o.kind is OrgKind.COLLEGE and o.active_from), None
    )
    start = college_start or default_start
    units = [o for o in orgs if o.kind.is_unit]
    holdings: dict[int, list[Holding]] = {}
    assignments = select(
        RoleAssignment.organization_id,
        RoleAssignment.person_id,
        RoleAssignment.role,
        RoleAssignment.start_on,
        RoleAssignment.end_on,
    ).order_by(RoleAssignment.id)
    for organization_id, person_id, role, start_on, end_on in session.execute(assignments):
        holdings.setdefault(organization_id, []).append(Holding(person_id, role, start_on, end_on))
    branches: dict[int, list[BranchSnapshot]] = {}
    for org in orgs:
        if org.kind is OrgKind.BRANCH and org.parent_id is not None:
            held = tuple(holdings.get(org.id, ()))
            branch = BranchSnapshot(org.id, org.active_from, org.active_until, held)
            branches.setdefault(org.parent_id, []).append(branch)
    return [
        UnitSnapshot(
            id=u.id,
            code=u.code,
            kind=u.kind,
            active_from=u.active_from or start,
            active_until=u.active_until,
            term_start=u.term_start,
            term_years=u.term_years,
            branches=tuple(branches.get(u.id, ())),
            holdings=tuple(holdings.get(u.id, ())),
        )
        for u in units
    ]
