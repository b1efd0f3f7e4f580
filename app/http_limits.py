"""A blanket limit on /graphql requests per client address (Flask-Limiter).

The per-operation rules in app/services/rate_limits.py cover sign-in and
signed-in use; this one also bounds anonymous traffic and requests with bad
tokens, which no per-login rule sees. It fails open: when its storage is
down, requests are served (the sign-in rules still fail closed).
"""

from __future__ import annotations

import math
import time
from typing import Any, cast

from flask import Flask, current_app
from flask.typing import RouteCallable
from flask_limiter.errors import RateLimitExceeded

from app.extensions import limiter


def per_address_limit() -> str:
    limit: str = current_app.config["RATELIMIT_PER_IP"]
    return limit


def limit_per_address(view: RouteCallable) -> RouteCallable:
    return cast(RouteCallable, limiter.limit(per_address_limit)(view))


def too_many_requests(
    _error: RateLimitExceeded,
) -> tuple[dict[str, Any], int, dict[str, str]]:
    """The contract's RATE_LIMITED error, with `Retry-After`."""
    current = limiter.current_limit
    retry_after = max(1, math.ceil(current.reset_at - time.time())) if current else 1
    message = (
        "Too many requests from this address; "
        f"try again in {retry_after} seconds (RATELIMIT_PER_IP)."
    )
    body = error_body(message, "RATE_LIMITED", retryAfter=retry_after)
    return body, 429, {"Retry-After": str(retry_after)}


def error_body(
    message: str, code: str = "BAD_USER_INPUT", **extensions: object
) -> dict[str, Any]:
    """The body of a refusal made before any GraphQL runs (a request too
    large, too frequent or unreadable): one error in the contract's shape."""
    return {
        "errors": [{"message": message, "extensions": {"code": code, **extensions}}]
    }


def init_http_limits(app: Flask) -> None:
    app.register_error_handler(RateLimitExceeded, too_many_requests)
