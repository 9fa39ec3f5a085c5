"""What every command shares: settings, the engine and a session factory, created lazily."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

import click
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from obligations.catalog.load import Catalog, load_catalog
from obligations.catalog.problems import CatalogInvalid
from obligations.db import make_engine, session_factory
from obligations.settings import Settings
from obligations.timeutil import local_date, utcnow


@dataclass
class AppContext:
    settings: Settings
    _engine: Engine | None = field(default=None, repr=False)

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.settings.effective_database_url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return session_factory(self.engine)

    @cached_property
    def catalog(self) -> Catalog:
        """The catalog in force; a broken one stops the command with every problem listed."""
        try:
            return load_catalog(self.settings.rules_dirs)
        except CatalogInvalid as exc:
            raise BadInput("规则目录有误：\n" + "\n".join(str(p) for p in exc.problems)) from exc

    def today(self) -> date:
        return local_date(utcnow(), self.settings.tz)


pass_app = click.make_pass_decorator(AppContext)


class BadInput(click.ClickException):
    """Input the user can correct: printed without a traceback, exit status 2."""

    exit_code = 2


class Failure(click.ClickException):
    """The command ran but what it checked is wrong (or it could not finish): exit status 1."""

    exit_code = 1
