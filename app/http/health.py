"""Liveness and readiness probes for load balancers and orchestrators.

`/readyz` answers within a second even when the database does not: the
probe runs in a thread with a deadline (READINESS_TIMEOUT, 0.9 s), since
libpq's connect timeout cannot go below 2 s and a query on a connection
whose peer went silent waits for TCP to give up. While a probe that missed
its deadline is still running, later requests answer 503 at once instead of
stacking more threads and connections on a database that is not answering.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Blueprint, current_app
from sqlalchemy import Engine, text

from app.extensions import db

health = Blueprint("health", __name__)
logger = logging.getLogger("app.health")

READINESS_TIMEOUT = 0.9  # seconds
UP = {"status": "ok", "database": "up"}
DOWN = {"status": "unavailable", "database": "down"}


@health.get("/healthz")
def healthz() -> tuple[dict[str, str], int]:
    """200 while the process can answer at all."""
    return {"status": "ok"}, 200


@health.get("/readyz")
def readyz() -> tuple[dict[str, str], int]:
    """200 only when the database answers `SELECT 1` within the deadline;
    503 otherwise."""
    timeout = float(current_app.config.get("READINESS_TIMEOUT", READINESS_TIMEOUT))
    if database_answers(current_app.extensions, db.engine, timeout):
        return UP, 200
    return DOWN, 503


class Probe:
    """One `SELECT 1` in a daemon thread; `ok` is set when it succeeds."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.ok = False
        self.error: str | None = None
        self.thread = threading.Thread(
            target=self.run, name="readiness-probe", daemon=True
        )

    def run(self) -> None:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            self.ok = True
        except Exception as error:  # any failure means "not ready"
            self.error = type(error).__name__


def database_answers(
    extensions: dict[str, Any], engine: Engine, timeout: float
) -> bool:
    """Whether `SELECT 1` succeeds within `timeout` seconds. `extensions`
    (the app's) holds the probe in flight, one at a time per app."""
    probes: dict[str, Any] = extensions.setdefault("readiness_probes", {})
    lock: threading.Lock = probes.setdefault("lock", threading.Lock())
    with lock:
        running: Probe | None = probes.get("running")
        if running is not None and running.thread.is_alive():
            logger.warning("readiness check: an earlier probe is still waiting")
            return False
        probe = Probe(engine)
        probes["running"] = probe
        probe.thread.start()
    probe.thread.join(timeout)
    if probe.thread.is_alive():
        logger.warning(
            "readiness check: database did not answer within %.1f s", timeout
        )
        return False
    if not probe.ok:
        logger.warning("readiness check: database not answering (%s)", probe.error)
    return probe.ok
