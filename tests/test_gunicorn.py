"""gunicorn with gunicorn.conf.py, as `make serve` runs it: production
config, JSON lines on standard output with request ids, clean shutdown."""

from __future__ import annotations

import gc
import os
import runpy
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.support.gunicorn_server import Server
from tests.support.servers import CONFIG, GUNICORN, ROOT, SECRETS, free_port

REGISTER = """
mutation($input: RegisterInput!) {
  register(input: $input) { accessToken userErrors { code } }
}
"""


def test_gunicorn_serves_the_app_and_logs_json_with_request_ids(
    server: Server,
) -> None:
    health = server.request("GET", "/healthz", headers={"X-Request-ID": "gh-1"})
    ready = server.request("GET", "/readyz")
    registered = server.request(
        "POST",
        "/graphql",
        {
            "query": REGISTER,
            "variables": {
                "input": {"email": "ada@example.com", "password": "a long passphrase"}
            },
        },
        {"X-Request-ID": "gh-2"},
    )
    token = registered[2]["data"]["register"]["accessToken"]
    me = server.request(
        "POST",
        "/graphql",
        {"query": "{ me { email } }"},
        {"Authorization": f"Bearer {token}", "X-Request-ID": "gh-3"},
    )
    server.stop()

    assert (health[0], health[1]["X-Request-ID"], health[2]) == (
        200,
        "gh-1",
        {"status": "ok"},
    )
    assert (ready[0], ready[2]) == (200, {"status": "ok", "database": "up"})
    assert registered[2]["data"]["register"]["userErrors"] == []
    assert (me[0], me[1]["X-Request-ID"], me[2]) == (
        200,
        "gh-3",
        {"data": {"me": {"email": "ada@example.com"}}},
    )
    assert server.process.returncode == 0

    raw = server.log_path.read_text()
    assert token not in raw
    assert "a long passphrase" not in raw
    entries = server.log_entries()  # every line is a JSON object
    assert all(
        {"time", "level", "logger", "message", "request_id"} <= entry.keys()
        for entry in entries
    )
    gunicorn_messages = [
        e["message"] for e in entries if e["logger"] == "gunicorn.error"
    ]
    assert gunicorn_messages[0] == "Starting gunicorn " + gunicorn_version()
    assert f"Listening at: http://127.0.0.1:{server.port}" in gunicorn_messages[1]
    assert gunicorn_messages[-1] == "Shutting down: Master"
    access = [
        (e["method"], e["path"], e["status"], e["request_id"])
        for e in entries
        if e["logger"] == "app.access" and e["request_id"].startswith("gh-")
    ]
    assert access == [
        ("GET", "/healthz", 200, "gh-1"),
        ("POST", "/graphql", 200, "gh-2"),
        ("POST", "/graphql", 200, "gh-3"),
    ]


def gunicorn_version() -> str:
    import gunicorn

    version: str = gunicorn.__version__
    return version


def settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    """gunicorn.conf.py's values under `env`."""
    for name in (
        "BIND",
        "PORT",
        "WEB_CONCURRENCY",
        "GUNICORN_THREADS",
        "GUNICORN_TIMEOUT",
        "APP_ENV",
        "LOG_FORMAT",
        "LOG_LEVEL",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONFIG))


def test_config_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = settings(monkeypatch)

    assert conf["bind"] == ["127.0.0.1:8000"]
    assert (conf["workers"], conf["threads"], conf["worker_class"]) == (
        conf["MEASURED_WORKERS"],
        conf["MEASURED_THREADS"],
        "gthread" if conf["MEASURED_THREADS"] > 1 else "sync",
    )
    assert (conf["timeout"], conf["graceful_timeout"], conf["keepalive"]) == (
        30,
        30,
        5,
    )
    assert conf["accesslog"] is None
    assert conf["control_socket_disable"] is True
    handler = conf["logconfig_dict"]["handlers"]["stdout"]
    assert handler["log_format"] == "text"


def test_a_worker_freezes_what_it_allocated_at_start_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conf = settings(monkeypatch)
    gc.unfreeze()
    survivor = [object()]  # alive, so a collection keeps it

    try:
        conf["post_worker_init"](object())

        # Frozen objects sit in the permanent generation, which collections
        # (and gc.get_objects) no longer visit.
        assert gc.get_freeze_count() > 0
        assert all(tracked is not survivor for tracked in gc.get_objects())
    finally:
        gc.unfreeze()


def test_config_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = settings(
        monkeypatch,
        PORT="9001",
        WEB_CONCURRENCY="3",
        GUNICORN_THREADS="4",
        APP_ENV="production",
    )

    assert conf["bind"] == ["127.0.0.1:9001"]
    assert (conf["workers"], conf["threads"], conf["worker_class"]) == (
        3,
        4,
        "gthread",
    )
    assert conf["logconfig_dict"]["handlers"]["stdout"]["log_format"] == "json"


def test_bind_overrides_port(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = settings(monkeypatch, BIND="0.0.0.0:8080", PORT="9001", LOG_FORMAT="text")

    assert conf["bind"] == ["0.0.0.0:8080"]


@pytest.mark.parametrize(
    ("env", "workers", "refused"),
    [
        ({"RATELIMIT_STORAGE_URI": "memory://"}, 2, True),
        ({"RATELIMIT_STORAGE_URI": "memory://"}, 1, False),
        ({"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}, 2, False),
        (
            {"RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_ENABLED": "false"},
            2,
            False,
        ),
    ],
)
def test_several_workers_need_a_shared_rate_limit_store(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], workers: int, refused: bool
) -> None:
    monkeypatch.delenv("RATELIMIT_ENABLED", raising=False)
    problem = settings(monkeypatch, **env)["per_process_rate_limits"](workers)

    assert (problem is not None) == refused
    if refused:
        assert problem == (
            "RATELIMIT_STORAGE_URI=memory:// counts in each process, but "
            "WEB_CONCURRENCY asks for 2 workers: set RATELIMIT_STORAGE_URI to a "
            "Redis every worker shares (redis://127.0.0.1:6379/0), or "
            "WEB_CONCURRENCY=1"
        )


def test_gunicorn_refuses_to_start_workers_that_count_limits_apart(
    tmp_path: Path,
) -> None:
    """The default two workers with memory://: gunicorn exits at once, naming
    the settings, before a worker serves anything."""
    env = {
        **os.environ,
        **SECRETS,
        "APP_ENV": "production",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'refused.db'}",
        "BIND": f"127.0.0.1:{free_port()}",
        "WEB_CONCURRENCY": "2",
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_ENABLED": "true",
    }

    finished = subprocess.run(
        [str(GUNICORN), "-c", str(CONFIG), "run:app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert finished.returncode != 0
    assert "WEB_CONCURRENCY asks for 2 workers" in finished.stderr + finished.stdout
    assert "Booting worker" not in finished.stderr + finished.stdout
