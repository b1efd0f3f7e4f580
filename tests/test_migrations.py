"""The Alembic migrations build exactly the schema the models describe, on an
empty SQLite file and an empty PostgreSQL database, and undo it again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import inspect

from app.extensions import db

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def table_names() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def built_here(obj: Any, *_: Any) -> bool:
    """Leave out what the models create only on another database
    (`.ddl_if(dialect=...)`), as migrations/env.py does for autogenerate."""
    rule = getattr(obj, "_ddl_if", None)
    return rule is None or rule.dialect in (None, db.engine.dialect.name)


def schema_differences() -> list[Any]:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": built_here}
        )
        differences: list[Any] = compare_metadata(context, db.metadata)
    return differences


def upgrade() -> None:
    flask_migrate.upgrade(directory=str(MIGRATIONS))


def test_upgrade_builds_every_table_of_the_models(empty_app: Flask) -> None:
    with empty_app.app_context():
        assert table_names() == set()

        upgrade()

        assert table_names() == set(db.metadata.tables) | {"alembic_version"}


def test_upgraded_database_matches_the_models_exactly(empty_app: Flask) -> None:
    with empty_app.app_context():
        upgrade()

        assert schema_differences() == []


def test_downgrade_to_base_leaves_only_alembic_version(empty_app: Flask) -> None:
    with empty_app.app_context():
        upgrade()

        flask_migrate.downgrade(directory=str(MIGRATIONS), revision="base")

        assert table_names() == {"alembic_version"}


def test_upgrade_after_downgrade_rebuilds_the_same_schema(empty_app: Flask) -> None:
    with empty_app.app_context():
        upgrade()
        flask_migrate.downgrade(directory=str(MIGRATIONS), revision="base")

        upgrade()

        assert schema_differences() == []


def test_flask_db_upgrade_command_builds_the_schema(empty_app: Flask) -> None:
    result = empty_app.test_cli_runner().invoke(
        args=["db", "upgrade", "--directory", str(MIGRATIONS)]
    )

    assert result.exit_code == 0, result.output
    with empty_app.app_context():
        assert schema_differences() == []
