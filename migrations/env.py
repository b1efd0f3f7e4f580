"""Alembic environment for Flask-Migrate: the app's engine and metadata.

Flask-SQLAlchemy 3 only: the engine is `db.engine` (its `get_engine()` is
deprecated, and pytest turns that warning into an error).
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config

# Keep the app's loggers working when migrations run inside it (tests, CLI).
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db
config.set_main_option(
    "sqlalchemy.url",
    target_db.engine.url.render_as_string(hide_password=False).replace("%", "%%"),
)


def built_on(dialect_name):
    """Autogenerate's filter: leave out what the models create only on another
    database (`Index(...).ddl_if(dialect=...)`), which Alembic does not do
    itself (sqlalchemy/alembic#1491)."""

    def include_object(obj, name, type_, reflected, compare_to):
        rule = getattr(obj, "_ddl_if", None)
        return rule is None or rule.dialect in (None, dialect_name)

    return include_object


def run_migrations_offline():
    """Emit the SQL to stdout (`flask db upgrade --sql`) without connecting."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_db.metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Run the migrations on a connection of the app's engine."""

    def process_revision_directives(context, revision, directives):
        # Do not write an empty revision when autogenerate finds no changes.
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = current_app.extensions["migrate"].configure_args
    conf_args.setdefault("process_revision_directives", process_revision_directives)

    with target_db.engine.connect() as connection:
        conf_args.setdefault("include_object", built_on(connection.dialect.name))
        context.configure(
            connection=connection, target_metadata=target_db.metadata, **conf_args
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
