"""Rate limits: how often one client may sign in, register or refresh a
token, and how hard one login may use the API.

The counts live in `RATELIMIT_STORAGE_URI`: `memory://` counts in each
process (and each app object) on its own; Redis shares the counts between
workers and hosts. Every key starts with `RATELIMIT_KEY_PREFIX`, and the
client's value (address, email, login id) is stored only as a digest.

Each rule is a setting in the `limits` notation, e.g. "10/minute;100/hour"
(every limit must hold). The strategy is a moving window: "10/minute" means
at most 10 attempts in any 60 seconds, without the burst of 20 around a
window boundary that fixed windows allow. A refused attempt is not counted,
so waiting `retryAfter` seconds is always enough (for the weighted rule
below: enough for a small operation; a large one may have to wait longer).

When the storage is down, the sign-in rules fail closed (RATE_LIMITED with
`STORAGE_DOWN_RETRY_AFTER`: guessing passwords must not get easier because
Redis went away) and the per-login rule fails open (signed-in users keep
working). Either way a warning names the rule and the error's type, never
the storage URI or the driver's message.

One rule is weighted: `RATELIMIT_COST_PER_ACCOUNT` counts the cost of each
operation an account runs (the node count app/schema/limits.py works out,
e.g. 20 for a page of 20 contacts' names), so one account cannot keep the
workers busy with queries that each pass the cost limit. It counts with a
sliding-window counter, two counters per key, because a moving window
keeps one entry per unit of cost. Each of its limits must be at least
`MAX_QUERY_COST`, or the largest query allowed could never run.

The per-address rule (`RATELIMIT_PER_IP`, read by `per_address_limit`)
bounds every /graphql request, anonymous ones and those with bad tokens
included, which no per-login rule sees. Flask-Limiter counts it, in the same
storage under the same key prefix (keyed by the plain address, with its
fixed window), and it fails open (`RATELIMIT_SWALLOW_ERRORS`);
app/http/address_limit.py puts it on the /graphql view and answers its 429.
The client address every rule counts by is the proxy fix's
(app/http/proxy.py).

An export (GET /export/contacts.vcf and .csv, app/http/export.py) is under
the per-address rule too (put on its views the same way), counts one use of
the login's token, and one against `RATELIMIT_EXPORT_PER_ACCOUNT`, since it
reads the whole address book: `export_attempt`.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app
from limits import RateLimitItem, parse_many
from limits.errors import ConfigurationError, StorageError
from limits.storage import Storage, storage_from_string
from limits.strategies import (
    MovingWindowRateLimiter,
    RateLimiter,
    SlidingWindowCounterRateLimiter,
)

from app.errors import RateLimited
from app.services.text import email_key

logger = logging.getLogger(__name__)

EXTENSION = "rate_limits"
DEFAULT_KEY_PREFIX = "contacts-api"
DEFAULT_STORAGE_TIMEOUT = 0.5  # seconds, for each connect and each reply
STORAGE_DOWN_RETRY_AFTER = 30  # seconds, when a fail-closed rule cannot count


@dataclass(frozen=True)
class Rule:
    name: str  # part of the storage key
    setting: str  # the config key holding the limits
    default: str
    fail_open: bool = False  # when the storage is down: let through, or refuse
    weighted: bool = False  # an attempt counts its cost, not 1


LOGIN_PER_IP = Rule("login-ip", "RATELIMIT_LOGIN_PER_IP", "20/minute")
LOGIN_PER_EMAIL = Rule("login-email", "RATELIMIT_LOGIN_PER_EMAIL", "10/minute;100/hour")
REGISTER_PER_IP = Rule("register-ip", "RATELIMIT_REGISTER_PER_IP", "20/hour")
REFRESH_PER_IP = Rule("refresh-ip", "RATELIMIT_REFRESH_PER_IP", "60/minute")
PER_TOKEN = Rule("token", "RATELIMIT_PER_TOKEN", "600/minute", fail_open=True)
# Password reset: requests (each may mail a link) per address and per
# email, whatever the account (counting only known ones would tell them
# apart); uses of a token per address.
RESET_REQUEST_PER_IP = Rule(
    "reset-request-ip", "RATELIMIT_RESET_REQUEST_PER_IP", "10/minute;50/hour"
)
RESET_REQUEST_PER_EMAIL = Rule(
    "reset-request-email", "RATELIMIT_RESET_REQUEST_PER_EMAIL", "3/hour;10/day"
)
RESET_PASSWORD_PER_IP = Rule(
    "reset-password-ip", "RATELIMIT_RESET_PASSWORD_PER_IP", "20/minute;100/hour"
)
COST_PER_ACCOUNT = Rule(
    "cost",
    "RATELIMIT_COST_PER_ACCOUNT",
    "500000/minute;5000000/hour",
    fail_open=True,
    weighted=True,
)
# An export (app/services/exports.py) reads the whole address book in one
# request, which neither the per-login rule (one use) nor the cost rule
# (which counts GraphQL nodes) weighs: exports per account, whichever login.
EXPORT_PER_ACCOUNT = Rule(
    "export", "RATELIMIT_EXPORT_PER_ACCOUNT", "10/minute;100/hour", fail_open=True
)
RULES = (
    LOGIN_PER_IP,
    LOGIN_PER_EMAIL,
    REGISTER_PER_IP,
    REFRESH_PER_IP,
    PER_TOKEN,
    COST_PER_ACCOUNT,
    RESET_REQUEST_PER_IP,
    RESET_REQUEST_PER_EMAIL,
    RESET_PASSWORD_PER_IP,
    EXPORT_PER_ACCOUNT,
)


def per_address_limit() -> str:
    """The per-address rule's limits (`RATELIMIT_PER_IP`, e.g. "300/minute"),
    which Flask-Limiter reads when it checks a request."""
    limit: str = current_app.config["RATELIMIT_PER_IP"]
    return limit


class RateLimits:
    """One app's limiter: where the counts live, and each rule's limits."""

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.prefix = str(settings.get("RATELIMIT_KEY_PREFIX", DEFAULT_KEY_PREFIX))
        self.limits = {rule: _parse(rule, settings) for rule in RULES}
        self.limiter: RateLimiter | None = None
        self.weighted_limiter: RateLimiter | None = None
        if settings.get("RATELIMIT_ENABLED", True):
            storage = _storage(settings)
            self.limiter = MovingWindowRateLimiter(storage)
            self.weighted_limiter = SlidingWindowCounterRateLimiter(storage)

    def hit(self, rule: Rule, key: str, cost: int = 1) -> None:
        """Count one attempt by `key` (an address, an email, a login id)
        under `rule`, as `cost` attempts for a weighted rule; RateLimited
        when over one of its limits (the refused attempt does not count
        against that limit)."""
        limiter = self.weighted_limiter if rule.weighted else self.limiter
        if limiter is None:
            return
        identifiers = (self.prefix, rule.name, _digest(key))
        try:
            for item in self.limits[rule]:
                if not limiter.hit(item, *identifiers, cost=cost):
                    raise RateLimited(self._retry_after(limiter, item, identifiers))
        except StorageError as error:
            logger.warning(
                "rate-limit storage unavailable (%s); %s %s",
                type(error.storage_error).__name__,
                "allowing" if rule.fail_open else "refusing",
                rule.name,
            )
            if not rule.fail_open:
                raise RateLimited(STORAGE_DOWN_RETRY_AFTER) from None

    @staticmethod
    def _retry_after(
        limiter: RateLimiter, item: RateLimitItem, identifiers: tuple[str, ...]
    ) -> int:
        """Whole seconds until the window has room again (to the millisecond
        first: Redis hands the time back with 14 significant digits, which
        would otherwise make 60 s into 61)."""
        reset = limiter.get_window_stats(item, *identifiers).reset_time
        return max(1, math.ceil(round(reset - time.time(), 3)))


def _parse(rule: Rule, settings: Mapping[str, Any]) -> list[RateLimitItem]:
    value = settings.get(rule.setting, rule.default)
    try:
        items = parse_many(value)
    except ValueError:
        raise RuntimeError(
            f"{rule.setting} must be limits like '10/minute;100/hour', not {value!r}"
        ) from None
    largest_cost = int(settings.get("MAX_QUERY_COST", 1))
    if rule.weighted and any(item.amount < largest_cost for item in items):
        raise RuntimeError(
            f"{rule.setting} ({value!r}) must allow at least MAX_QUERY_COST "
            f"({largest_cost}) in every window, or the largest query allowed "
            "could never run"
        )
    return items


def _storage(settings: Mapping[str, Any]) -> Storage:
    """The storage of RATELIMIT_STORAGE_URI. Redis gets socket timeouts (a
    `?socket_timeout=` in the URI wins), so a hung server cannot hang every
    login; errors are wrapped as StorageError for `hit` to handle."""
    uri = str(settings.get("RATELIMIT_STORAGE_URI", "memory://"))
    options: dict[str, float] = {}
    if urlsplit(uri).scheme.startswith(("redis", "valkey")):
        timeout = float(
            settings.get("RATELIMIT_STORAGE_TIMEOUT", DEFAULT_STORAGE_TIMEOUT)
        )
        options = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    try:
        storage = storage_from_string(uri, wrap_exceptions=True, **options)
    except ConfigurationError:
        # The library's message quotes the URI, which may hold a password.
        raise RuntimeError(
            "RATELIMIT_STORAGE_URI is not a storage the limits library knows "
            "(memory://, redis://host:port/db, ...)"
        ) from None
    assert isinstance(storage, Storage)  # a synchronous storage
    return storage


def _digest(key: str) -> str:
    """A fixed-length stand-in for `key`: no emails or addresses in the
    storage, and no '/' from user input in the key. `surrogatepass` because
    JSON can carry lone surrogates, which strict UTF-8 refuses."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def init_rate_limits(app: Flask) -> None:
    """Build the app's limiter now, so bad settings stop the start-up."""
    app.extensions[EXTENSION] = RateLimits(app.config)


def current() -> RateLimits:
    """The current app's limiter (built by `init_rate_limits`)."""
    limits: RateLimits = current_app.extensions[EXTENSION]
    return limits


def login_attempt(address: str, email: str) -> None:
    """A login: counted per client address and per account, whatever the
    address (one email tried from many addresses is still one account)."""
    limits = current()
    limits.hit(LOGIN_PER_IP, address)
    limits.hit(LOGIN_PER_EMAIL, email_key(email))


def register_attempt(address: str) -> None:
    current().hit(REGISTER_PER_IP, address)


def refresh_attempt(address: str) -> None:
    current().hit(REFRESH_PER_IP, address)


def reset_request(address: str, email: str) -> None:
    """A password-reset request: per client address and per email (in the
    form accounts are looked up by), whether or not an account has it."""
    limits = current()
    limits.hit(RESET_REQUEST_PER_IP, address)
    limits.hit(RESET_REQUEST_PER_EMAIL, email_key(email))


def reset_password_attempt(address: str) -> None:
    current().hit(RESET_PASSWORD_PER_IP, address)


def token_use(session_id: str, uses: int = 1) -> None:
    """One authenticated field executed with a login's access token, as
    `uses` uses (a batch mutation counts one per item)."""
    current().hit(PER_TOKEN, session_id, uses)


def query_cost_use(user_id: int, cost: int) -> None:
    """One operation of `cost` nodes run by an account, whichever login."""
    current().hit(COST_PER_ACCOUNT, f"user:{user_id}", cost)


def export_attempt(session_id: str, user_id: int) -> None:
    """An export: one use of the login's token (as a GraphQL field is) and
    one of the account's exports."""
    limits = current()
    limits.hit(PER_TOKEN, session_id)
    limits.hit(EXPORT_PER_ACCOUNT, f"user:{user_id}")
