"""Apps with routes that log and fail, for the logging tests."""

from __future__ import annotations

import logging
import logging.config
from collections.abc import Callable

from flask import Flask

PRODUCTION_SECRETS = {
    "SECRET_KEY": "production-secret-key-" + "x" * 32,
    "JWT_SECRET_KEY": "production-jwt-secret-key-" + "y" * 32,
}

log = logging.getLogger("app.test_logging")

MakeApp = Callable[..., Flask]
