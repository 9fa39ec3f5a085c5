"""Alembic environment: runs on the connection handed over by obligations.schema."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context

from obligations.models import Base
from obligations.models.base import UTCDateTime


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    # UTCDateTime is a Python-side adapter; the column itself is a plain timezone-aware DateTime.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only for `alembic` run by hand
    from obligations.db import make_engine
    from obligations.settings import Settings

    connection = make_engine(Settings().effective_database_url).connect()

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    render_item=_render_item,
)
with context.begin_transaction():
    context.run_migrations()
