"""What every request shares: settings, the database, the catalog, the evidence store, a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property

from fastapi import Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from obligations.accounts.throttle import ThrottlePolicy
from obligations.db import make_engine, session_factory
from obligations.evidence.records import EvidencePolicy
from obligations.evidence.storage import BlobStore, LocalBlobStore
from obligations.rules.catalog import Catalog, load_catalog
from obligations.settings import Settings
from obligations.timeutil import local_date, utcnow


@dataclass
class WebState:
    settings: Settings
    clock: Callable[[], datetime] = utcnow
    secure_cookies: bool = False
    throttle: ThrottlePolicy = field(default_factory=ThrottlePolicy)
    engine_override: Engine | None = None

    @cached_property
    def engine(self) -> Engine:
        return self.engine_override or make_engine(self.settings.effective_database_url)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return session_factory(self.engine)

    @cached_property
    def catalog(self) -> Catalog:
        return load_catalog(self.settings.rules_dirs)

    @cached_property
    def store(self) -> BlobStore:
        return LocalBlobStore(self.settings.evidence_dir)

    @cached_property
    def policy(self) -> EvidencePolicy:
        return EvidencePolicy(
            limits=self.settings.upload_limits, review_enabled=self.settings.review_enabled
        )

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return local_date(self.clock(), self.settings.tz)


def state_of(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state
