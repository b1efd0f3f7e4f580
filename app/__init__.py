"""The application factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from app.config import config_for, database_url
from app.db import register_database
from app.extensions import db, jwt, limiter, migrate
from app.http import register_http
from app.http.address_limit import limit_per_address
from app.http.body_limit import admit_imports
from app.services.duplicate_groups import keep_groups
from app.services.mail import init_mail
from app.services.passwords import prepare_dummy_hash
from app.services.rate_limits import init_rate_limits
from app.services.tokens import init_token_cache


def create_app(
    config_name: str | None = None, test_config: Mapping[str, Any] | None = None
) -> Flask:
    """Build the app for `config_name` (else `APP_ENV`), with `test_config`
    overriding individual settings."""
    app = Flask(__name__, instance_relative_config=True)
    load_config(app, config_name, test_config)
    configure_logging(app)
    register_extensions(app)
    register_http(app)
    register_database(app)
    prepare_password_checks(app)
    register_graphql(app)
    register_commands(app)
    return app


def load_config(
    app: Flask, config_name: str | None, test_config: Mapping[str, Any] | None
) -> None:
    config_class = config_for(config_name)
    app.config.from_object(config_class)
    if test_config:
        app.config.update(test_config)
    # Overrides get the same psycopg 3 mapping as DATABASE_URL.
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    config_class.validate(app.config)


def engine_options(settings: Mapping[str, Any]) -> dict[str, Any]:
    """SQLAlchemy engine options from the settings; explicit
    SQLALCHEMY_ENGINE_OPTIONS entries win."""
    options: dict[str, Any] = {
        "hide_parameters": settings["SQLALCHEMY_HIDE_PARAMETERS"],
    }
    if settings["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options["connect_args"] = {
            "connect_timeout": settings["DATABASE_CONNECT_TIMEOUT"],
            # Times arrive in UTC, which psycopg represents by timezone.utc:
            # converting them to UTC is then free (not a ZoneInfo lookup).
            "options": "-c TimeZone=UTC",
        }
    return {**options, **settings.get("SQLALCHEMY_ENGINE_OPTIONS", {})}


def configure_logging(app: Flask) -> None:
    """JSON lines in production, text elsewhere, each with the request id;
    an access line per request (app/logging_setup.py)."""
    from app.logging_setup import configure_logging as configure

    configure(app)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db)
    jwt.init_app(app)
    limiter.init_app(app)
    init_mail(app)
    init_rate_limits(app)
    init_token_cache(app)
    keep_groups(db.session)


def prepare_password_checks(app: Flask) -> None:
    with app.app_context():
        prepare_dummy_hash()


def register_graphql(app: Flask) -> None:
    from app.schema import build_schema
    from app.schema.view import ContactsGraphQLView

    schema = build_schema(app.config)
    app.extensions["graphql_schema"] = schema
    view = ContactsGraphQLView.as_view(
        "graphql",
        schema=schema,
        graphql_ide="graphiql" if app.config["GRAPHIQL"] else None,
    )
    app.add_url_rule("/graphql", view_func=limit_per_address(admit_imports(view)))


def register_commands(app: Flask) -> None:
    from app.cli import COMMANDS

    for command in COMMANDS:
        app.cli.add_command(command)


__all__ = ["create_app"]
