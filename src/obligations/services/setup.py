"""Preparing a data directory and loading the demo college."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from obligations.catalog.load import Catalog
from obligations.paths import demo_dir
from obligations.schema import upgrade
from obligations.services.generation import GenerationReport, generate_tasks
from obligations.services.orgdata import ImportReport, import_path
from obligations.settings import Settings


def prepare(settings: Settings, engine: Engine) -> None:
    """Create the data directory and bring the schema to the newest revision."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / "files").mkdir(exist_ok=True)
    upgrade(engine)


def default_through(today: date, settings: Settings) -> date:
    """How far ahead tasks are generated when no date is given."""
    return today + timedelta(days=settings.generate_ahead_days)


@dataclass(frozen=True)
class DemoReport:
    imported: ImportReport
    generated: GenerationReport


def load_demo(session: Session, catalog: Catalog, *, through: date, now: datetime) -> DemoReport:
    imported = import_path(session, demo_dir() / "college.yaml", now=now)
    session.flush()
    generated = generate_tasks(session, catalog, through=through, now=now)
    return DemoReport(imported, generated)
