"""CORS on /graphql: which answers carry Access-Control-Allow-Origin, and that
every answer that depends on the request's Origin says so (`Vary: Origin`),
so a shared cache never hands one origin's answer to another."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from tests.support.cors import ALLOWED

OTHER = "http://other.example"


def post(app: Flask, headers: dict[str, str]) -> TestResponse:
    response = app.test_client().post(
        "/graphql", json={"query": "{ __typename }"}, headers=headers
    )
    assert response.get_json() == {"data": {"__typename": "Query"}}
    return response


def get(app: Flask, headers: dict[str, str]) -> TestResponse:
    response = app.test_client().get(
        "/graphql", query_string={"query": "{ __typename }"}, headers=headers
    )
    assert response.get_json() == {"data": {"__typename": "Query"}}
    return response


def preflight(app: Flask, headers: dict[str, str]) -> TestResponse:
    return app.test_client().options(
        "/graphql",
        headers={
            **headers,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


SENDS = [post, get, preflight]
ORIGINS: list[Any] = [
    pytest.param(None, None, id="no-origin"),
    pytest.param(ALLOWED, ALLOWED, id="allowed"),
    pytest.param(OTHER, None, id="other"),
]


@pytest.mark.parametrize("send", SENDS, ids=lambda send: send.__name__)
@pytest.mark.parametrize(("origin", "allowed"), ORIGINS)
def test_every_answer_varies_on_the_origin_and_allows_only_an_allowed_one(
    cors_app: Flask, send: Any, origin: str | None, allowed: str | None
) -> None:
    response = send(cors_app, {"Origin": origin} if origin else {})

    assert response.headers.get("Access-Control-Allow-Origin") == allowed
    assert "origin" in {value.lower() for value in response.vary}
    assert response.headers.getlist("Vary") == [response.headers["Vary"]]


def test_without_cors_origins_nothing_depends_on_the_origin(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(CORS_ORIGINS=[])
    for origin in (None, OTHER):
        response = post(app, {"Origin": origin} if origin else {})
        assert "Access-Control-Allow-Origin" not in response.headers
        assert "Vary" not in response.headers


def test_other_paths_do_not_vary_on_the_origin(cors_app: Flask) -> None:
    response = cors_app.test_client().get("/healthz", headers={"Origin": ALLOWED})

    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Vary" not in response.headers
