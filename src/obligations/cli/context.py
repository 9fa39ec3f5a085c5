"""What every command shares: settings, the engine and a session factory, created lazily."""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import IO, Any

import click
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from obligations.db import make_engine, session_factory
from obligations.errors import ServiceError
from obligations.evidence.records import EvidencePolicy
from obligations.evidence.storage import BlobStore, LocalBlobStore
from obligations.rules.catalog import Catalog, load_catalog
from obligations.rules.problems import CatalogInvalid
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

    @cached_property
    def store(self) -> BlobStore:
        return LocalBlobStore(self.settings.evidence_dir)

    @cached_property
    def evidence_policy(self) -> EvidencePolicy:
        return EvidencePolicy(
            limits=self.settings.upload_limits, review_enabled=self.settings.review_enabled
        )

    @property
    def actor(self) -> str:
        """Who is acting, for the audit log: OBLIGATIONS_USER, else the login name."""
        return os.environ.get("OBLIGATIONS_USER") or getpass.getuser()

    def close(self) -> None:
        """Release the database connections, if any were opened."""
        if "engine" in self.__dict__:
            self.engine.dispose()

    def today(self) -> date:
        return local_date(utcnow(), self.settings.tz)


pass_app = click.make_pass_decorator(AppContext)


class _ChineseError(click.ClickException):
    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"错误：{self.format_message()}", err=True, file=file)


class BadInput(_ChineseError):
    """Input the user can correct: printed without a traceback, exit status 2."""

    exit_code = 2


class Failure(_ChineseError):
    """The command ran but what it checked is wrong (or it could not finish): exit status 1."""

    exit_code = 1


@contextmanager
def refusals() -> Iterator[None]:
    """Report a service's refusal (bad input, unknown id) as a BadInput: exit status 2."""
    try:
        yield
    except ServiceError as exc:
        raise BadInput(str(exc)) from exc
