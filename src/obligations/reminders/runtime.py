"""The reminder jobs, shared by ``obligations remind``, ``obligations worker`` and the web app.

:class:`ReminderRuntime` holds what the jobs need (sessions, catalog, channels, templates) and
runs the same service functions whoever calls it: extending task generation, planning reminder
items and sweeping them. Each is idempotent and safe to run in several processes at once.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from obligations.channels import Channel
from obligations.orgdata.setup import default_through
from obligations.reminders.config import ReminderConfig
from obligations.reminders.pacing import DatabaseSendLog
from obligations.reminders.planning import PlanReport, plan_reminders
from obligations.reminders.routing import build_channels, close_channels
from obligations.reminders.sweep import Sender, SweepReport, preview, sweep
from obligations.reminders.templates import NotificationRenderer
from obligations.rules.catalog import Catalog
from obligations.settings import Settings
from obligations.tasks.generation import GenerationReport, generate_tasks
from obligations.timeutil import local_date


def shared_channels(config: ReminderConfig, sessions: sessionmaker[Session]) -> dict[str, Channel]:
    """The configured channels, pacing their sends in the database, so that the robots' rate
    limits hold across every process that sends."""
    return build_channels(config, send_logs=lambda name: DatabaseSendLog(sessions, name))


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class RemindReport:
    plan: PlanReport
    sweep: SweepReport


@dataclass
class ReminderRuntime:
    settings: Settings
    sessions: sessionmaker[Session]
    catalog: Catalog
    config: ReminderConfig
    sender: Sender
    worker_id: str

    @classmethod
    def create(
        cls,
        settings: Settings,
        sessions: sessionmaker[Session],
        catalog: Catalog,
        *,
        config: ReminderConfig,
        channels: Mapping[str, Channel] | None = None,
        worker_id: str | None = None,
    ) -> ReminderRuntime:
        """The runtime over ``config`` (doors get both from
        :meth:`obligations.composition.Root.reminder_runtime`); ``channels`` replaces the
        configured channels (tests; by default they pace their sends in the database),
        ``worker_id`` names this process in claims."""
        sender = Sender.create(
            channels if channels is not None else shared_channels(config, sessions),
            NotificationRenderer.for_data_dir(settings.data_dir),
            catalog,
            config,
            due_soon_days=settings.due_soon_days,
        )
        return cls(settings, sessions, catalog, config, sender, worker_id or default_worker_id())

    def generate(self, now: datetime) -> GenerationReport:
        through = default_through(local_date(now), self.settings)
        with self.sessions() as session:
            return generate_tasks(
                session, self.catalog, through=through, now=now, commit_chunks=True
            )

    def plan(self, now: datetime) -> PlanReport:
        with self.sessions.begin() as session:
            return plan_reminders(session, self.catalog, now, config=self.config)

    def remind(self, now: datetime, *, dry_run: bool = False) -> RemindReport:
        """Plan, then sweep once; a dry run plans and previews in a transaction it rolls back."""
        if dry_run:
            with self.sessions() as session:
                planned = plan_reminders(session, self.catalog, now, config=self.config)
                previewed = preview(session, self.sender, now)
                session.rollback()
            return RemindReport(planned, previewed)
        planned = self.plan(now)
        return RemindReport(planned, sweep(self.sessions, self.sender, now, self.worker_id))

    def close(self) -> None:
        close_channels(self.sender.channels)
