"""Pooled PostgreSQL connections that died while idle are dropped at checkout.

SQLAlchemy's `pool_pre_ping` sends a statement before every checkout: one
network round trip per request, just to learn that the connection still
works. A connection that died while it sat in the pool always tells us so
without being asked: the server (or whatever closed it) sent a termination
message or end-of-file, so its socket is readable. A healthy idle
connection has nothing to read, since no statement is running. So polling
the socket without waiting gives the same answer as the ping, for no round
trip; a dead connection is replaced with a fresh one before the request
sees it.
"""

from __future__ import annotations

import select
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

READABLE = select.POLLIN | select.POLLPRI | select.POLLERR | select.POLLHUP


def drop_dead_connections(engine: Engine) -> None:
    """Check every checkout from `engine`'s pool (a psycopg one)."""
    event.listen(engine, "checkout", refuse_if_closed_by_server)


def refuse_if_closed_by_server(
    dbapi_connection: Any, _record: Any, _proxy: Any
) -> None:
    """Raise DisconnectionError, which makes the pool discard the connection
    and check out another, when the idle connection has something to read."""
    if dbapi_connection.closed or has_input(dbapi_connection.fileno()):
        raise DisconnectionError("the server closed the idle connection")


def has_input(fd: int) -> bool:
    poller = select.poll()
    poller.register(fd, READABLE)
    return bool(poller.poll(0))
