"""The HTTP surface: GET and POST on /graphql, GraphiQL, production hardening,
masked errors, health probes and CORS."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from app.config import database_url
from app.schema.view import ContactsGraphQLView
from app.services import auth, contact_queries
from tests.helpers import DEFAULT_PASSWORD, REFUSED_LOGIN, Accounts, GraphQL
from tests.operations import LOGIN, REGISTER

ALLOWED_ORIGIN = "http://allowed.example"
HTML = {"Accept": "text/html"}
CREDENTIALS = {"email": "get@example.com", "password": DEFAULT_PASSWORD}
INTROSPECTION = "{ __schema { queryType { name } } }"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def get_graphql(
    client: FlaskClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    params = {"query": query}
    if variables is not None:
        params["variables"] = json.dumps(variables)
    return client.get("/graphql", query_string=params, headers=headers or {})


def preflight(client: FlaskClient, origin: str) -> Any:
    return client.options(
        "/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


def test_get_runs_a_query_from_the_query_string(
    client: FlaskClient, accounts: Accounts
) -> None:
    token = accounts.token("ada@example.com")

    response = get_graphql(
        client,
        "query Me($withEmail: Boolean!) { me { email @include(if: $withEmail) } }",
        {"withEmail": True},
        headers=bearer(token),
    )

    assert response.status_code == 200
    assert response.get_json() == {"data": {"me": {"email": "ada@example.com"}}}


def test_get_refuses_a_mutation_and_changes_nothing(
    client: FlaskClient, gql: GraphQL
) -> None:
    response = get_graphql(client, REGISTER, {"input": CREDENTIALS})

    login = gql.data(LOGIN, {"input": CREDENTIALS})["login"]
    assert 400 <= response.status_code < 500
    assert login == REFUSED_LOGIN


def test_graphiql_is_served_to_browsers_when_configured(client: FlaskClient) -> None:
    response = client.get("/graphql", headers=HTML)

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "graphiql" in response.get_data(as_text=True).lower()


def test_graphiql_is_not_found_when_switched_off(tmp_path: Any) -> None:
    app = create_app(
        "testing",
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
            "GRAPHIQL": False,
        },
    )

    response = app.test_client().get("/graphql", headers=HTML)

    assert response.status_code == 404


def test_production_has_no_graphiql(production_app: Flask) -> None:
    response = production_app.test_client().get("/graphql", headers=HTML)

    assert response.status_code == 404


def test_production_refuses_introspection(production_app: Flask) -> None:
    response = production_app.test_client().post(
        "/graphql", json={"query": INTROSPECTION}
    )

    body = response.get_json()
    assert body["data"] is None
    assert body["errors"]
    for error in body["errors"]:
        assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
        assert "introspection has been disabled" in error["message"]


def test_introspection_works_in_testing(gql: GraphQL) -> None:
    assert gql.data(INTROSPECTION) == {"__schema": {"queryType": {"name": "Query"}}}


def raise_secret(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("secret detail")


def test_unexpected_error_is_masked_and_logged(
    gql: GraphQL,
    accounts: Accounts,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    token = accounts.token()
    monkeypatch.setattr(contact_queries, "list_contacts", raise_secret)

    with caplog.at_level(logging.ERROR, logger="app.graphql"):
        response = gql.client.post(
            "/graphql",
            json={"query": "{ contacts { totalCount } }"},
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "req-42"},
        )

    body = response.get_json()
    assert response.headers["X-Request-ID"] == "req-42"
    assert body["data"] is None
    assert [
        {"message": error["message"], "extensions": error["extensions"]}
        for error in body["errors"]
    ] == [
        {
            "message": "Unexpected error. Request id: req-42.",
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": "req-42"},
        }
    ]
    assert "secret detail" not in json.dumps(body)
    logged = [record for record in caplog.records if record.name == "app.graphql"]
    assert [record.getMessage() for record in logged] == [
        "unexpected error in contacts (request id req-42)"
    ]
    assert [str(record.exc_info[1]) for record in logged if record.exc_info] == [
        "secret detail"
    ]


def test_production_masks_unexpected_errors(
    production_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "register", raise_secret)

    response = production_app.test_client().post(
        "/graphql", json={"query": REGISTER, "variables": {"input": CREDENTIALS}}
    )

    assert response.status_code == 200
    assert "secret detail" not in response.get_data(as_text=True)
    body = response.get_json()
    request_id = response.headers["X-Request-ID"]
    assert body["data"] is None
    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
        (
            f"Unexpected error. Request id: {request_id}.",
            {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
        )
    ]


def test_healthz_answers_while_the_process_lives(client: FlaskClient) -> None:
    response = client.get("/healthz")

    assert (response.status_code, response.get_json()) == (200, {"status": "ok"})


def test_readyz_is_200_when_the_database_answers(client: FlaskClient) -> None:
    response = client.get("/readyz")

    assert (response.status_code, response.get_json()) == (
        200,
        {"status": "ok", "database": "up"},
    )


def test_readyz_is_503_when_the_database_is_unreachable() -> None:
    app = create_app(
        "testing",
        {
            # Nothing listens on port 1; no PostgreSQL server is needed.
            "SQLALCHEMY_DATABASE_URI": database_url(
                "postgresql://postgres@127.0.0.1:1/x"
            ),
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 1}},
        },
    )

    response = app.test_client().get("/readyz")

    assert (response.status_code, response.get_json()) == (
        503,
        {"status": "unavailable", "database": "down"},
    )


def test_cors_preflight_succeeds_for_an_allowed_origin(client: FlaskClient) -> None:
    response = preflight(client, ALLOWED_ORIGIN)

    allowed_headers = {
        header.strip().lower()
        for header in response.headers["Access-Control-Allow-Headers"].split(",")
    }
    allowed_methods = {
        method.strip()
        for method in response.headers["Access-Control-Allow-Methods"].split(",")
    }
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED_ORIGIN
    assert {"authorization", "content-type"} <= allowed_headers
    assert "POST" in allowed_methods


def test_cors_preflight_from_another_origin_gets_no_allow_origin(
    client: FlaskClient,
) -> None:
    response = preflight(client, "http://evil.example")

    assert "Access-Control-Allow-Origin" not in response.headers


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [(ALLOWED_ORIGIN, True), ("http://evil.example", False)],
)
def test_cors_headers_on_a_post_follow_the_origin(
    client: FlaskClient, origin: str, allowed: bool
) -> None:
    response = client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": origin}
    )

    assert response.get_json() == {"data": {"__typename": "Query"}}
    assert response.headers.get("Access-Control-Allow-Origin") == (
        origin if allowed else None
    )


def test_responses_are_utf8_json(client: FlaskClient) -> None:
    response = client.post(
        "/graphql",
        json={
            "query": "mutation($i: RegisterInput!) { register(input: $i) "
            "{ user { name } } }",
            "variables": {
                "i": {
                    "email": "zoë@example.com",
                    "password": "correct horse battery staple",
                    "name": "Zoë 🦊",
                }
            },
        },
    )

    assert response.mimetype == "application/json"
    assert "Zoë 🦊".encode() in response.data
    assert response.get_json() == {"data": {"register": {"user": {"name": "Zoë 🦊"}}}}


def test_what_orjson_refuses_is_encoded_by_the_standard_library(app: Flask) -> None:
    view = ContactsGraphQLView(schema=app.extensions["graphql_schema"])

    with app.app_context():  # every request has one: MAX_RESPONSE_BYTES
        encoded = view.encode_json({"message": "\ud800", "n": 2**64})

    assert encoded == '{"message":"\\ud800","n":18446744073709551616}'


TYPENAME = {"query": "{ __typename }"}
SERVED = {"data": {"__typename": "Query"}}


def refused(message: str) -> dict[str, Any]:
    """The contract's body for a request refused before GraphQL runs."""
    return {"errors": [{"message": message, "extensions": {"code": "BAD_USER_INPUT"}}]}


@pytest.mark.parametrize(
    ("accept", "content_type", "body", "status", "answer"),
    [
        ("text/event-stream", "application/json", TYPENAME, 200, SERVED),
        ("multipart/mixed", "application/json", TYPENAME, 200, SERVED),
        ("*/*", "application/json; charset=utf-8", TYPENAME, 200, SERVED),
        (
            None,
            "application/json",
            {**TYPENAME, "variables": []},
            400,
            refused(
                "The GraphQL operation's `variables` must be an object or null, "
                "if provided."
            ),
        ),
        (
            None,
            "application/json",
            {"query": 5},
            400,
            refused(
                "The GraphQL operation's `query` must be a string or null, if provided."
            ),
        ),
        (
            None,
            "application/json",
            {**TYPENAME, "extensions": 3},
            400,
            refused(
                "The GraphQL operation's `extensions` must be an object or null, "
                "if provided."
            ),
        ),
        (None, "application/json", [TYPENAME], 400, refused("Batching is not enabled")),
        (
            None,
            "application/json",
            {},
            400,
            refused("No GraphQL query found in the request"),
        ),
        (None, "text/plain", TYPENAME, 400, refused("Unsupported content type")),
    ],
    ids=[
        "accept-sse",
        "accept-multipart",
        "charset",
        "variables-list",
        "query-number",
        "extensions-number",
        "batch",
        "no-query",
        "text",
    ],
)
def test_request_bodies_are_read_as_strawberry_reads_them(
    client: FlaskClient,
    accept: str | None,
    content_type: str,
    body: Any,
    status: int,
    answer: dict[str, Any],
) -> None:
    """The view's shortcut for plain JSON posts (ContactsGraphQLView.
    parse_http_body) answers as strawberry's own parsing does, and every
    refusal is JSON in the contract's shape, not strawberry's plain text."""
    headers = {"Content-Type": content_type, **({"Accept": accept} if accept else {})}

    response = client.post("/graphql", data=json.dumps(body), headers=headers)

    assert response.mimetype == "application/json"
    assert (response.status_code, response.get_json()) == (status, answer)
