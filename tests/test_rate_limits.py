"""Rate limits over HTTP: login per address and per email, register and
refreshToken per address, the per-token limit, RATE_LIMITED with retryAfter
and Retry-After, counted per field, shared by workers through Redis, and
what happens when Redis is down.

The `app` fixture turns rate limiting off, so these tests build their own
apps with it on (on the same database, to play several workers).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from flask import Response
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from app.errors import RateLimited
from app.extensions import db
from app.models import AuthSession, User
from app.schema.throttling import retry_after_header
from app.services import passwords
from tests.helpers import REFUSED_LOGIN
from tests.operations import LOGIN, ME_EMAIL, REFRESH_TOKEN, REGISTER
from tests.support.clock import Clock
from tests.support.limited_api import PASSWORD, MakeApi

CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"


def limited(path: list[str], retry_after: int = 60) -> dict[str, Any]:
    """The error of a refused field, as the contract has it."""
    return {
        "message": f"Too many requests; try again in {retry_after} seconds.",
        "path": path,
        "extensions": {"code": "RATE_LIMITED", "retryAfter": retry_after},
    }


def errors_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {key: error[key] for key in ("message", "path", "extensions")}
        for error in body.get("errors", [])
    ]


def login_result(response: TestResponse) -> Any:
    return response.get_json()["data"]["login"]


def assert_refused(
    response: TestResponse, path: list[str], retry_after: int = 60
) -> dict[str, Any]:
    body: dict[str, Any] = response.get_json()
    assert errors_of(body) == [limited(path, retry_after)]
    assert response.headers["Retry-After"] == str(retry_after)
    return body


# --- each rule trips at its limit -------------------------------------------------


def test_login_per_address(make_limited_api: MakeApi, clock_from_now: Clock) -> None:
    api = make_limited_api(RATELIMIT_LOGIN_PER_IP="3/minute")
    for number in range(3):
        assert login_result(api.login(f"user{number}@example.com")) == REFUSED_LOGIN

    refused = api.login("user9@example.com")
    assert assert_refused(refused, ["login"])["data"] is None
    assert login_result(api.login("user9@example.com", address="192.0.2.2")) == (
        REFUSED_LOGIN
    )

    clock_from_now.advance(60.5)
    assert login_result(api.login("user9@example.com")) == REFUSED_LOGIN


def test_login_per_email_holds_across_addresses(
    make_limited_api: MakeApi, clock_from_now: Clock
) -> None:
    api = make_limited_api(RATELIMIT_LOGIN_PER_EMAIL="2/minute")
    api.login("ada@example.com", address="198.51.100.1")
    api.login(" ADA@example.com", address="198.51.100.2")

    assert_refused(api.login("Ada@Example.com", address="198.51.100.3"), ["login"])
    assert login_result(api.login("bob@example.com", address="198.51.100.3")) == (
        REFUSED_LOGIN
    )


def test_a_refused_login_does_no_password_work(
    make_limited_api: MakeApi, clock_from_now: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even the right password is refused while the account is limited, and
    neither the password nor the account is looked at."""
    api = make_limited_api(RATELIMIT_LOGIN_PER_EMAIL="2/minute")
    api.register("ada@example.com")
    api.login("ada@example.com")
    api.login("ada@example.com")
    verified: list[str] = []
    real_verify = passwords.verify_password

    def spy(hashed: str | None, password: str) -> bool:
        verified.append(password)
        return real_verify(hashed, password)

    monkeypatch.setattr(passwords, "verify_password", spy)

    assert_refused(api.login("ada@example.com", PASSWORD), ["login"])
    assert verified == []
    with api.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuthSession)) == 1

    clock_from_now.advance(60.5)
    assert login_result(api.login("ada@example.com", PASSWORD))["accessToken"]
    assert verified == [PASSWORD]


def test_register_per_address(make_limited_api: MakeApi, clock_from_now: Clock) -> None:
    api = make_limited_api(RATELIMIT_REGISTER_PER_IP="2/hour")
    api.register("ada@example.com")
    api.register("bob@example.com")

    refused = api.post(
        REGISTER, {"input": {"email": "eve@example.com", "password": PASSWORD}}
    )
    assert_refused(refused, ["register"], retry_after=3600)
    with api.app.app_context():
        assert db.session.scalars(select(User.email).order_by(User.id)).all() == [
            "ada@example.com",
            "bob@example.com",
        ]
    api.register("eve@example.com", address="192.0.2.2")


def test_refresh_token_per_address(
    make_limited_api: MakeApi, clock_from_now: Clock
) -> None:
    """The refused call does nothing: its refresh token still works later."""
    api = make_limited_api(RATELIMIT_REFRESH_PER_IP="2/minute")
    token = api.register("ada@example.com")["refreshToken"]
    for _ in range(2):
        token = api(REFRESH_TOKEN, {"refreshToken": token})["data"]["refreshToken"][
            "refreshToken"
        ]

    assert_refused(api.post(REFRESH_TOKEN, {"refreshToken": token}), ["refreshToken"])

    clock_from_now.advance(60.5)
    payload = api(REFRESH_TOKEN, {"refreshToken": token})["data"]["refreshToken"]
    assert payload["userErrors"] == []
    assert payload["refreshToken"]


# --- counted per field ------------------------------------------------------------

TWO_LOGINS = """
mutation Two($input: LoginInput!) {
  %s: login(input: $input) { userErrors { code } }
  %s: login(input: $input) { userErrors { code } }
}
"""


def test_aliases_and_repeated_mutations_each_count(
    make_limited_api: MakeApi, clock_from_now: Clock
) -> None:
    api = make_limited_api(RATELIMIT_LOGIN_PER_IP="3/minute")
    login = {"input": {"email": "ada@example.com", "password": "wrong password"}}
    errors = [{"code": "INVALID_CREDENTIALS"}]

    assert api(TWO_LOGINS % ("a", "b"), login) == {
        "data": {"a": {"userErrors": errors}, "b": {"userErrors": errors}}
    }
    response = api.post(TWO_LOGINS % ("c", "d"), login)

    # `d` is the fourth attempt; login's payload is non-null, so data is null.
    assert assert_refused(response, ["d"])["data"] is None


CONTACT_FIELDS = "{ contact { tags { name contactCount } } userErrors { code } }"
TWO_CONTACTS = f"""
mutation {{
  a: createContact(input: {{firstName: "Ada", tags: ["math", "poetry"]}})
    {CONTACT_FIELDS}
  b: createContact(input: {{firstName: "Bob", tags: ["math"]}}) {CONTACT_FIELDS}
}}
"""
PAGE_AND_TAGS = """
{
  contacts(first: 10) { nodes { firstName tags { name contactCount } } }
  tags { name contactCount }
}
"""


def test_per_token_counts_each_authenticated_root_field(
    make_limited_api: MakeApi, clock_from_now: Clock
) -> None:
    """Two mutations, then a query with two root fields: four uses; nested
    fields (tags and their counts, recomputed after each mutation) are free."""
    api = make_limited_api(RATELIMIT_PER_TOKEN="4/minute")
    registered = api.register("ada@example.com")
    token = registered["accessToken"]

    created = api(TWO_CONTACTS, token=token)
    assert "errors" not in created
    assert created["data"]["b"]["contact"]["tags"] == [
        {"name": "math", "contactCount": 2}
    ]
    assert api(PAGE_AND_TAGS, token=token)["data"]["tags"] == [
        {"name": "math", "contactCount": 2},
        {"name": "poetry", "contactCount": 1},
    ]

    refused = api.post(ME_EMAIL, token=token)
    assert assert_refused(refused, ["me"])["data"] == {"me": None}

    # Another login of the same account has its own count; logging out is
    # never refused; without a token nothing is counted.
    other = login_result(api.login("ada@example.com", PASSWORD))["accessToken"]
    assert api(ME_EMAIL, token=other) == {"data": {"me": {"email": "ada@example.com"}}}
    logout = "mutation($t: String) { logout(refreshToken: $t) { ok } }"
    assert api(logout, {"t": registered["refreshToken"]}, token=token) == {
        "data": {"logout": {"ok": True}}
    }
    assert api(ME_EMAIL) == {"data": {"me": None}}


def test_the_longest_wait_goes_in_the_header() -> None:
    response = Response()
    for wait in (10, 60, 30):
        with pytest.raises(RateLimited), retry_after_header(response):
            raise RateLimited(wait)
    assert response.headers["Retry-After"] == "60"


# --- switched off -----------------------------------------------------------------


def test_disabled_limits_nothing(make_limited_api: MakeApi) -> None:
    one = "1/minute"
    api = make_limited_api(
        RATELIMIT_ENABLED=False,
        RATELIMIT_LOGIN_PER_IP=one,
        RATELIMIT_LOGIN_PER_EMAIL=one,
        RATELIMIT_REGISTER_PER_IP=one,
        RATELIMIT_REFRESH_PER_IP=one,
        RATELIMIT_PER_TOKEN=one,
    )
    token = api.register("ada@example.com")["refreshToken"]
    api.register("bob@example.com")
    for _ in range(3):
        response = api.login("ada@example.com", PASSWORD)
        access = login_result(response)["accessToken"]
        assert "Retry-After" not in response.headers
        assert api(ME_EMAIL, token=access)["data"]["me"]["email"] == "ada@example.com"
        assert api(ME_EMAIL, token=access)["data"]["me"]["email"] == "ada@example.com"
        token = api(REFRESH_TOKEN, {"refreshToken": token})["data"]["refreshToken"][
            "refreshToken"
        ]


# --- client addresses behind proxies ----------------------------------------------


def test_forwarded_for_is_ignored_without_trusted_proxies(
    make_limited_api: MakeApi, clock_from_now: Clock
) -> None:
    api = make_limited_api(RATELIMIT_LOGIN_PER_IP="2/minute")
    for fake in ("203.0.113.1", "203.0.113.2"):
        api.login("ada@example.com", headers={"X-Forwarded-For": fake})

    refused = api.login("ada@example.com", headers={"X-Forwarded-For": "203.0.113.3"})
    assert_refused(refused, ["login"])


def test_a_trusted_proxy_forwards_the_client_address(
    make_limited_api: MakeApi, clock_from_now: Clock
) -> None:
    api = make_limited_api(RATELIMIT_LOGIN_PER_IP="2/minute", TRUSTED_PROXY_COUNT=1)
    proxy = "10.0.0.1"

    def via_proxy(forwarded_for: str) -> TestResponse:
        return api.login(
            "ada@example.com",
            address=proxy,
            headers={"X-Forwarded-For": forwarded_for},
        )

    via_proxy("203.0.113.1")
    via_proxy("203.0.113.1")
    assert login_result(via_proxy("203.0.113.2")) == REFUSED_LOGIN
    # The proxy appends the address it saw; what the client wrote before it
    # is not trusted.
    assert_refused(via_proxy("198.51.100.7, 203.0.113.1"), ["login"])


def test_any_text_in_an_email_is_counted(make_limited_api: MakeApi) -> None:
    """A lone surrogate in the JSON body is a valid string to GraphQL."""
    api = make_limited_api()
    body = json.dumps(
        {
            "query": LOGIN,
            "variables": {"input": {"email": "\ud800@x.org", "password": "x"}},
        }
    )
    response = api.client.post("/graphql", data=body, content_type="application/json")
    assert response.status_code == 200
    assert response.get_json() == {"data": {"login": REFUSED_LOGIN}}


# --- Redis: shared by workers, and down -------------------------------------------


@pytest.mark.redis
def test_two_workers_share_the_count_through_redis(
    make_limited_api: MakeApi,
    redis_url: str,
    key_prefix: Callable[[], str],
    clock_from_now: Clock,
) -> None:
    shared = {
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_KEY_PREFIX": key_prefix(),
        "RATELIMIT_LOGIN_PER_IP": "3/minute",
    }
    worker_a, worker_b = make_limited_api(**shared), make_limited_api(**shared)

    worker_a.login("ada@example.com")
    worker_b.login("ada@example.com")
    worker_a.login("ada@example.com")

    assert_refused(worker_b.login("ada@example.com"), ["login"])
    assert_refused(worker_a.login("ada@example.com"), ["login"])
    # Another prefix (another deployment on the same Redis) counts apart.
    elsewhere = make_limited_api(**{**shared, "RATELIMIT_KEY_PREFIX": key_prefix()})
    assert login_result(elsewhere.login("ada@example.com")) == REFUSED_LOGIN


def test_workers_with_memory_storage_count_apart(
    make_limited_api: MakeApi, clock_from_now: Clock
) -> None:
    """The control for the Redis test: memory:// counts per worker."""
    worker_a, worker_b = (
        make_limited_api(RATELIMIT_LOGIN_PER_IP="3/minute") for _ in "ab"
    )
    for _ in range(3):
        worker_a.login("ada@example.com")

    assert_refused(worker_a.login("ada@example.com"), ["login"])
    assert login_result(worker_b.login("ada@example.com")) == REFUSED_LOGIN


def test_redis_down_refuses_sign_in_and_serves_signed_in_users(
    make_limited_api: MakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    """Sign-in fails closed (RATE_LIMITED, retryAfter 30); the per-token
    limit fails open; no response shows the URI or the driver's words."""
    healthy = make_limited_api()  # a worker whose Redis is fine, to sign in through
    issued = healthy.register("ada@example.com")
    down = make_limited_api(RATELIMIT_STORAGE_URI=CLOSED_PORT_REDIS)
    caplog.set_level(logging.WARNING, logger="app.services.rate_limits")

    responses = [
        down.login("ada@example.com", PASSWORD),
        down.post(
            REGISTER, {"input": {"email": "bob@example.com", "password": PASSWORD}}
        ),
        down.post(REFRESH_TOKEN, {"refreshToken": issued["refreshToken"]}),
    ]
    for response, field in zip(
        responses, ["login", "register", "refreshToken"], strict=True
    ):
        assert_refused(response, [field], retry_after=30)
    served = down.post(ME_EMAIL, token=issued["accessToken"])
    assert served.get_json() == {"data": {"me": {"email": "ada@example.com"}}}

    for response in [*responses, served]:
        text_ = response.get_data(as_text=True) + str(response.headers)
        for leak in ("127.0.0.1:1", "redis", "Redis", "Connection", "Error 111"):
            assert leak not in text_
    messages = [
        record.getMessage()
        for record in caplog.records
        if record.name == "app.services.rate_limits"
    ]
    assert messages == [
        "rate-limit storage unavailable (ConnectionError); refusing login-ip",
        "rate-limit storage unavailable (ConnectionError); refusing register-ip",
        "rate-limit storage unavailable (ConnectionError); refusing refresh-ip",
        "rate-limit storage unavailable (ConnectionError); allowing token",
        "rate-limit storage unavailable (ConnectionError); allowing cost",
    ]
    with healthy.app.app_context():
        assert db.session.scalars(select(User.email)).all() == ["ada@example.com"]
