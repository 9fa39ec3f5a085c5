"""Administration pages (organization department only): organizations and people, the rule
catalog with its validation result, the academic calendar, the audit log."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from obligations.accounts import access
from obligations.audit import list_audit
from obligations.models import AcademicYear, Organization, Person, RoleAssignment
from obligations.rules.calendars import load_academic_calendar
from obligations.rules.check import check_catalog
from obligations.vocabulary import OrgKind
from obligations.web.auth import PageUser
from obligations.web.state import state_of
from obligations.web.templating import page

router = APIRouter(include_in_schema=False)
AUDIT_ROWS = 200
AUDIT_DAYS = 90


@router.get("/admin")
def organizations(request: Request, auth: PageUser) -> Response:
    access.require_admin(auth.principal)
    with state_of(request).sessions() as db:
        units = list(
            db.scalars(
                select(Organization)
                .where(Organization.kind.in_([OrgKind.GENERAL_BRANCH, OrgKind.DIRECT_BRANCH]))
                .options(selectinload(Organization.children))
                .order_by(Organization.code)
            )
        )
        roles: dict[int, list[RoleAssignment]] = defaultdict(list)
        for assignment in db.scalars(
            select(RoleAssignment).options(selectinload(RoleAssignment.organization))
        ):
            roles[assignment.person_id].append(assignment)
        people = [(p, roles[p.id]) for p in db.scalars(select(Person).order_by(Person.code))]
        return page(request, "admin.html", auth, tab="orgs", units=units, people=people)


@router.get("/admin/rules")
def rules(request: Request, auth: PageUser) -> Response:
    access.require_admin(auth.principal)
    web = state_of(request)
    today = web.today()
    with web.sessions() as db:
        calendar = load_academic_calendar(db)
    catalog, problems = check_catalog(
        web.settings.rules_dirs,
        calendar=calendar,
        start=today.replace(month=1, day=1),
        through=today.replace(month=12, day=31),
        local_dir=web.settings.local_rules_dir,
    )
    shown = [located.rule for located in catalog.rules] if catalog else []
    return page(request, "admin.html", auth, tab="rules", rules=shown, problems=problems)


@router.get("/admin/calendar")
def calendar(request: Request, auth: PageUser) -> Response:
    access.require_admin(auth.principal)
    with state_of(request).sessions() as db:
        years = list(
            db.scalars(
                select(AcademicYear)
                .options(selectinload(AcademicYear.semesters), selectinload(AcademicYear.vacations))
                .order_by(AcademicYear.start_on)
            )
        )
        return page(request, "admin.html", auth, tab="calendar", years=years)


@router.get("/admin/audit")
def audit(request: Request, auth: PageUser) -> Response:
    access.require_admin(auth.principal)
    with state_of(request).sessions() as db:
        since = state_of(request).now() - timedelta(days=AUDIT_DAYS)
        entries = list_audit(db, since=since)[-AUDIT_ROWS:][::-1]
    return page(request, "admin.html", auth, tab="audit", entries=entries)
