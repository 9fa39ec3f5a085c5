"""The units, branches and role holders the planner reads, loaded from the database."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from obligations.models import Organization, RoleAssignment
from obligations.rules.planning import BranchSnapshot, Holding, UnitSnapshot
from obligations.vocabulary import OrgKind


def load_unit_snapshots(session: Session, *, default_start: date) -> list[UnitSnapshot]:
    """Every unit with its branches and committee role holders, in two queries."""
    orgs = list(session.scalars(select(Organization).order_by(Organization.code)))
    college_start = next(
        (o.active_from for o in orgs if o.kind is OrgKind.COLLEGE and o.active_from), None
    )
    start = college_start or default_start
    branches: dict[int, list[BranchSnapshot]] = {}
    for org in orgs:
        if org.kind is OrgKind.BRANCH and org.parent_id is not None:
            branches.setdefault(org.parent_id, []).append(
                BranchSnapshot(org.id, org.active_from, org.active_until)
            )
    units = [o for o in orgs if o.kind.is_unit]
    holdings: dict[int, list[Holding]] = {}
    assignments = session.scalars(
        select(RoleAssignment)
        .where(RoleAssignment.organization_id.in_([u.id for u in units]))
        .order_by(RoleAssignment.id)
    )
    for a in assignments:
        holdings.setdefault(a.organization_id, []).append(
            Holding(a.person_id, a.role, a.start_on, a.end_on)
        )
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
