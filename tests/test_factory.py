"""create_app: configuration by name or APP_ENV, overrides, and the checks
production makes before it starts."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, session

from app import create_app
from app.config import database_url
from app.extensions import db

GOOD_SECRET = "x" * 48
ROOT = Path(__file__).resolve().parent.parent


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'factory.db'}"


def production_app(tmp_path: Path, **settings: Any) -> Flask:
    config = {
        "SECRET_KEY": GOOD_SECRET,
        "JWT_SECRET_KEY": GOOD_SECRET,
        "SQLALCHEMY_DATABASE_URI": sqlite_url(tmp_path),
        **settings,
    }
    return create_app("production", config)


def test_test_config_overrides_the_defaults(tmp_path: Path) -> None:
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": sqlite_url(tmp_path),
            "ACCESS_TOKEN_TTL": timedelta(seconds=5),
            "CORS_ORIGINS": ["http://other.example"],
        },
    )

    assert app.config["SQLALCHEMY_DATABASE_URI"] == sqlite_url(tmp_path)
    assert app.config["ACCESS_TOKEN_TTL"] == timedelta(seconds=5)
    assert app.config["CORS_ORIGINS"] == ["http://other.example"]
    assert app.testing is True


def test_without_test_config_the_class_defaults_apply() -> None:
    app = create_app("testing")

    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://"
    assert app.config["ACCESS_TOKEN_TTL"] == timedelta(minutes=15)
    assert app.config["CORS_ORIGINS"] == ["http://allowed.example"]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("testing", {"TESTING": True, "DEBUG": False, "GRAPHIQL": True}),
        ("development", {"TESTING": False, "DEBUG": True, "GRAPHIQL": True}),
        ("production", {"TESTING": False, "DEBUG": False, "GRAPHIQL": False}),
    ],
)
@pytest.mark.parametrize("chosen_by", ["argument", "APP_ENV"])
def test_config_class_is_chosen_by_name_or_app_env(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    expected: dict[str, bool],
    chosen_by: str,
) -> None:
    settings = {
        "SECRET_KEY": GOOD_SECRET,
        "JWT_SECRET_KEY": GOOD_SECRET,
        "SQLALCHEMY_DATABASE_URI": sqlite_url(tmp_path),
    }
    if chosen_by == "APP_ENV":
        monkeypatch.setenv("APP_ENV", name)
        app = create_app(test_config=settings)
    else:
        monkeypatch.setenv("APP_ENV", "not-used")
        app = create_app(name, settings)

    assert {key: app.config[key] for key in expected} == expected
    assert app.debug is expected["DEBUG"]


def test_development_is_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("APP_ENV", raising=False)

    app = create_app(test_config={"SQLALCHEMY_DATABASE_URI": sqlite_url(tmp_path)})

    assert (app.config["DEBUG"], app.config["TESTING"]) == (True, False)


def test_unknown_app_env_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "staging")

    with pytest.raises(RuntimeError, match=r"APP_ENV must be one of .*'staging'"):
        create_app()


@pytest.mark.parametrize("name", ["SECRET_KEY", "JWT_SECRET_KEY"])
@pytest.mark.parametrize(
    "value",
    [None, "", "change-me", "CHANGE-ME", "changeme", "secret", "x" * 31],
    ids=[
        "missing",
        "empty",
        "change-me",
        "change-me-upper",
        "changeme",
        "secret",
        "31-bytes",
    ],
)
def test_production_refuses_a_weak_secret(
    tmp_path: Path, name: str, value: str | None
) -> None:
    with pytest.raises(RuntimeError, match=rf"^{name} "):
        production_app(tmp_path, **{name: value})


@pytest.mark.parametrize("name", ["SECRET_KEY", "JWT_SECRET_KEY"])
def test_production_refuses_a_long_secret_that_says_change_me(
    tmp_path: Path, name: str
) -> None:
    with pytest.raises(RuntimeError, match=rf"^{name} is missing or a known default"):
        production_app(tmp_path, **{name: "change-me-" + "x" * 40})


@pytest.mark.parametrize("secret", ["x" * 32, "é" * 16], ids=["ascii", "utf8"])
def test_production_starts_with_32_byte_secrets(tmp_path: Path, secret: str) -> None:
    app = production_app(tmp_path, SECRET_KEY=secret, JWT_SECRET_KEY=secret)

    assert app.config["SECRET_KEY"] == secret
    assert app.config["JWT_SECRET_KEY"] == secret


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "postgresql://u:p@db:5432/contacts",
            "postgresql+psycopg://u:p@db:5432/contacts",
        ),
        ("postgres://u@db/contacts", "postgresql+psycopg://u@db/contacts"),
        ("postgresql+psycopg://u@db/contacts", "postgresql+psycopg://u@db/contacts"),
        ("sqlite:///contacts.db", "sqlite:///contacts.db"),
        ("sqlite://", "sqlite://"),
    ],
)
def test_database_url_maps_postgresql_to_psycopg_3(raw: str, expected: str) -> None:
    assert database_url(raw) == expected


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://postgres@127.0.0.1:1/x",
        "postgresql+psycopg://postgres@127.0.0.1:1/x",
    ],
)
def test_a_postgresql_app_uses_psycopg_3(url: str) -> None:
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})

    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        "postgresql+psycopg://postgres@127.0.0.1:1/x"
    )
    with app.app_context():
        assert db.engine.dialect.driver == "psycopg"


@pytest.mark.parametrize("name", ["ACCESS_TOKEN_TTL", "REFRESH_TOKEN_TTL"])
@pytest.mark.parametrize("seconds", [0, -1])
def test_every_environment_refuses_a_token_lifetime_that_is_not_positive(
    name: str, seconds: int
) -> None:
    with pytest.raises(RuntimeError, match=rf"^{name} must be a positive"):
        create_app("testing", {name: timedelta(seconds=seconds)})


def test_production_refuses_a_wildcard_cors_origin(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match=r"^CORS_ORIGINS must list"):
        production_app(tmp_path, CORS_ORIGINS=["*"])


def test_production_refuses_a_rate_limit_store_left_unset(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match=r"^RATELIMIT_STORAGE_URI must be set"):
        production_app(tmp_path, RATELIMIT_STORAGE_URI="")


@pytest.mark.parametrize("uri", ["memory://", "redis://127.0.0.1:6379/0"])
def test_production_starts_with_a_rate_limit_store_set_on_purpose(
    tmp_path: Path, uri: str
) -> None:
    app = production_app(tmp_path, RATELIMIT_STORAGE_URI=uri)

    assert app.config["RATELIMIT_STORAGE_URI"] == uri


START_UP = "from app import create_app; create_app('production'); print('started')"


@pytest.mark.parametrize(
    ("environment", "started"),
    [({}, False), ({"RATELIMIT_STORAGE_URI": "memory://"}, True)],
    ids=["unset", "memory-on-purpose"],
)
def test_production_start_up_needs_the_rate_limit_store_named(
    tmp_path: Path, environment: dict[str, str], started: bool
) -> None:
    """In a process of its own, as gunicorn starts it: a variable left out
    of the environment (and of .env: `-c` reads the .env of the working
    directory, here an empty one) is not the per-process default."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name != "RATELIMIT_STORAGE_URI"
    }
    env.update(
        APP_ENV="production",
        SECRET_KEY=GOOD_SECRET,
        JWT_SECRET_KEY=GOOD_SECRET,
        DATABASE_URL=sqlite_url(tmp_path),
        PYTHONPATH=str(ROOT),
        **environment,
    )
    done = subprocess.run(
        [sys.executable, "-c", START_UP],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    if started:
        assert (done.returncode, done.stdout) == (0, "started\n"), done.stderr
    else:
        assert done.returncode != 0
        assert "RuntimeError: RATELIMIT_STORAGE_URI must be set" in done.stderr


def test_the_api_keeps_no_cookie_session(tmp_path: Path) -> None:
    app = create_app(
        "testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/a.db"}
    )

    @app.get("/remember")
    def remember() -> str:
        session["user"] = "ada"
        return "kept"

    with app.test_request_context():
        assert (session.new, session.modified, dict(session)) == (False, False, {})
    response = app.test_client().post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    with pytest.raises(RuntimeError, match="session is unavailable"):
        app.test_client().get("/remember")
