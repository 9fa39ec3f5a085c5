"""The composition root: what every door (CLI, web app, worker) builds from :class:`Settings`.

One place decides the database engine and session factory, the rule catalog in force, the
evidence blob store and upload policy, the ledger's Word template, the reminder configuration
and the clock; the CLI's ``AppContext`` and the web app's ``WebState`` are this root plus what
only that door needs. Each part is built on first use, and each module behind it is imported
then too, so a command that needs no database never loads SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from obligations.timeutil import local_date, utcnow

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from obligations.channels import Channel
    from obligations.evidence.records import EvidencePolicy
    from obligations.evidence.storage import BlobStore
    from obligations.ledger.document import LedgerDocument
    from obligations.reminders.config import ReminderConfig
    from obligations.reminders.runtime import ReminderRuntime
    from obligations.rules.catalog import Catalog
    from obligations.rules.keeper import CatalogKeeper
    from obligations.settings import Settings


@dataclass
class Root:
    """The parts a door needs, built once from ``settings`` (lazily, then kept).

    ``clock`` gives aware UTC instants (tests pass a fixed one); ``engine_override`` is an
    engine the caller owns (tests), used instead of one made from the database URL.
    """

    settings: Settings
    clock: Callable[[], datetime] = utcnow
    engine_override: Engine | None = None

    @cached_property
    def engine(self) -> Engine:
        if self.engine_override is not None:
            engine = self.engine_override
        else:
            from obligations.db import make_engine

            engine = make_engine(self.settings.effective_database_url)
        self.check_database(engine)
        return engine

    def check_database(self, engine: Engine) -> None:
        """A door's check of the database before its first use (the CLI refuses a data
        directory that was never initialised); the root itself checks nothing."""

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        from obligations.db import session_factory

        return session_factory(self.engine)

    @cached_property
    def catalog(self) -> Catalog:
        """The catalog in force (shipped, then the data directory's ``calendar_rules/``);
        raises :class:`~obligations.rules.problems.CatalogInvalid` listing every problem."""
        from obligations.rules.catalog import load_catalog

        return load_catalog(self.settings.rules_dirs)

    @cached_property
    def catalog_keeper(self) -> CatalogKeeper:
        """For a server: the last catalog that loaded, kept while the data directory's is
        invalid (:class:`~obligations.rules.keeper.CatalogKeeper`), re-read when it changes."""
        from obligations.paths import shipped_dir
        from obligations.rules.keeper import CatalogKeeper

        settings = self.settings
        return CatalogKeeper(
            dirs=lambda: settings.rules_dirs, shipped=[shipped_dir("calendar_rules")]
        )

    @cached_property
    def store(self) -> BlobStore:
        from obligations.evidence.storage import LocalBlobStore

        return LocalBlobStore(self.settings.evidence_dir)

    @cached_property
    def evidence_policy(self) -> EvidencePolicy:
        from obligations.evidence.records import EvidencePolicy
        from obligations.evidence.storage import UploadLimits

        s = self.settings
        return EvidencePolicy(
            limits=UploadLimits.of(s.max_upload_mb, s.allowed_file_types),
            review_enabled=s.review_enabled,
        )

    @property
    def ledger_template(self) -> Path:
        """The Word template in force: the data directory's ``calendar_rules/`` copy of
        ``ledger-template.docx`` if there is one, else the shipped one. Looked up on each use,
        so a template an administrator drops in applies to the next ledger."""
        from obligations.ledger.render_docx import template_in_force

        return template_in_force(self.settings.rules_dirs)

    def render_ledger(self, document: LedgerDocument, fmt: str) -> bytes:
        """``document`` as ``docx``, ``xlsx``, ``html`` (UTF-8) or ``pdf`` bytes, in the
        template in force; raises :class:`~obligations.ledger.errors.LedgerRenderError`."""
        from obligations.ledger.formats import render_ledger
        from obligations.scratch import scratch_dir

        return render_ledger(
            document, fmt, self.ledger_template, scratch=scratch_dir(self.settings.data_dir)
        )

    def reminder_config(self) -> ReminderConfig:
        """The reminder channels and timing, read afresh (an administrator may edit the file
        while the web app runs); raises
        :class:`~obligations.reminders.config.ReminderConfigInvalid`."""
        from obligations.reminders.config import load_reminder_config

        return load_reminder_config(self.settings.data_dir)

    def reminder_runtime(
        self, *, channels: Mapping[str, Channel] | None = None, worker_id: str | None = None
    ) -> ReminderRuntime:
        """What ``remind``, the worker and ``serve``'s scheduler run; ``channels`` replaces
        the configured ones (tests). The caller closes it."""
        from obligations.reminders.runtime import ReminderRuntime

        return ReminderRuntime.create(
            self.settings,
            self.sessions,
            self.catalog,
            config=self.reminder_config(),
            channels=channels,
            worker_id=worker_id,
        )

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        """The local date now (:data:`obligations.timeutil.LOCAL_TZ`)."""
        return local_date(self.clock())

    def close(self) -> None:
        """Release the database connections of an engine this root made, if it made one."""
        if "engine" in self.__dict__ and self.engine_override is None:
            self.engine.dispose()
