"""Where the ORM session's statements run.

Inside a query operation (app/db/reads.py) the session binds to the
operation's one autocommit connection, and opens it if nothing has yet, so
the request holds one connection whichever reads first; elsewhere it binds
to the engine, as Flask-SQLAlchemy's would. This module imports nothing of
the app, since app/extensions.py builds `db` with its session class.
"""

from __future__ import annotations

from typing import Any

from flask import g
from flask_sqlalchemy.session import Session
from sqlalchemy import Connection, Engine

# Where a query operation's reads are kept (in `g`, so per request).
QUERY_READS = "query_reads"


class QueryReads:
    """The reads of one query operation: one pooled connection in
    autocommit mode, taken at the operation's first statement (so an
    operation that never reads takes none, and a failure to connect is the
    error of the field that read) and given back when the operation ends."""

    __slots__ = ("connection", "engine")

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.connection: Connection | None = None

    def connect(self) -> Connection:
        if self.connection is None:
            self.connection = self.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            )
        return self.connection


def query_reads() -> QueryReads | None:
    """The running query operation's reads; None outside one."""
    reads: QueryReads | None = g.get(QUERY_READS)
    return reads


class ReadsSession(Session):
    """The app's session: on the query operation's connection in one."""

    def get_bind(self, *args: Any, **kwargs: Any) -> Engine | Connection:
        reads = query_reads()
        if reads is not None:
            return reads.connect()
        return super().get_bind(*args, **kwargs)
