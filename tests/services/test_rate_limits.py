"""The rate-limit rules, counted in memory and against an unreachable or
hung Redis: app.services.rate_limits."""

from __future__ import annotations

import logging
import threading
from typing import Any

import limits.storage
import pytest
from flask import Flask

from app.errors import RateLimited
from app.services import rate_limits
from app.services.rate_limits import (
    LOGIN_PER_EMAIL,
    LOGIN_PER_IP,
    PER_TOKEN,
    REFRESH_PER_IP,
    REGISTER_PER_IP,
    RateLimits,
    init_rate_limits,
)
from tests.support.clock import Clock

CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"


def refused(limiter: RateLimits, rule: rate_limits.Rule, key: str) -> int:
    """The retryAfter of a refused hit (fails when the hit is allowed)."""
    with pytest.raises(RateLimited) as raised:
        limiter.hit(rule, key)
    return raised.value.retry_after


def test_allows_the_limit_then_refuses_with_retry_after(clock: Clock) -> None:
    limiter = RateLimits({"RATELIMIT_LOGIN_PER_IP": "3/minute"})
    for _ in range(3):
        limiter.hit(LOGIN_PER_IP, "203.0.113.1")

    with pytest.raises(RateLimited) as raised:
        limiter.hit(LOGIN_PER_IP, "203.0.113.1")

    error = raised.value
    assert (error.code, error.retry_after) == ("RATE_LIMITED", 60)
    assert error.extensions == {"retryAfter": 60}
    assert error.message == "Too many requests; try again in 60 seconds."


def test_the_window_moves_with_each_attempt(clock: Clock) -> None:
    limiter = RateLimits({"RATELIMIT_LOGIN_PER_IP": "3/minute"})
    for _ in range(3):
        limiter.hit(LOGIN_PER_IP, "a")
        clock.advance(10)  # attempts at +0, +10, +20

    clock.advance(0.5)  # +30.5: the oldest leaves the window at +60
    assert refused(limiter, LOGIN_PER_IP, "a") == 30
    clock.advance(29)  # +59.5: rounded up to a whole second
    assert refused(limiter, LOGIN_PER_IP, "a") == 1
    clock.advance(1)
    limiter.hit(LOGIN_PER_IP, "a")  # +60.5: the +0 attempt has left
    assert refused(limiter, LOGIN_PER_IP, "a") == 10  # the +10 one leaves at +70


def test_refused_attempts_are_not_counted(clock: Clock) -> None:
    limiter = RateLimits({"RATELIMIT_REGISTER_PER_IP": "2/minute"})
    limiter.hit(REGISTER_PER_IP, "a")
    limiter.hit(REGISTER_PER_IP, "a")
    for _ in range(10):
        assert refused(limiter, REGISTER_PER_IP, "a") == 60

    clock.advance(60.5)
    limiter.hit(REGISTER_PER_IP, "a")
    limiter.hit(REGISTER_PER_IP, "a")
    assert refused(limiter, REGISTER_PER_IP, "a") == 60


def test_every_limit_of_a_rule_holds(clock: Clock) -> None:
    limiter = RateLimits({"RATELIMIT_LOGIN_PER_EMAIL": "2/minute;3/hour"})
    limiter.hit(LOGIN_PER_EMAIL, "ada")
    limiter.hit(LOGIN_PER_EMAIL, "ada")
    assert refused(limiter, LOGIN_PER_EMAIL, "ada") == 60

    clock.advance(61)
    limiter.hit(LOGIN_PER_EMAIL, "ada")
    assert refused(limiter, LOGIN_PER_EMAIL, "ada") == 3600 - 61


def test_keys_and_rules_count_apart(clock: Clock) -> None:
    limiter = RateLimits(
        {"RATELIMIT_LOGIN_PER_IP": "1/minute", "RATELIMIT_REFRESH_PER_IP": "1/minute"}
    )
    limiter.hit(LOGIN_PER_IP, "a")
    limiter.hit(LOGIN_PER_IP, "b")
    limiter.hit(REFRESH_PER_IP, "a")

    assert refused(limiter, LOGIN_PER_IP, "a") == 60
    assert refused(limiter, REFRESH_PER_IP, "a") == 60


def test_keys_are_digests_that_take_any_text(clock: Clock) -> None:
    """A lone surrogate (valid in JSON) and '/' (the storage's separator)
    are counted like any other key."""
    limiter = RateLimits({"RATELIMIT_LOGIN_PER_EMAIL": "1/minute"})
    limiter.hit(LOGIN_PER_EMAIL, "\ud800@example.com")
    limiter.hit(LOGIN_PER_EMAIL, "a/b")
    limiter.hit(LOGIN_PER_EMAIL, "a")

    assert refused(limiter, LOGIN_PER_EMAIL, "\ud800@example.com") == 60
    assert refused(limiter, LOGIN_PER_EMAIL, "a/b") == 60


def test_disabled_counts_nothing_and_builds_no_storage() -> None:
    limiter = RateLimits(
        {
            "RATELIMIT_ENABLED": False,
            "RATELIMIT_STORAGE_URI": CLOSED_PORT_REDIS,
            "RATELIMIT_LOGIN_PER_IP": "1/minute",
        }
    )
    for _ in range(5):
        limiter.hit(LOGIN_PER_IP, "a")
    assert limiter.limiter is None
    assert limiter.weighted_limiter is None


def test_defaults_are_sane() -> None:
    limiter = RateLimits({})
    assert {rule.setting: str(limiter.limits[rule][0]) for rule in limiter.limits} == {
        "RATELIMIT_LOGIN_PER_IP": "20 per 1 minute",
        "RATELIMIT_LOGIN_PER_EMAIL": "10 per 1 minute",
        "RATELIMIT_REGISTER_PER_IP": "20 per 1 hour",
        "RATELIMIT_REFRESH_PER_IP": "60 per 1 minute",
        "RATELIMIT_PER_TOKEN": "600 per 1 minute",
        "RATELIMIT_COST_PER_ACCOUNT": "500000 per 1 minute",
        "RATELIMIT_RESET_REQUEST_PER_IP": "10 per 1 minute",
        "RATELIMIT_RESET_REQUEST_PER_EMAIL": "3 per 1 hour",
        "RATELIMIT_RESET_PASSWORD_PER_IP": "20 per 1 minute",
        "RATELIMIT_EXPORT_PER_ACCOUNT": "10 per 1 minute",
    }
    assert [str(item) for item in limiter.limits[LOGIN_PER_EMAIL]] == [
        "10 per 1 minute",
        "100 per 1 hour",
    ]


@pytest.mark.parametrize("value", ["ten per minute", "10/fortnight", ""])
def test_a_bad_limit_stops_the_start_naming_the_setting(value: str) -> None:
    with pytest.raises(RuntimeError, match=r"^RATELIMIT_PER_TOKEN must be limits like"):
        RateLimits({"RATELIMIT_PER_TOKEN": value})


def test_an_unknown_storage_stops_the_start_without_quoting_the_uri() -> None:
    with pytest.raises(RuntimeError) as raised:
        RateLimits({"RATELIMIT_STORAGE_URI": "rediz://:hunter2@cache:6379/0"})
    assert str(raised.value).startswith("RATELIMIT_STORAGE_URI is not a storage")
    assert "hunter2" not in str(raised.value)
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__


def test_redis_down_fails_closed_for_sign_in_and_open_for_tokens(
    caplog: pytest.LogCaptureFixture,
) -> None:
    limiter = RateLimits({"RATELIMIT_STORAGE_URI": CLOSED_PORT_REDIS})
    caplog.set_level(logging.WARNING, logger="app.services.rate_limits")

    for rule in (LOGIN_PER_IP, LOGIN_PER_EMAIL, REGISTER_PER_IP, REFRESH_PER_IP):
        assert refused(limiter, rule, "a") == rate_limits.STORAGE_DOWN_RETRY_AFTER == 30
    limiter.hit(PER_TOKEN, "session")

    assert [record.getMessage() for record in caplog.records] == [
        "rate-limit storage unavailable (ConnectionError); refusing login-ip",
        "rate-limit storage unavailable (ConnectionError); refusing login-email",
        "rate-limit storage unavailable (ConnectionError); refusing register-ip",
        "rate-limit storage unavailable (ConnectionError); refusing refresh-ip",
        "rate-limit storage unavailable (ConnectionError); allowing token",
    ]
    assert all(record.exc_info is None for record in caplog.records)


def test_a_hung_redis_times_out_instead_of_hanging_the_request(
    hung_server: int,
) -> None:
    """The default socket timeout bounds the wait; without it redis-py waits
    for a reply forever (the thread below would then never finish)."""
    limiter = RateLimits(
        {
            "RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{hung_server}/0",
            "RATELIMIT_STORAGE_TIMEOUT": 0.2,
        }
    )
    outcome: list[Any] = []

    def attempt() -> None:
        try:
            limiter.hit(LOGIN_PER_IP, "a")
        except RateLimited as error:
            outcome.append(error.retry_after)

    thread = threading.Thread(target=attempt, daemon=True)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert outcome == [30]


def test_redis_gets_the_default_timeouts_and_the_uri_can_override_them() -> None:
    plain = RateLimits({"RATELIMIT_STORAGE_URI": CLOSED_PORT_REDIS})
    custom = RateLimits(
        {"RATELIMIT_STORAGE_URI": CLOSED_PORT_REDIS + "?socket_timeout=2"}
    )

    def socket_options(limiter: RateLimits) -> tuple[Any, Any]:
        assert limiter.limiter is not None
        storage = limiter.limiter.storage
        assert isinstance(storage, limits.storage.RedisStorage)
        kwargs = storage.get_connection().connection_pool.connection_kwargs
        return kwargs["socket_timeout"], kwargs["socket_connect_timeout"]

    assert socket_options(plain) == (0.5, 0.5)
    assert socket_options(custom) == (2.0, 0.5)


def test_login_counts_per_address_and_per_normalised_email(clock: Clock) -> None:
    app = Flask(__name__)
    app.config.update(
        RATELIMIT_LOGIN_PER_IP="2/minute", RATELIMIT_LOGIN_PER_EMAIL="2/minute"
    )
    init_rate_limits(app)
    with app.app_context():
        rate_limits.login_attempt("198.51.100.1", " Ada@Example.COM")
        rate_limits.login_attempt("198.51.100.2", "ada@example.com ")
        with pytest.raises(RateLimited):  # another address, the same account
            rate_limits.login_attempt("198.51.100.3", "ADA@example.com")
        rate_limits.login_attempt("198.51.100.1", "bob@example.com")
        with pytest.raises(RateLimited):  # a third attempt from .1
            rate_limits.login_attempt("198.51.100.1", "carol@example.com")


def test_init_builds_the_limiter() -> None:
    """The proxy fix it used to apply as well: tests/http/test_proxy.py."""
    plain = Flask("plain")
    init_rate_limits(plain)

    assert isinstance(plain.extensions["rate_limits"], RateLimits)


def test_init_refuses_bad_settings_at_start_up() -> None:
    app = Flask(__name__)
    app.config["RATELIMIT_LOGIN_PER_IP"] = "lots"
    with pytest.raises(RuntimeError, match="RATELIMIT_LOGIN_PER_IP"):
        init_rate_limits(app)
