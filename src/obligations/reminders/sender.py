"""What a sweep needs besides the database and the clock: channels, templates, settings."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from obligations.channels import Channel
from obligations.reminders.config import ReminderConfig
from obligations.reminders.stages import SendingHours
from obligations.reminders.templates import NotificationRenderer
from obligations.rules.calendars import workday_calendar
from obligations.rules.catalog import Catalog
from obligations.rules.workdays import WorkdayCalendar
from obligations.timeutil import LOCAL_TZ


@dataclass(frozen=True)
class Sender:
    """The configured channels by name, the renderer, the catalog (rule titles, workdays),
    the settings and the sending hours; ``monotonic`` times the lease."""

    channels: Mapping[str, Channel]
    renderer: NotificationRenderer
    catalog: Catalog
    config: ReminderConfig
    workdays: WorkdayCalendar
    hours: SendingHours
    due_soon_days: int = 7
    monotonic: Callable[[], float] = time.monotonic

    @classmethod
    def create(
        cls,
        channels: Mapping[str, Channel],
        renderer: NotificationRenderer,
        catalog: Catalog,
        config: ReminderConfig,
        *,
        tz: ZoneInfo = LOCAL_TZ,
        due_soon_days: int = 7,
    ) -> Sender:
        hours = SendingHours(config.send_at, config.send_until, tz)
        return cls(
            channels, renderer, catalog, config, workday_calendar(catalog), hours, due_soon_days
        )

    @property
    def lease(self) -> timedelta:
        """How long a claim holds its items (``lease_minutes``)."""
        return timedelta(minutes=self.config.lease_minutes)
