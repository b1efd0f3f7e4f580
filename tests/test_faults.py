"""Faults on PostgreSQL: the database going away and coming back, and
connections killed in the middle of mutations."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, make_url, select
from sqlalchemy.orm import selectinload

from app import create_app
from app.extensions import db
from app.models import Contact, Tag, contact_tags
from tests.helpers import DEFAULT_PASSWORD, GraphQL
from tests.operations import CREATE, REGISTER, UPDATE

pytestmark = pytest.mark.postgresql
on_postgresql = pytest.mark.parametrize("database", ["postgresql"], indirect=True)

SECRETS = {
    "SECRET_KEY": "k7Q2v9Xw4Lp8Rz1Tn6Hb3Jd5Fs0Mc2Ge7Ya9Uq4Wx1Vr8Np6",
    "JWT_SECRET_KEY": "Zt5Rm8Kc1Qw7Hv3Bn9Xp2Lf6Jd4Sg0Ay5Ue8Ir1Oc7Pm3Tzq",
}
ME = "{ me { email } }"
# Text that would give away the driver, the SQL, or the database and where
# it lives (the database's name and the ports are added per test).
LEAKS = (
    "psycopg",
    "postgres",
    "Postgres",
    "127.0.0.1",
    "localhost",
    "SELECT",
    "INSERT",
    "UPDATE ",
    "[SQL",
    "sqlalchemy",
    "Traceback",
)


def libpq_dsn(url: str) -> str:
    return (
        make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    )


def assert_masked(response_text: str, body: dict[str, Any], *secrets: str) -> None:
    """One INTERNAL_SERVER_ERROR saying "Unexpected error." (and the request
    id), with nothing of the driver, SQL or DSN anywhere in the response."""
    [error] = body["errors"]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["message"].startswith("Unexpected error.")
    request_id = error["extensions"].get("requestId")
    visible = response_text.replace(request_id, "") if request_id else response_text
    for leak in (*LEAKS, *secrets):
        assert leak not in visible, leak


# --- the database going away -----------------------------------------------------


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


@pytest.fixture
def proxy(postgres_server_url: str) -> Iterator[TcpProxy]:
    server = make_url(postgres_server_url)
    proxy = TcpProxy((server.host or "127.0.0.1", server.port or 5432))
    proxy.start()
    yield proxy
    proxy.stop()


@pytest.fixture
def production_app(
    make_postgres_database: Callable[[], str], proxy: TcpProxy
) -> Iterator[Flask]:
    """A production app whose database connections go through `proxy`."""
    url = make_url(make_postgres_database()).set(host="127.0.0.1", port=proxy.port)
    app = create_app(
        "production",
        {
            **SECRETS,
            "SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False),
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 1}},
            "RATELIMIT_ENABLED": False,
            "PASSWORD_HASH_TIME_COST": 1,
            "PASSWORD_HASH_MEMORY_COST": 8,
            "PASSWORD_HASH_PARALLELISM": 1,
        },
    )
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def post(client: FlaskClient, query: str, token: str, **variables: Any) -> Any:
    return client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_the_database_restarting_going_away_and_coming_back(
    production_app: Flask, proxy: TcpProxy, postgres_server_url: str
) -> None:
    client = production_app.test_client()
    token = GraphQL(client).data(
        REGISTER, {"input": {"email": "ada@example.com", "password": DEFAULT_PASSWORD}}
    )["register"]["accessToken"]
    assert client.get("/readyz").status_code == 200
    database = make_url(production_app.config["SQLALCHEMY_DATABASE_URI"]).database
    server_port = str(make_url(postgres_server_url).port or 5432)
    secrets = (str(proxy.port), server_port, str(database))

    # A restart between two requests: the pooled connections are dead, and
    # the next request must not notice (app/db/pool_health.py replaces
    # them).
    proxy.stop()
    proxy.start()

    assert post(client, ME, token).get_json() == {
        "data": {"me": {"email": "ada@example.com"}}
    }

    proxy.stop()
    started = time.monotonic()
    ready = client.get("/readyz")
    elapsed = time.monotonic() - started

    assert (ready.status_code, ready.get_json()) == (
        503,
        {"status": "unavailable", "database": "down"},
    )
    assert elapsed < 3, elapsed
    for query, variables in [
        (ME, {}),
        (CREATE, {"input": {"firstName": "Grace"}}),
    ]:
        response = post(client, query, token, **variables)
        assert response.status_code == 200
        assert_masked(response.get_data(as_text=True), response.get_json(), *secrets)

    proxy.start()

    assert client.get("/readyz").status_code == 200
    assert post(client, ME, token).get_json() == {
        "data": {"me": {"email": "ada@example.com"}}
    }
    created = post(client, CREATE, token, input={"firstName": "Grace"}).get_json()
    assert created["data"]["createContact"]["userErrors"] == []


# --- connections killed during mutations -----------------------------------------


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


@pytest.fixture
def killer(
    app: Flask, postgres_server_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Killer]:
    database = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    killer = Killer(libpq_dsn(postgres_server_url), str(database))
    killer.install(app, monkeypatch)
    yield killer
    killer.close()


def stored_contacts(app: Flask) -> dict[str, dict[str, Any]]:
    """Every contact as the database has it, by first name."""
    with app.app_context():
        contacts = db.session.scalars(
            select(Contact).options(
                selectinload(Contact.emails), selectinload(Contact.tags)
            )
        )
        stored = {
            contact.first_name or "": {
                "version": contact.version,
                "notes": contact.notes,
                "emails": [email.value for email in contact.emails],
                "tags": sorted(tag.name for tag in contact.tags),
            }
            for contact in contacts
        }
        tags = sorted(db.session.scalars(select(Tag.name)))
        links = len(db.session.execute(select(contact_tags)).all())
        db.session.remove()
    used = sorted({tag for contact in stored.values() for tag in contact["tags"]})
    assert tags == used  # no tag left without contacts, none missing
    assert links == sum(len(contact["tags"]) for contact in stored.values())
    return stored


@on_postgresql
def test_a_mutation_with_its_connection_killed_happens_fully_or_not_at_all(
    app: Flask, gql: GraphQL, killer: Killer
) -> None:
    token = gql.data(
        REGISTER, {"input": {"email": "ada@example.com", "password": DEFAULT_PASSWORD}}
    )["register"]["accessToken"]
    expected: dict[str, dict[str, Any]] = {}  # what the database must hold
    ids: dict[str, str] = {}

    for step in range(40):
        # Creates and updates two by two; every other one with a kill, at
        # each point in turn.
        updating = step % 4 >= 2 and bool(ids)
        point = Killer.POINTS[(step // 2) % len(Killer.POINTS)] if step % 2 else None
        if updating:
            name = sorted(ids)[step % len(ids)]
            changes = {
                "notes": f"updated at step {step}",
                "emails": [f"step{step}@example.com"],
                "tags": [f"tag {step % 3}"],
            }
            query, field = UPDATE, "updateContact"
            input: dict[str, Any] = {
                "id": ids[name],
                "expectedVersion": expected[name]["version"],
                "notes": changes["notes"],
                "emails": [{"value": changes["emails"][0]}],
                "tags": changes["tags"],
            }
            after = {
                **expected[name],
                **changes,
                "version": expected[name]["version"] + 1,
            }
        else:
            name = f"Person {step}"
            query, field = CREATE, "createContact"
            input = {
                "firstName": name,
                "notes": f"created at step {step}",
                "emails": [{"value": f"person{step}@example.com"}],
                "tags": [f"tag {step % 3}", "everyone"],
            }
            after = {
                "version": 1,
                "notes": input["notes"],
                "emails": [input["emails"][0]["value"]],
                "tags": sorted(input["tags"]),
            }
        killer.armed = point

        response = gql.client.post(
            "/graphql",
            json={"query": query, "variables": {"input": input}},
            headers={"Authorization": f"Bearer {token}"},
        )

        assert killer.armed is None, f"step {step}: no kill at {point}"
        body = response.get_json()
        if point is None or point == "after-commit":
            assert "errors" not in body, (step, point, body["errors"])
            payload = body["data"][field]
            assert payload["userErrors"] == [], (step, payload)
            assert payload["contact"]["version"] == after["version"]
            expected[name] = after
            ids[name] = payload["contact"]["id"]
        else:
            assert response.status_code == 200
            assert_masked(
                response.get_data(as_text=True), body, "terminat", "administrator"
            )
        assert stored_contacts(app) == expected, (step, point)

    assert killer.kills == 20
