"""Which connection every statement runs on, and why.

- A query operation: one pooled connection in autocommit mode for all its
  reads (reads.py), since READ COMMITTED gives each statement its own
  snapshot and a transaction would add only a BEGIN and a ROLLBACK. The
  schema's AutocommitQueries extension scopes it to the operation; its first
  statement opens it, whether a hot read's or the ORM session's (session.py).
- A mutation, a command, a service called from a test: the session's
  connection, one transaction per service call (transaction.py).
- Either way the hottest reads run compiled SQL on it (compiled_reads.py),
  and a pooled PostgreSQL connection is checked at checkout (pool_health.py).
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from psycopg.types.json import set_json_loads
from sqlalchemy import Engine, event

from app.db.pool_health import drop_dead_connections


def register_database(app: Flask) -> None:
    """Prepare every connection of `app`'s engine. The engine comes from
    `app.extensions`: app/extensions.py imports this package's session
    class, so this package cannot import `db` back."""
    database: SQLAlchemy = app.extensions["sqlalchemy"]
    with app.app_context():
        prepare_connections(database.engine)


def prepare_connections(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", enable_sqlite_foreign_keys)
    if engine.dialect.name == "postgresql":
        event.listen(engine, "connect", read_json_with_orjson)
        drop_dead_connections(engine)


def enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    """SQLite ignores foreign keys (and so ON DELETE CASCADE) unless asked."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def read_json_with_orjson(dbapi_connection: Any, _record: Any) -> None:
    """The listing's related lists arrive as JSON; orjson reads them several
    times faster than the standard library, which psycopg uses by default."""
    set_json_loads(orjson.loads, dbapi_connection)
