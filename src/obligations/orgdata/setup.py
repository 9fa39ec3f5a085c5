"""Preparing a data directory and loading the demo college."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from obligations.accounts.users import NewUser, add_user
from obligations.models import Organization, Person, RoleAssignment, User
from obligations.orgdata.service import ImportReport, import_path
from obligations.paths import demo_dir
from obligations.rules.catalog import Catalog
from obligations.schema import upgrade
from obligations.settings import Settings
from obligations.tasks.generation import GenerationReport, generate_tasks
from obligations.timeutil import local_date
from obligations.vocabulary import Role, UserRole


def prepare(settings: Settings, engine: Engine) -> None:
    """Create the data directory and bring the schema to the newest revision."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.evidence_dir.mkdir(exist_ok=True)
    upgrade(engine)


def default_through(today: date, settings: Settings) -> date:
    """How far ahead tasks are generated when no date is given."""
    return today + timedelta(days=settings.generate_ahead_days)


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    label: str


@dataclass(frozen=True)
class DemoReport:
    imported: ImportReport
    generated: GenerationReport
    accounts: list[DemoAccount]


# The demo's web accounts: the organization department, a unit secretary and a branch
# secretary (the person holding the secretary role of the organization today).
_DEMO_ACCOUNTS = (
    ("admin", UserRole.ADMIN, None, "党委组织部管理员"),
    ("u01", UserRole.UNIT_MANAGER, "U01", "机电工程学院党总支书记"),
    ("u01-b01", UserRole.BRANCH_SECRETARY, "U01-B01", "机电工程学院教工第一党支部书记"),
)


def load_demo(session: Session, catalog: Catalog, *, through: date, now: datetime) -> DemoReport:
    imported = import_path(session, demo_dir() / "college.yaml", now=now)
    session.flush()
    generated = generate_tasks(session, catalog, through=through, now=now)
    return DemoReport(imported, generated, _demo_accounts(session, now))


def _demo_accounts(session: Session, now: datetime) -> list[DemoAccount]:
    """Accounts with fresh random passwords (printed once), unless they exist already."""
    created = []
    for username, role, scope, label in _DEMO_ACCOUNTS:
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            continue
        password = secrets.token_urlsafe(9)
        holder = _secretary(session, scope, local_date(now)) if scope else None
        add_user(
            session,
            NewUser(username, label, password, role, scope_code=scope, person_code=holder),
            now=now,
        )
        created.append(DemoAccount(username, password, label))
    return created


def _secretary(session: Session, code: str, today: date) -> str | None:
    query = (
        select(Person.code)
        .join(RoleAssignment, RoleAssignment.person_id == Person.id)
        .join(Organization, RoleAssignment.organization_id == Organization.id)
        .where(
            Organization.code == code,
            RoleAssignment.role == Role.SECRETARY,
            RoleAssignment.start_on <= today,
            or_(RoleAssignment.end_on.is_(None), RoleAssignment.end_on >= today),
        )
    )
    return session.scalars(query).first()
