"""The per-address limit wired into Flask: Flask-Limiter counts every
/graphql request against the rule `rate_limits.per_address_limit` (the
rule, its storage and its failure mode are described with the others in
app/services/rate_limits.py), and a refusal is the contract's RATE_LIMITED
with `Retry-After`.
"""

from __future__ import annotations

import math
import time
from typing import Any, cast

from flask import Flask
from flask.typing import RouteCallable
from flask_limiter.errors import RateLimitExceeded

from app.extensions import limiter
from app.http.errors import error_body
from app.services.rate_limits import per_address_limit


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


def init_address_limit(app: Flask) -> None:
    app.register_error_handler(RateLimitExceeded, too_many_requests)
