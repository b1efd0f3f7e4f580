"""Mail and password-reset settings: what production refuses to start
with, what switching reset off leaves working, and where development's mail
goes (standard output)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app import create_app
from app.extensions import db
from app.services.mail import OUTBOX
from tests.helpers import DEFAULT_PASSWORD, Accounts, GraphQL

GOOD_SECRET = "x" * 48
ROOT = Path(__file__).resolve().parent.parent
MAIL = {
    "PASSWORD_RESET_URL": "https://app.example/reset-password?token={token}",
    "MAIL_SERVER": "smtp.app.example",
    "MAIL_DEFAULT_SENDER": "no-reply@app.example",
}
SWITCHED_OFF = {
    "PASSWORD_RESET_ENABLED": False,
    "PASSWORD_RESET_URL": "",
    "MAIL_SERVER": "",
    "MAIL_DEFAULT_SENDER": "",
}
REQUEST = """
mutation RequestPasswordReset($email: String!) {
  requestPasswordReset(email: $email) { ok userErrors { field code } }
}
"""


def production_app(tmp_path: Path, **settings: Any) -> Flask:
    return create_app(
        "production",
        {
            "SECRET_KEY": GOOD_SECRET,
            "JWT_SECRET_KEY": GOOD_SECRET,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'mail.db'}",
            **MAIL,
            **settings,
        },
    )


def test_production_starts_with_a_reset_link_and_a_mail_server(
    tmp_path: Path,
) -> None:
    app = production_app(tmp_path)

    assert app.config["MAIL_BACKEND"] == "smtp"
    assert app.config["PASSWORD_RESET_TTL"] == timedelta(minutes=30)
    assert app.extensions["mailman"].server == "smtp.app.example"


@pytest.mark.parametrize(
    ("settings", "refusal"),
    [
        ({"PASSWORD_RESET_URL": ""}, r"^PASSWORD_RESET_URL must be set in production"),
        (
            {"PASSWORD_RESET_URL": "http://app.example/reset?token={token}"},
            r"^PASSWORD_RESET_URL must be an https:// URL in production",
        ),
        ({"MAIL_SERVER": ""}, r"^MAIL_SERVER must be set in production"),
        ({"MAIL_DEFAULT_SENDER": ""}, r"^MAIL_DEFAULT_SENDER must be set"),
        ({"MAIL_BACKEND": "console"}, r"^MAIL_BACKEND must be smtp in production"),
    ],
    ids=["no-url", "http-url", "no-server", "no-sender", "console"],
)
def test_production_refuses_reset_without_what_it_needs(
    tmp_path: Path, settings: dict[str, Any], refusal: str
) -> None:
    with pytest.raises(RuntimeError, match=refusal) as raised:
        production_app(tmp_path, **settings)

    if "must be set" in refusal:
        assert "PASSWORD_RESET_ENABLED=false" in str(raised.value)


@pytest.mark.parametrize("config_name", ["testing", "development", "production"])
@pytest.mark.parametrize(
    ("settings", "refusal"),
    [
        ({"PASSWORD_RESET_URL": "/reset?token={token}"}, r"absolute http\(s\) URL"),
        ({"PASSWORD_RESET_URL": "ftp://app.example/{token}"}, r"absolute http\(s\)"),
        (
            {"PASSWORD_RESET_TTL": timedelta(0)},
            r"^PASSWORD_RESET_TTL must be a positive",
        ),
        ({"MAIL_USE_TLS": True, "MAIL_USE_SSL": True}, r"exclude each other"),
    ],
    ids=["relative-url", "ftp-url", "zero-ttl", "tls-and-ssl"],
)
def test_every_environment_refuses_reset_settings_that_cannot_work(
    tmp_path: Path, config_name: str, settings: dict[str, Any], refusal: str
) -> None:
    config = {
        "SECRET_KEY": GOOD_SECRET,
        "JWT_SECRET_KEY": GOOD_SECRET,
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'mail.db'}",
        **MAIL,
        **settings,
    }
    with pytest.raises(RuntimeError, match=refusal):
        create_app(config_name, config)


def test_with_reset_switched_off_production_starts_and_the_rest_works(
    tmp_path: Path,
) -> None:
    app = production_app(tmp_path, **SWITCHED_OFF, PASSWORD_RESET_TTL=timedelta(0))
    with app.app_context():
        db.create_all()
    gql = GraphQL(app.test_client())

    registered = Accounts(gql).register("ada@example.com", DEFAULT_PASSWORD)
    requested = gql.data(REQUEST, {"email": "ada@example.com"})

    assert registered["accessToken"]
    assert requested == {
        "requestPasswordReset": {
            "ok": False,
            "userErrors": [{"field": None, "code": "DISABLED"}],
        }
    }
    with app.app_context():
        db.engine.dispose()


SHOW = (
    "import json; from app import create_app; app = create_app('production'); "
    "print(json.dumps({k: app.config[k] for k in "
    "('MAIL_PORT', 'MAIL_USE_TLS', 'MAIL_USE_SSL', 'PASSWORD_RESET_ENABLED')}))"
)


def start(tmp_path: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    """`create_app('production')` in a process of its own, as gunicorn
    starts it, with only the mail settings of `environment`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("MAIL_", "PASSWORD_RESET_"))
    }
    env.update(
        APP_ENV="production",
        SECRET_KEY=GOOD_SECRET,
        JWT_SECRET_KEY=GOOD_SECRET,
        DATABASE_URL=f"sqlite:///{tmp_path / 'mail.db'}",
        RATELIMIT_STORAGE_URI="memory://",
        PYTHONPATH=str(ROOT),
        **environment,
    )
    return subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_start_up_refuses_reset_left_unconfigured(tmp_path: Path) -> None:
    done = start(tmp_path)

    assert done.returncode != 0
    assert "RuntimeError: PASSWORD_RESET_URL must be set in production" in done.stderr


@pytest.mark.parametrize(
    ("environment", "shown"),
    [
        (
            {"PASSWORD_RESET_ENABLED": "false"},
            {"MAIL_PORT": 587, "MAIL_USE_TLS": True, "MAIL_USE_SSL": False},
        ),
        (
            {
                "PASSWORD_RESET_URL": "https://app.example/reset?token=",
                "MAIL_SERVER": "smtp.app.example",
                "MAIL_DEFAULT_SENDER": "no-reply@app.example",
                "MAIL_USE_SSL": "true",
            },
            {"MAIL_PORT": 465, "MAIL_USE_TLS": False, "MAIL_USE_SSL": True},
        ),
    ],
    ids=["switched-off", "implicit-tls"],
)
def test_production_start_up_reads_the_mail_environment(
    tmp_path: Path, environment: dict[str, str], shown: dict[str, Any]
) -> None:
    done = start(tmp_path, **environment)

    assert done.returncode == 0, done.stderr
    config = json.loads(done.stdout.splitlines()[-1])
    enabled = environment.get("PASSWORD_RESET_ENABLED") != "false"
    assert config == {**shown, "PASSWORD_RESET_ENABLED": enabled}


def test_development_prints_the_message_to_standard_output(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    app = create_app(
        "development",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.db'}",
            "PASSWORD_RESET_URL": "http://localhost:5173/reset-password?token={token}",
            "MAIL_BACKEND": "console",
        },
    )
    with app.app_context():
        db.create_all()
    gql = GraphQL(app.test_client())
    Accounts(gql).register("ada@example.com")

    gql.data(REQUEST, {"email": "ada@example.com"})
    assert OUTBOX.wait_idle(10)
    with app.app_context():
        db.engine.dispose()

    printed = capfd.readouterr().out
    assert "To: ada@example.com" in printed
    assert "Subject: Reset your password" in printed
    assert "http://localhost:5173/reset-password?token=" in printed
