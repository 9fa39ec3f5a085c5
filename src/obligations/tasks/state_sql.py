"""The task-state decision in SQL, built from :data:`obligations.tasks.status.OUTCOMES`.

Three forms, each a ``CASE`` over the rows of that one table:

- :func:`status_label`: a task's state on a day, over its own columns, its stored completion
  date ``Task.done_on`` standing for its records (listings filter and order by it);
- :func:`outcome_expression`: the rows that do not depend on the day, else "open": the outcome
  a tally row stores. The triggers of migration 0013 embed it as text
  (:func:`trigger_outcome_sql`; a test checks the migration's copy is current);
- :func:`tally_label`: the state on a day of the tasks a tally row counts: its stored outcome
  when settled, else the rows that depend on the day over its dates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    SQLColumnExpression,
    and_,
    case,
    literal,
    literal_column,
    true,
)
from sqlalchemy.engine import Dialect

from obligations.models import Task
from obligations.models.tasks import TaskItemTally, TaskTally
from obligations.tasks.status import (
    DAY_OUTCOMES,
    OUTCOMES,
    SETTLED_OUTCOMES,
    Condition,
    IsSet,
    Outcome,
    Term,
)
from obligations.vocabulary import TallyOutcome

Columns = Mapping[Term, SQLColumnExpression[Any]]
_Whens = list[tuple[ColumnElement[bool], ColumnElement[str]]]


@lru_cache(maxsize=16)
def status_label(*, today: date, due_soon_days: int) -> ColumnElement[str]:
    """A task's state (a :class:`~obligations.tasks.status.TaskStatus` value) on ``today``,
    over the columns of ``Task``. Built once per day and due-soon window and then shared (an
    expression is immutable; every listing and count of a page request asks for it)."""
    columns = {**task_columns(), **day_columns(today, due_soon_days)}
    *rows, last = OUTCOMES
    return case(*_whens(rows, columns), else_=_text(last))


def outcome_expression(columns: Columns) -> ColumnElement[str]:
    """A :class:`~obligations.vocabulary.TallyOutcome` value: the state if it does not depend
    on the day, else "open". ``columns`` needs the task's own terms only."""
    return case(*_whens(SETTLED_OUTCOMES, columns), else_=literal(TallyOutcome.OPEN.value))


@lru_cache(maxsize=16)
def tally_label(
    tally: type[TaskTally] | type[TaskItemTally], *, today: date, due_soon_days: int
) -> ColumnElement[str]:
    """The state on ``today`` of the tasks a tally row counts; built once per tally table,
    day and due-soon window, then shared like :func:`status_label`."""
    columns: dict[Term, SQLColumnExpression[Any]] = {
        Term.OPENS_ON: tally.opens_on,
        Term.DUE_ON: tally.due_on,
        **day_columns(today, due_soon_days),
    }
    *rows, last = DAY_OUTCOMES
    settled = (tally.outcome != TallyOutcome.OPEN.value, tally.outcome)
    return case(settled, *_whens(rows, columns), else_=_text(last))


def trigger_outcome_sql(dialect: Dialect, row: str) -> str:
    """:func:`outcome_expression` as SQL text over the trigger row ``row`` (NEW or OLD)."""
    columns: Columns = {t: literal_column(f"{row}.{t.value}") for t in Term if not t.of_the_day}
    expression = outcome_expression(columns)
    return str(expression.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def task_columns() -> dict[Term, SQLColumnExpression[Any]]:
    return {
        Term.OPENS_ON: Task.opens_on,
        Term.DUE_ON: Task.due_on,
        Term.NOMINAL_DUE_ON: Task.nominal_due_on,
        Term.DONE_ON: Task.done_on,
        Term.WAIVED_AT: Task.waived_at,
        Term.RETIRED_AT: Task.retired_at,
    }


def day_columns(today: date, due_soon_days: int) -> dict[Term, SQLColumnExpression[Any]]:
    return {
        Term.TODAY: literal(today, Date()),
        Term.SOON: literal(today + timedelta(days=due_soon_days), Date()),
    }


def _whens(outcomes: Sequence[Outcome], columns: Columns) -> _Whens:
    return [(and_(true(), *(_condition(c, columns) for c in o.when)), _text(o)) for o in outcomes]


def _condition(condition: Condition, columns: Columns) -> ColumnElement[bool]:
    if isinstance(condition, IsSet):
        return columns[condition.term].is_not(None)
    left, right = columns[condition.left], columns[condition.right]
    return left <= right if condition.or_on else left < right


def _text(outcome: Outcome) -> ColumnElement[str]:
    return literal(outcome.status.value)
