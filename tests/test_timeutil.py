"""One local time zone, everywhere: a named constant, not a setting."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, text

from obligations.composition import Root
from obligations.settings import Settings
from obligations.timeutil import LOCAL_TZ, LOCAL_UTC_OFFSET, local_date, local_date_sql

# 2026-12-31 16:30 UTC is already 2027-01-01 00:30 in Shanghai.
NEW_YEAR = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)


@pytest.mark.parametrize("year", range(2000, 2041))
def test_the_local_zone_keeps_one_offset_all_year_as_sqlites_local_dates_assume(
    year: int,
) -> None:
    for month in (1, 4, 7, 10):
        assert datetime(year, month, 1, 12, tzinfo=LOCAL_TZ).utcoffset() == LOCAL_UTC_OFFSET


def test_the_databases_local_date_of_an_instant_is_the_same_as_pythons(engine: Engine) -> None:
    sqlite = engine.dialect.name == "sqlite"
    instant = "'2026-12-31 16:30:00'" if sqlite else "TIMESTAMPTZ '2026-12-31 16:30:00+00'"
    with engine.connect() as connection:
        day = connection.scalar(text(f"SELECT {local_date_sql(instant, sqlite=sqlite)}"))
    assert str(day) == local_date(NEW_YEAR).isoformat() == "2027-01-01"


def test_a_timezone_in_the_environment_does_not_move_local_dates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OBLIGATIONS_TIMEZONE", "Europe/London")
    root = Root(Settings(), clock=lambda: NEW_YEAR)
    assert root.today() == date(2027, 1, 1)
