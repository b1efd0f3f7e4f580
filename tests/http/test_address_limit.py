"""The blanket per-address limit on /graphql (app/http/address_limit.py;
the rule is app/services/rate_limits.py's)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from app import create_app

ME = {"query": "{ me { id } }"}


def limited_app(database: str, **settings: Any) -> Flask:
    return create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": database,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_PER_IP": "3/minute",
            **settings,
        },
    )


def post_me(client: FlaskClient, address: str = "198.51.100.7") -> Any:
    return client.post("/graphql", json=ME, environ_base={"REMOTE_ADDR": address})


def test_requests_over_the_limit_get_rate_limited_in_the_contract_shape(
    tmp_path: Any,
) -> None:
    client = limited_app(f"sqlite:///{tmp_path / 'db.sqlite'}").test_client()

    statuses = [post_me(client).status_code for _ in range(3)]
    refused = post_me(client)

    assert statuses == [200, 200, 200]
    assert refused.status_code == 429
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 61
    assert refused.get_json() == {
        "errors": [
            {
                "message": "Too many requests from this address; try again in "
                f"{retry_after} seconds (RATELIMIT_PER_IP).",
                "extensions": {"code": "RATE_LIMITED", "retryAfter": retry_after},
            }
        ]
    }


def test_each_address_has_its_own_count(tmp_path: Any) -> None:
    client = limited_app(f"sqlite:///{tmp_path / 'db.sqlite'}").test_client()
    for _ in range(3):
        post_me(client, "198.51.100.1")

    assert post_me(client, "198.51.100.1").status_code == 429
    assert post_me(client, "198.51.100.2").status_code == 200


def test_health_probes_are_not_limited(tmp_path: Any) -> None:
    client = limited_app(f"sqlite:///{tmp_path / 'db.sqlite'}").test_client()
    for _ in range(3):
        post_me(client)

    assert post_me(client).status_code == 429
    assert client.get("/healthz").status_code == 200


def test_the_limit_is_off_when_rate_limiting_is_disabled(tmp_path: Any) -> None:
    app = limited_app(f"sqlite:///{tmp_path / 'db.sqlite'}", RATELIMIT_ENABLED=False)
    client = app.test_client()

    assert [post_me(client).status_code for _ in range(5)] == [200] * 5


def test_an_unreachable_storage_lets_requests_through(tmp_path: Any) -> None:
    """Fail open: a Redis outage must not take the whole API down."""
    app = limited_app(
        f"sqlite:///{tmp_path / 'db.sqlite'}",
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0",
    )
    client = app.test_client()

    responses = [post_me(client) for _ in range(5)]

    assert [r.status_code for r in responses] == [200] * 5
    assert all(r.get_json() == {"data": {"me": None}} for r in responses)
