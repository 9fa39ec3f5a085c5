"""Create or upgrade the database schema with the package's Alembic migrations, and tell
whether a data directory was ever initialised. Alembic loads only when a migration question is
asked: the check runs before every command, most of which never migrate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect

if TYPE_CHECKING:
    from alembic.config import Config

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision (creates it on an empty database)."""
    from alembic import command

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")


def is_current(engine: Engine) -> bool:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads()) == heads


def uninitialised(data_dir: Path, database_url: str | None) -> str | None:
    """Why no command but ``init`` can use this data directory yet, as far as the files tell
    (the directory, and its SQLite file unless ``database_url`` names another database), or
    None; :func:`has_schema` then asks the database itself. Checked before an engine is made,
    since opening a missing SQLite file creates an empty one."""
    missing = not_initialised(data_dir)
    if not data_dir.is_dir():
        return missing
    if not database_url and not (data_dir / "obligations.sqlite3").is_file():
        return missing
    return None


def not_initialised(data_dir: Path) -> str:
    """The message for a data directory ``init`` has not prepared."""
    return (
        f"数据目录 {data_dir} 不存在或尚未初始化，请先运行 obligations --data-dir {data_dir} init"
    )


def has_schema(engine: Engine) -> bool:
    """Whether ``init`` ever ran on this database (its migrations table exists). Raises
    sqlalchemy.exc.OperationalError when the database cannot be reached."""
    return inspect(engine).has_table("alembic_version")
