"""Throttling in the GraphQL layer: count an attempt against a rule of
app/services/rate_limits.py before a resolver runs, and answer a refusal
with an HTTP `Retry-After` header as well.

One field execution is one attempt, so aliases and repeated mutations in a
document each count, and the refusal comes before the service does any work
(no password hashing for a refused login).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Request, Response
from strawberry.extensions import FieldExtension
from strawberry.extensions.field_extension import SyncExtensionResolver
from strawberry.types import Info

from app.errors import RateLimited
from app.services import rate_limits

Count = Callable[[Request, dict[str, Any]], None]


def client_address(request: Request) -> str:
    """The peer's address (behind trusted proxies, the proxy fix,
    app/http/proxy.py, has put the client's there); "unknown" shares one
    count, e.g. on a Unix socket."""
    return request.remote_addr or "unknown"


@contextmanager
def retry_after_header(response: Response) -> Iterator[None]:
    """Copy a RateLimited's retryAfter into the `Retry-After` header, keeping
    the longest wait when several fields of one request are refused."""
    try:
        yield
    except RateLimited as error:
        waiting = int(response.headers.get("Retry-After", 0))
        response.headers["Retry-After"] = str(max(waiting, error.retry_after))
        raise


class RateLimit(FieldExtension):
    """Runs `count(request, arguments)` before the resolver; RATE_LIMITED
    instead of the resolver when it is over a limit."""

    def __init__(self, count: Count) -> None:
        self.count = count

    def resolve(
        self, next_: SyncExtensionResolver, source: Any, info: Info, **kwargs: Any
    ) -> Any:
        with retry_after_header(info.context.response):
            self.count(info.context.request, kwargs)
        return next_(source, info, **kwargs)


def count_login(request: Request, arguments: dict[str, Any]) -> None:
    rate_limits.login_attempt(client_address(request), arguments["input"].email)


def count_register(request: Request, _arguments: dict[str, Any]) -> None:
    rate_limits.register_attempt(client_address(request))


def count_refresh(request: Request, _arguments: dict[str, Any]) -> None:
    rate_limits.refresh_attempt(client_address(request))


def count_reset_request(request: Request, arguments: dict[str, Any]) -> None:
    rate_limits.reset_request(client_address(request), arguments["email"])


def count_reset_password(request: Request, _arguments: dict[str, Any]) -> None:
    rate_limits.reset_password_attempt(client_address(request))


def count_password_check(request: Request, response: Response, email: str) -> None:
    """A signed-in user's password checked again (changePassword,
    deleteAccount): counted as a login attempt of the account, against the
    same limits and the same counts, so a stolen access token guesses no
    faster than a stranger at the login form."""
    with retry_after_header(response):
        rate_limits.login_attempt(client_address(request), email)
