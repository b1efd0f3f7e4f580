"""Meeting points for concurrent requests, and a seeded account."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import psycopg
from flask import Flask
from sqlalchemy import make_url

from tests.helpers import DEFAULT_PASSWORD, GraphQL
from tests.operations import REGISTER

WAIT_LIMIT = 20.0  # seconds; only reached when something is broken

POLL = 0.01


def libpq_dsn(url: str) -> str:
    return (
        make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    )


def register(gql: GraphQL, email: str) -> dict[str, Any]:
    payload: dict[str, Any] = gql.data(
        REGISTER, {"input": {"email": email, "password": DEFAULT_PASSWORD}}
    )["register"]
    assert payload["userErrors"] == []
    return payload


class Rendezvous:
    """A meeting point inside the app's code for `parties` racing requests.

    A request that reaches it waits until every party has reached it too or
    is blocked on a database lock, so the race happens on every run rather
    than by luck, and an app that makes the requests take turns (holding the
    others on a lock before this point) does not deadlock the test. Once
    open it stays open; `timed_out` says that it had to give up waiting.
    """

    def __init__(self, parties: int, database_url: str) -> None:
        self.parties = parties
        self.arrived = 0
        self.opened = False
        self.timed_out = False
        self.condition = threading.Condition()
        self.admin = psycopg.connect(libpq_dsn(database_url), autocommit=True)

    def arrive(self) -> None:
        deadline = time.monotonic() + WAIT_LIMIT
        with self.condition:
            self.arrived += 1
            while not self.opened:
                if self.arrived + self._waiting_on_locks() >= self.parties:
                    self.opened = True
                elif time.monotonic() > deadline:
                    self.opened = self.timed_out = True
                else:
                    self.condition.wait(POLL)
            self.condition.notify_all()

    def wait_for_arrivals(self, count: int) -> None:
        deadline = time.monotonic() + WAIT_LIMIT
        with self.condition:
            while self.arrived < count and time.monotonic() < deadline:
                self.condition.wait(POLL)
            assert self.arrived >= count, "no request reached the meeting point"

    def _waiting_on_locks(self) -> int:
        row = self.admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        ).fetchone()
        assert row is not None
        waiting: int = row[0]
        return waiting

    def close(self) -> None:
        self.admin.close()


@dataclass
class Seeded:
    """An app with one account, one contact and a page cursor, shared by the
    input tests of one module and database (they change nothing)."""

    app: Flask
    gql: GraphQL
    token: str
    refresh_token: str
    contact_id: str
    cursor: str
