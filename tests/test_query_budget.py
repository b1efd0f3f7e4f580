"""The per-account budget of nodes (RATELIMIT_COST_PER_ACCOUNT): one account
may not keep the workers busy with queries that each pass the cost limit,
and spending it slows no other account."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from limits import parse_many

from app.errors import RateLimited
from app.services import rate_limits
from app.services.rate_limits import COST_PER_ACCOUNT, RateLimits

# Costs 100 (app/schema/limits.py): 50 edges of the connection and 50 nodes.
PAGE = "{ contacts(first: 50) { nodes { id } } }"
ME = "{ me { email } }"  # no list: costs nothing


def with_budget(app: Flask, budget: str) -> None:
    """Rate limits on, in memory, every rule but the budget out of reach."""
    app.config.update(
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_PER_TOKEN="1000/minute",
        MAX_QUERY_COST=100,
        RATELIMIT_COST_PER_ACCOUNT=budget,
    )
    rate_limits.init_rate_limits(app)


def post(client: FlaskClient, query: str, token: str) -> tuple[int, str, Any]:
    response = client.post(
        "/graphql",
        json={"query": query},
        headers={"Authorization": f"Bearer {token}"},
    )
    return (
        response.status_code,
        response.headers.get("Retry-After", ""),
        response.get_json(),
    )


def test_an_account_over_its_node_budget_is_refused(
    app: Flask, client: FlaskClient, accounts: Any
) -> None:
    with_budget(app, "200/minute")
    token = accounts.token("ada@example.com")
    empty_page = {"data": {"contacts": {"nodes": []}}}

    assert post(client, PAGE, token) == (200, "", empty_page)
    assert post(client, PAGE, token) == (200, "", empty_page)
    status, retry_after, body = post(client, PAGE, token)

    assert (status, body["data"]) == (200, None)
    assert int(retry_after) in range(1, 61)
    assert body["errors"] == [
        {
            "message": f"Too many nodes asked for by this account; try again in "
            f"{retry_after} seconds.",
            "locations": [{"line": 1, "column": 3}],
            "path": ["contacts"],
            "extensions": {"code": "RATE_LIMITED", "retryAfter": int(retry_after)},
        }
    ]
    # A field that asks for no list costs nothing, so it still answers.
    assert post(client, ME, token) == (
        200,
        "",
        {"data": {"me": {"email": "ada@example.com"}}},
    )


def test_the_budget_is_the_accounts_across_logins_and_no_one_elses(
    app: Flask, client: FlaskClient, accounts: Any, gql: Any
) -> None:
    with_budget(app, "100/minute")
    password = "correct horse battery staple"
    ada = accounts.register("ada@example.com", password)["accessToken"]
    grace = accounts.token("grace@example.com")
    login = gql.data(
        "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
        {"i": {"email": "ada@example.com", "password": password}},
    )["login"]["accessToken"]

    assert post(client, PAGE, ada)[0:2] == (200, "")
    for token in (ada, login):
        codes = [
            e["extensions"]["code"] for e in post(client, PAGE, token)[2]["errors"]
        ]
        assert codes == ["RATE_LIMITED"]
    assert post(client, PAGE, grace)[2] == {"data": {"contacts": {"nodes": []}}}


def test_every_signed_in_field_of_a_refused_operation_is_refused(
    app: Flask, client: FlaskClient, accounts: Any
) -> None:
    """The operation is charged once, at its first field (two aliases of
    cost 50 each: 100); the second time the account would be at 200, over
    its 150, and the refusal of the first field nulls the whole response."""
    with_budget(app, "150/minute")
    token = accounts.token()
    page = "contacts(first: 25) { nodes { id } }"
    query = f"{{ a: {page} b: {page} }}"

    assert post(client, query, token)[2] == {
        "data": {"a": {"nodes": []}, "b": {"nodes": []}}
    }
    _, _, body = post(client, query, token)
    assert body["data"] is None
    assert [e["path"] for e in body["errors"]] == [["a"]]


def test_a_budget_smaller_than_the_largest_query_stops_the_start() -> None:
    with pytest.raises(
        RuntimeError,
        match=r"^RATELIMIT_COST_PER_ACCOUNT \('99/minute'\) must allow at least "
        r"MAX_QUERY_COST \(100\)",
    ):
        RateLimits({"MAX_QUERY_COST": 100, "RATELIMIT_COST_PER_ACCOUNT": "99/minute"})


def test_the_budget_counts_cost_not_requests() -> None:
    limits = RateLimits(
        {"MAX_QUERY_COST": 10, "RATELIMIT_COST_PER_ACCOUNT": "30/minute"}
    )
    assert limits.limits[COST_PER_ACCOUNT] == parse_many("30/minute")
    for cost in (10, 15, 5, 0):
        limits.hit(COST_PER_ACCOUNT, "user:1", cost)
    with pytest.raises(RateLimited) as refused:
        limits.hit(COST_PER_ACCOUNT, "user:1", 1)
    assert refused.value.retry_after in range(1, 61)
    limits.hit(COST_PER_ACCOUNT, "user:2", 30)


@pytest.mark.redis
def test_two_workers_share_the_budget_through_redis(
    redis_url: str, key_prefix: Callable[[], str]
) -> None:
    """Each worker builds its own limiter; Redis holds the one count."""
    settings = {
        "MAX_QUERY_COST": 100,
        "RATELIMIT_COST_PER_ACCOUNT": "250/minute",
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_KEY_PREFIX": key_prefix(),
    }
    first, second = RateLimits(settings), RateLimits(settings)

    first.hit(COST_PER_ACCOUNT, "user:1", 100)
    second.hit(COST_PER_ACCOUNT, "user:1", 100)
    with pytest.raises(RateLimited):
        first.hit(COST_PER_ACCOUNT, "user:1", 100)
    second.hit(COST_PER_ACCOUNT, "user:1", 50)
    with pytest.raises(RateLimited):
        second.hit(COST_PER_ACCOUNT, "user:1", 1)
    first.hit(COST_PER_ACCOUNT, "user:2", 100)
