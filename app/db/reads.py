"""One autocommit connection for the reads of a query operation.

PostgreSQL's default isolation, READ COMMITTED, gives every statement its
own snapshot, so a transaction around a read-only operation adds no
consistency: it only costs a BEGIN and a ROLLBACK, two round trips on every
request. A query operation therefore runs inside `reading_a_query()` (the
schema's AutocommitQueries extension wraps its execution), and every read
in it runs on one pooled connection in autocommit mode. The hottest reads
(the token check and the page of contacts) run on it directly through
`read_connection()`: an ORM session around them would cost more than the
statements. The session joins the same connection (app/db/session.py).

Whichever asks first opens the connection, so no statement has to come
first; outside a query operation (mutations, commands, tests calling
services) `read_connection()` is the session's own connection.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import g
from sqlalchemy import Connection

from app.db.session import QUERY_READS, QueryReads, query_reads
from app.extensions import db


@contextmanager
def reading_a_query() -> Iterator[None]:
    """Read on one autocommit connection until the block ends; give it back
    then, after the session that may have joined it."""
    reads = QueryReads(db.engine)
    setattr(g, QUERY_READS, reads)
    try:
        yield
    finally:
        g.pop(QUERY_READS, None)
        if reads.connection is not None:
            db.session.remove()
            reads.connection.close()


def read_connection() -> Connection:
    """The connection to read on: the query operation's, else the session's."""
    reads = query_reads()
    return reads.connect() if reads is not None else db.session.connection()
