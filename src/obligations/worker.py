"""APScheduler 3.x as the clock, and nothing more.

Each process keeps its jobs in memory under fixed ids; the jobs call the same idempotent
service functions as the CLI. Who sends which reminder is decided in the application's own
tables (claims with a lease), never by the scheduler, so several processes may run these jobs
at once: ``obligations worker`` alone, or beside the web app through :func:`start_scheduler`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from obligations.reminders.runtime import ReminderRuntime
from obligations.timeutil import LOCAL_TZ, utcnow

log = logging.getLogger(__name__)

JOB_GENERATE = "obligations.generate-tasks"
JOB_REMIND = "obligations.remind"

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}


def build_scheduler(
    runtime: ReminderRuntime,
    *,
    clock: Callable[[], datetime] = utcnow,
    blocking: bool = False,
    run_now: bool = True,
) -> BaseScheduler:
    """A scheduler with the two jobs: generation daily, reminders every few minutes; each run
    takes its instant from ``clock`` (the composition root's)."""
    kind: Callable[..., BaseScheduler] = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = kind(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(2)},
        job_defaults=JOB_DEFAULTS,
        timezone=LOCAL_TZ,
    )
    first: dict[str, Any] = {"next_run_time": clock()} if run_now else {}
    scheduler.add_job(
        _logged(lambda: runtime.generate(clock()), "generation"),
        IntervalTrigger(days=1, timezone=LOCAL_TZ),
        id=JOB_GENERATE,
        replace_existing=True,
        **first,
    )
    every = timedelta(minutes=runtime.config.sweep_every_minutes)
    scheduler.add_job(
        _logged(lambda: runtime.remind(clock()), "reminders"),
        IntervalTrigger(seconds=int(every.total_seconds()), timezone=LOCAL_TZ),
        id=JOB_REMIND,
        replace_existing=True,
        **first,
    )
    return scheduler


def start_scheduler(
    runtime: ReminderRuntime, *, clock: Callable[[], datetime] = utcnow
) -> BaseScheduler:
    """Start the jobs in background threads (for ``obligations serve``); call
    ``shutdown()`` on the result when the web app stops."""
    scheduler = build_scheduler(runtime, clock=clock, blocking=False)
    scheduler.start()
    return scheduler


def _logged(job: Callable[[], object], name: str) -> Callable[[], None]:
    def run() -> None:
        try:
            result = job()
        except Exception:
            # The next run tries again: every job is idempotent.
            log.exception("%s job failed", name)
            return
        log.info("%s job: %s", name, result)

    return run
