"""The migrations and the models describe the same schema, on both databases."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from obligations.models import Base
from obligations.schema import alembic_config, is_current

# Kept by database triggers (migrations 0007, 0011, 0013, 0017), read with SQL: not mapped models.
TRIGGER_TABLES = {"task_tally", "task_item_tally"}


def _include(obj: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
    table = obj if kind == "table" else getattr(obj, "table", None)
    return getattr(table, "name", name) not in TRIGGER_TABLES


def test_the_migrations_have_one_head_and_the_database_is_at_it(engine: Engine) -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert heads == ["0019"]
    assert is_current(engine)


def test_the_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_object": _include, "compare_type": True}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
