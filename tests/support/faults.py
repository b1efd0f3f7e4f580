"""A TCP proxy that can cut the database off, and a killer of its backends."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from flask import Flask
from sqlalchemy import event, make_url

from app.extensions import db

SECRETS = {
    "SECRET_KEY": "k7Q2v9Xw4Lp8Rz1Tn6Hb3Jd5Fs0Mc2Ge7Ya9Uq4Wx1Vr8Np6",
    "JWT_SECRET_KEY": "Zt5Rm8Kc1Qw7Hv3Bn9Xp2Lf6Jd4Sg0Ay5Ue8Ir1Oc7Pm3Tzq",
}


def libpq_dsn(url: str) -> str:
    return (
        make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    )


class TcpProxy:
    """A TCP proxy in threads, between the app and PostgreSQL.

    `stop()` is the database going away: nothing listens on the port any
    more and every open connection is cut. `start()` is it coming back, on
    the same port.
    """

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = 0
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self.port = listener.getsockname()[1]
        with self._lock:
            self._listener = listener
            self._spawn(self._accept, listener)

    def stop(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, []
            threads, self._threads = self._threads, []
        for sock in [listener, *sockets]:
            if sock is not None:
                _cut(sock)
        for thread in threads:
            thread.join(5)
        assert not [thread for thread in threads if thread.is_alive()]

    def _spawn(self, target: Callable[..., None], *args: Any) -> None:
        """Start a thread; the caller holds the lock."""
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # stop() shut the listener
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                _cut(client)
                continue
            with self._lock:
                if self._listener is not listener:
                    _cut(client)
                    _cut(server)
                    return
                self._sockets += [client, server]
                self._spawn(self._pipe, client, server)
                self._spawn(self._pipe, server, client)

    @staticmethod
    def _pipe(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _cut(sock: socket.socket) -> None:
    """Shut down (which wakes a thread blocked in accept or recv) and close."""
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class Killer:
    """Kills every connection to the app's database, from an admin connection
    to another database, at a chosen point of the next request."""

    POINTS = ("first-statement", "contact-row", "child-row", "commit", "after-commit")

    def __init__(self, admin_dsn: str, database: str) -> None:
        self.admin = psycopg.connect(admin_dsn, autocommit=True)
        self.database = database
        self.armed: str | None = None
        self.kills = 0
        self.engine: Any = None

    def kill_all(self) -> None:
        pids = [
            pid
            for (pid,) in self.admin.execute(
                "SELECT pid FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                [self.database],
            )
        ]
        assert pids
        self.admin.execute(
            "SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [pids]
        )
        # Wait until they are gone, polling faster than the timeout argument
        # of pg_terminate_backend would (it checks every 100 ms).
        deadline = time.monotonic() + 5
        while self._alive(pids):
            assert time.monotonic() < deadline, "the backends outlived SIGTERM"
            time.sleep(0.002)
        self.armed = None
        self.kills += 1

    def _alive(self, pids: list[int]) -> int:
        row = self.admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [pids]
        ).fetchone()
        assert row is not None
        alive: int = row[0]
        return alive

    def before_statement(self, statement: str) -> None:
        point = self.armed
        if (
            point == "first-statement"
            or (
                point == "contact-row"
                and statement.startswith(("INSERT INTO contacts ", "UPDATE contacts "))
            )
            or (
                point == "child-row"
                and statement.startswith("INSERT INTO contact_emails ")
            )
        ):
            self.kill_all()

    def install(self, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
        with app.app_context():
            self.engine = db.engine
        dialect = self.engine.dialect
        commit = dialect.do_commit

        def do_commit(dbapi_connection: Any) -> None:
            if self.armed == "commit":
                self.kill_all()
            commit(dbapi_connection)
            if self.armed == "after-commit":
                self.kill_all()

        monkeypatch.setattr(dialect, "do_commit", do_commit)
        event.listen(self.engine, "before_cursor_execute", self._before_cursor)

    def _before_cursor(self, *args: Any) -> None:
        self.before_statement(args[2])

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before_cursor)
        self.admin.close()
