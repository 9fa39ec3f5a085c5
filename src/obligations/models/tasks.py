"""Due tasks: one row per (rule, organization, person, period). Their state is derived."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    PrimaryKeyConstraint,
    String,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from obligations.models.base import Base, intpk
from obligations.models.org import Organization, Person


class Task(Base):
    __tablename__ = "task"
    __table_args__ = (
        # scope_key folds organization and person into one non-null column, because NULLs are
        # distinct in unique constraints on both SQLite and PostgreSQL.
        UniqueConstraint("rule_id", "scope_key", "period_key", name="uq_task_natural_key"),
        # A unit's tasks of a year in due order (the unit page), with their period keys.
        Index("ix_task_unit_due_period", "unit_id", "due_on", "period_key"),
        Index("ix_task_due", "due_on"),
        # What an organization or a person owes, by due date (the calendar feed's window).
        Index("ix_task_org_due", "organization_id", "due_on"),
        Index("ix_task_person_due", "person_id", "due_on"),
        # How far the live tasks reach: generation's horizon (migration 0018).
        Index(
            "ix_task_live_period_start",
            "period_start",
            sqlite_where=text("retired_at IS NULL"),
            postgresql_where=text("retired_at IS NULL"),
        ),
    )

    id: Mapped[intpk]
    rule_id: Mapped[str] = mapped_column(String(64))
    ledger_item: Mapped[str] = mapped_column(String(8))
    unit_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    scope_key: Mapped[str] = mapped_column(String(40))
    period_key: Mapped[str] = mapped_column(String(32))
    period_start: Mapped[date]
    period_end: Mapped[date]
    opens_on: Mapped[date]
    # The due date moved to a working day as the rule says (what reminders and the overdue
    # state follow), and the date the rule gives before that move: work completed by the later
    # of the two is on time. None only for a task stored before migration 0013 until the next
    # generation fills it (until then its due date alone decides, as it did).
    due_on: Mapped[date]
    nominal_due_on: Mapped[date | None]
    min_count: Mapped[int]
    # Whether a record needs a file to count towards the task (the rule's ``file_required``).
    file_required: Mapped[bool] = mapped_column(default=True, server_default=true())
    provisional: Mapped[bool] = mapped_column(default=False)
    retired_at: Mapped[datetime | None]
    retired_reason: Mapped[str | None] = mapped_column(String(200))
    # A waiver (not applicable this period) is a recorded decision, not a state: the state is
    # still derived. Undoing it clears these; the audit log keeps the history.
    waived_at: Mapped[datetime | None]
    waived_by: Mapped[str | None] = mapped_column(String(100))
    waived_reason: Mapped[str | None] = mapped_column(String(500))
    # A stored copy of a derived fact: the local date the task reached ``min_count`` qualifying
    # records (None if it has not). The records stay the source of truth; every change to them
    # or to ``min_count`` calls ``task_state.refresh_done_on`` in the same transaction. It lets
    # the database count states without reading records (see ``TaskTally``).
    done_on: Mapped[date | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    unit: Mapped[Organization] = relationship(foreign_keys=[unit_id])
    organization: Mapped[Organization] = relationship(foreign_keys=[organization_id])
    person: Mapped[Person | None] = relationship()


class GenerationStamp(Base):
    """What one rule's tasks in one unit were last generated from: a digest of every input.

    A regeneration re-plans and reconciles only the (rule, unit) pairs whose inputs changed
    (the rule itself, the unit with its branches and role holders, the academic calendar, the
    holiday data, the horizon, the planning code's version): a new branch in one unit re-plans
    that unit alone. The warnings and counts of the last run are kept so a skipped pair still
    reports them. A pair is stamped in the same transaction as its tasks, so after an
    interrupted generation the stamps name exactly what was committed.
    """

    __tablename__ = "generation_stamp"

    rule_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # No foreign key: a unit's stamps outlive it until the next generation retires its tasks.
    unit_id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64))
    planned: Mapped[int]
    provisional: Mapped[int]
    warnings: Mapped[list[str]] = mapped_column(JSON)
    generated_at: Mapped[datetime]


class TaskTally(Base):
    """How many tasks there are per unit, due date, opening date and outcome.

    Maintained by database triggers on ``task`` (migrations 0007, 0011, 0013, 0017), never
    written by the application except by the bulk insert of ``obligations.tasks.bulk``, which
    counts its rows once, grouped, in place of the row trigger. Settled tasks are filed under
    the first day of their due month for both dates (their state no longer depends on the
    day), which keeps the table small; open tasks keep their exact dates, so every state can
    be decided for any day from this table alone.
    """

    __tablename__ = "task_tally"
    # The overview reads one year of every unit: the due date leads the key.
    __table_args__ = (
        PrimaryKeyConstraint("due_on", "unit_id", "opens_on", "outcome"),
        {"sqlite_with_rowid": False},
    )

    unit_id: Mapped[int]
    due_on: Mapped[date]
    opens_on: Mapped[date]
    outcome: Mapped[str] = mapped_column(String(16))
    n: Mapped[int]


class TaskItemTally(Base):
    """:class:`TaskTally` split by ledger item as well, for the unit page."""

    __tablename__ = "task_item_tally"
    __table_args__ = (
        PrimaryKeyConstraint("unit_id", "due_on", "ledger_item", "opens_on", "outcome"),
        {"sqlite_with_rowid": False},
    )

    unit_id: Mapped[int]
    due_on: Mapped[date]
    ledger_item: Mapped[str] = mapped_column(String(8))
    opens_on: Mapped[date]
    outcome: Mapped[str] = mapped_column(String(16))
    n: Mapped[int]
