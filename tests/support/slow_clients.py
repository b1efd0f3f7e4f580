"""gunicorn behind nginx with slow clients."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

from app import create_app
from app.extensions import db
from tests.support.servers import SECRETS

NGINX_SKIP_REASON = (
    "nginx runs the shipped deployment (deploy/nginx.conf): "
    "apt-get install nginx (Debian's package)"
)

PER_ADDRESS = "40/minute"


def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if Path(p).exists()), None
    )
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the slow-client tests: " + NGINX_SKIP_REASON)
        pytest.skip(NGINX_SKIP_REASON)
    return found


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any
    seconds: float


def request(
    port: int,
    method: str,
    path: str,
    body: dict[str, Any] | bytes | None = None,
    headers: dict[str, str] | None = None,
    source: str = "127.0.0.1",
    timeout: float = 10.0,
) -> Answer:
    """One request on a fresh connection from `source` (a loopback address),
    timed from connecting to the last byte of the answer."""
    started = time.monotonic()
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=timeout, source_address=(source, 0)
    )
    payload = json.dumps(body).encode() if isinstance(body, dict) else body
    try:
        connection.request(
            method,
            path,
            payload,
            {"Content-Type": "application/json", **(headers or {})},
        )
        response = connection.getresponse()
        raw = response.read()
        return Answer(
            response.status,
            dict(response.getheaders()),
            json.loads(raw) if raw else None,
            time.monotonic() - started,
        )
    finally:
        connection.close()


def wait_until_healthy(
    port: int, process: subprocess.Popen[bytes], log: Path, healthy: int = 200
) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{process.args!r} exited: {log.read_text()}")
        try:
            if request(port, "GET", "/healthz", timeout=2).status == healthy:
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"nothing answered /healthz on port {port} within 30 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (nginx's fast shutdown, gunicorn's graceful one), then kill."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Backend:
    """gunicorn as `make serve` runs it (the shipped worker count and class)."""

    port: int
    # Where RATELIMIT_PER_IP counts: Redis, shared by the workers, or None
    # for memory://, which each worker keeps apart.
    redis_url: str | None


def database_for(request: pytest.FixtureRequest, directory: Path) -> str:
    """A fresh PostgreSQL database when TEST_DATABASE_URL is set, else SQLite."""
    if os.environ.get("TEST_DATABASE_URL", "").strip():
        url: str = request.getfixturevalue("make_postgres_database")()
        return url
    return f"sqlite:///{directory / 'slow.db'}"


def create_schema(database: str) -> None:
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database})
    with app.app_context():
        db.create_all()
        db.engine.dispose()


def gunicorn_environment(
    database: str, port: int, redis_url: str | None, key_prefix: str
) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        # The shipped worker count and class, whatever this shell says.
        if name not in {"WEB_CONCURRENCY", "GUNICORN_THREADS", "PORT"}
    }
    return {
        **env,
        **SECRETS,
        "APP_ENV": "production",
        "LOG_FORMAT": "",
        "DATABASE_URL": database,
        "BIND": f"127.0.0.1:{port}",
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        # Two workers must share their counts (gunicorn.conf.py refuses
        # memory:// with several): without Redis, no rate limits.
        "RATELIMIT_ENABLED": "true" if redis_url else "false",
        "RATELIMIT_KEY_PREFIX": key_prefix,
        # Low enough for the forwarding test to reach, high enough for the
        # slow-client test's probes; each test sends from loopback
        # addresses of its own.
        "RATELIMIT_PER_IP": PER_ADDRESS,
        # nginx is the one proxy in front (deploy/nginx.conf).
        "TRUSTED_PROXY_COUNT": "1",
        # Cheap hashing: registering is not what these tests measure.
        "PASSWORD_HASH_TIME_COST": "1",
        "PASSWORD_HASH_MEMORY_COST": "8",
        "PASSWORD_HASH_PARALLELISM": "1",
    }


def delete_keys(redis_url: str, key_prefix: str) -> None:
    with redis.Redis.from_url(redis_url) as client:
        keys = list(client.scan_iter(match=f"*{key_prefix}*"))
        if keys:
            client.delete(*keys)
