"""/readyz answers within a second even when the database never does."""

from __future__ import annotations

import socket
import time

from flask import Flask

from app import create_app
from app.config import database_url
from app.extensions import db
from app.http.health import Probe


def app_on(listener: socket.socket) -> Flask:
    port = listener.getsockname()[1]
    return create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": database_url(
                f"postgresql://postgres@127.0.0.1:{port}/contacts"
            ),
            # Far longer than the readiness deadline.
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 10}},
        },
    )


def running_probe(app: Flask) -> Probe:
    probe: Probe = app.extensions["readiness_probes"]["running"]
    return probe


def test_readyz_gives_up_on_a_silent_database_within_a_second(
    silent_port: socket.socket,
) -> None:
    app = app_on(silent_port)
    client = app.test_client()

    started = time.monotonic()
    first = client.get("/readyz")
    first_took = time.monotonic() - started
    probe = running_probe(app)
    started = time.monotonic()
    second = client.get("/readyz")
    second_took = time.monotonic() - started
    still_waiting = probe.thread.is_alive()

    # Closing the listener resets the connection the probe is waiting on.
    silent_port.close()
    probe.thread.join(10)
    with app.app_context():
        db.engine.dispose()

    for response in (first, second):
        assert (response.status_code, response.get_json()) == (
            503,
            {"status": "unavailable", "database": "down"},
        )
    assert first_took < 1.5
    assert second_took < 1.5
    # The second request found the first probe still waiting and started
    # no other.
    assert still_waiting
    assert running_probe(app) is probe
    assert not probe.thread.is_alive()
    assert probe.ok is False


def test_readyz_probes_again_once_the_stuck_probe_has_ended(
    silent_port: socket.socket,
) -> None:
    app = app_on(silent_port)
    client = app.test_client()
    client.get("/readyz")
    stuck = running_probe(app)
    silent_port.close()
    stuck.thread.join(10)

    response = client.get("/readyz")  # the port is closed now: refused

    fresh = running_probe(app)
    fresh.thread.join(10)
    assert response.status_code == 503
    assert fresh is not stuck
    assert fresh.error == "OperationalError"
