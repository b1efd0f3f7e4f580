"""Apps that send their mail to the tests' SMTP server, for the password
reset tests."""

from __future__ import annotations

from typing import Any

from flask import Flask

from app import create_app
from app.extensions import db
from tests.smtp import SmtpServer

IDLE_TIMEOUT = 10.0


def make_app(database: str, smtp_server: SmtpServer, **settings: Any) -> Flask:
    app = create_app(
        "testing",
        {"SQLALCHEMY_DATABASE_URI": database, **smtp_server.settings(), **settings},
    )
    with app.app_context():
        db.create_all()
    return app
