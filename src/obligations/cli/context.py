"""What every command shares: the composition root (settings, database, catalog, evidence
store, ledger template, reminder configuration, clock), and how a command reports an error.

Kept light: importing it loads neither SQLAlchemy nor pydantic, so ``obligations --help`` is
quick; the root builds each part on first use.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import IO, TYPE_CHECKING, Any

import click

from obligations.composition import Root
from obligations.errors import ServerFault, ServiceError, database_unreachable

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from obligations.rules.catalog import Catalog


@dataclass
class AppContext(Root):
    """The root as the CLI uses it: a broken catalog stops the command with every problem, and
    a data directory that does not exist or holds no database stops it before anything is
    created there (only ``init`` and ``import``, which build the schema, set
    ``creates_database``)."""

    creates_database: bool = False

    def check_database(self, engine: Engine) -> None:
        """Before the engine's first use: raises BadInput (exit 2) naming ``init`` when the
        data directory is not initialised, Failure (exit 1) when the database cannot be
        reached at all; nothing for ``init`` and ``import`` (``creates_database``)."""
        if self.creates_database:
            return
        problem = self.database_problem(engine)
        if problem is not None:
            raise BadInput(problem)

    def require_database(self) -> None:
        """Stop the command (BadInput, exit 2) unless the data directory is initialised; for a
        command such as ``serve`` that hands the settings on rather than using the engine."""
        self.engine  # noqa: B018  (opening it runs check_database)

    def database_problem(self, engine: Engine) -> str | None:
        """Why no command but ``init`` can use this data directory yet, or None when it can."""
        from sqlalchemy.exc import OperationalError

        from obligations.schema import has_schema, not_initialised, uninitialised

        data_dir = self.settings.data_dir
        problem = uninitialised(data_dir, self.settings.database_url)
        if problem is not None:
            return problem
        try:
            initialised = has_schema(engine)
        except OperationalError as exc:
            raise Failure(database_unreachable(data_dir)) from exc
        return None if initialised else not_initialised(data_dir)

    @cached_property
    def catalog(self) -> Catalog:
        from obligations.rules.problems import CatalogInvalid

        try:
            return super().catalog
        except CatalogInvalid as exc:
            raise BadInput("规则目录有误：\n" + "\n".join(str(p) for p in exc.problems)) from exc

    @property
    def actor(self) -> str:
        """Who is acting, for the audit log: OBLIGATIONS_USER, else the login name."""
        return os.environ.get("OBLIGATIONS_USER") or getpass.getuser()


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
    """Report a service's refusal (bad input, unknown id) as a BadInput: exit status 2; a fault
    on the server's side (a full disk, a damaged stored file), which no change of input helps,
    as a Failure: exit status 1."""
    try:
        yield
    except ServerFault as exc:
        raise Failure(str(exc)) from exc
    except ServiceError as exc:
        raise BadInput(str(exc)) from exc
