"""One autocommit connection for the reads of a query operation.

A query operation reads without a transaction (app/schema/autocommit.py
says why). Its reads run on one pooled connection in autocommit mode, taken
by `begin_reads` and given back when the request ends. The hottest reads
(the token check and the page of contacts) run on it directly: an ORM
session around them would cost more than the statements. The session joins
the same connection for whatever else the operation reads, so a request
never holds two.

Outside such an operation (mutations, commands, tests calling services)
nothing changes: `read_connection` is the session's own connection.
"""

from __future__ import annotations

from flask import Flask, g
from sqlalchemy import Connection

from app.extensions import READ_CONNECTION, db


def begin_reads() -> None:
    """Read on an autocommit connection until the request ends. Call it
    before the operation's first statement."""
    if g.get(READ_CONNECTION) is None:
        connection = db.engine.connect()
        setattr(
            g,
            READ_CONNECTION,
            connection.execution_options(isolation_level="AUTOCOMMIT"),
        )


def read_connection() -> Connection:
    """The connection to read on: `begin_reads`' when it was called, else
    the session's."""
    connection: Connection | None = g.get(READ_CONNECTION)
    return connection if connection is not None else db.session.connection()


def end_reads(_error: BaseException | None = None) -> None:
    """Give the connection back: first the session that may have joined it."""
    connection: Connection | None = g.pop(READ_CONNECTION, None)
    if connection is not None:
        db.session.remove()
        connection.close()


def init_read_connections(app: Flask) -> None:
    app.teardown_appcontext(end_reads)
