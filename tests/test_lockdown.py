"""Production lockdown: what `APP_ENV=production` hides and refuses.

Introspection, GraphiQL and "Did you mean …?" suggestions are off; only
queries run over GET; POSTs a browser may send cross-site without a preflight
(form-encoded, text/plain, multipart) and JSON batches are refused; unexpected
errors are masked to the request id; security headers, request ids and CORS.
Each defence is shown failing open when its setting is turned the other way,
so the tests prove the setting, not an accident.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import create_app
from app.config import database_url
from app.db.transaction import transactional
from app.extensions import db
from app.models import User
from app.services import auth, contact_queries
from tests.helpers import DEFAULT_PASSWORD, PRODUCTION_SECRETS
from tests.operations import REGISTER, location_of

HTML = {"Accept": "text/html"}
CREDENTIALS = {"email": "ada@example.com", "password": DEFAULT_PASSWORD}
SIGN_IN_MESSAGE = "Sign in to do this: send Authorization: Bearer <accessToken>."
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
GRAPHIQL_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "font-src 'self' data:; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"
GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")
# What an unmasked database or driver error would show.
FAKE_DSN = "postgresql://admin:hunter2@db.internal:5432/contacts"


def post(
    client: FlaskClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    response = client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def sign_up(client: FlaskClient) -> dict[str, str]:
    """Register the test user; its Authorization header."""
    payload = post(client, REGISTER, {"input": CREDENTIALS})["data"]["register"]
    assert payload["userErrors"] == []
    return {"Authorization": f"Bearer {payload['accessToken']}"}


def user_count(app: Flask) -> int:
    with app.app_context():
        count: int = db.session.scalar(select(func.count()).select_from(User))
        db.session.remove()
        return count


def messages(body: Any) -> list[str]:
    return [error["message"] for error in body["errors"]]


# --- introspection and GraphiQL ---------------------------------------------------

INTROSPECTION = [
    pytest.param(
        "{ __schema { queryType { name } } }",
        [
            "GraphQL introspection has been disabled, but the requested query "
            "contained the field '__schema'.",
            "GraphQL introspection has been disabled, but the requested query "
            "contained the field 'queryType'.",
        ],
        {"__schema": {"queryType": {"name": "Query"}}},
        id="__schema",
    ),
    pytest.param(
        '{ __type(name: "User") { name } }',
        [
            "GraphQL introspection has been disabled, but the requested query "
            "contained the field '__type'."
        ],
        {"__type": {"name": "User"}},
        id="__type",
    ),
]


@pytest.mark.parametrize(("query", "refusals", "_data"), INTROSPECTION)
def test_production_refuses_introspection(
    production: Flask, query: str, refusals: list[str], _data: Any
) -> None:
    body = post(production.test_client(), query)

    assert body["data"] is None
    assert messages(body) == refusals
    assert {error["extensions"]["code"] for error in body["errors"]} == {
        "GRAPHQL_VALIDATION_FAILED"
    }


@pytest.mark.parametrize(("query", "_refusals", "data"), INTROSPECTION)
def test_introspection_can_be_switched_back_on(
    make_production_app: Callable[..., Flask],
    query: str,
    _refusals: list[str],
    data: Any,
) -> None:
    app = make_production_app({"INTROSPECTION": True})

    assert post(app.test_client(), query) == {"data": data}


def test_typename_is_not_introspection(production: Flask) -> None:
    """Clients such as Apollo add `__typename` everywhere; it stays allowed."""
    assert post(production.test_client(), "{ __typename }") == {
        "data": {"__typename": "Query"}
    }


def test_production_does_not_serve_graphiql(production: Flask) -> None:
    assert production.test_client().get("/graphql", headers=HTML).status_code == 404


def test_graphiql_can_be_switched_on(make_production_app: Callable[..., Flask]) -> None:
    response = (
        make_production_app({"GRAPHIQL": True})
        .test_client()
        .get("/graphql", headers=HTML)
    )

    assert (response.status_code, response.mimetype) == (200, "text/html")
    assert "<title>Strawberry GraphiQL</title>" in response.get_data(as_text=True)


# --- no "Did you mean …?" ---------------------------------------------------------
# Each kind of suggestion graphql-core makes, in a document (or variables) that
# production answers without it and FIELD_SUGGESTIONS=True answers with it.

CONTACT_ORDER = "query Q($o: ContactOrder) { contacts(orderBy: $o) { totalCount } }"
CONTACT_FILTER = "query Q($f: ContactFilter) { contacts(filter: $f) { totalCount } }"
ORDER_FIELD_HINT = " Did you mean the enum value 'LAST_NAME' or 'FIRST_NAME'?"
SUGGESTIONS = [
    pytest.param(
        "{ me { emial } }",
        None,
        "Cannot query field 'emial' on type 'User'.",
        "Cannot query field 'emial' on type 'User'. Did you mean 'email'?",
        id="field",
    ),
    pytest.param(
        'mutation { registr(input: {email: "a", password: "b"}) { accessToken } }',
        None,
        "Cannot query field 'registr' on type 'Mutation'.",
        "Cannot query field 'registr' on type 'Mutation'. Did you mean 'register'?",
        id="mutation-field",
    ),
    pytest.param(
        "{ contacts(frist: 1) { totalCount } }",
        None,
        "Unknown argument 'frist' on field 'Query.contacts'.",
        "Unknown argument 'frist' on field 'Query.contacts'. "
        "Did you mean 'first' or 'last'?",
        id="argument",
    ),
    pytest.param(
        "query Q($f: ContactFiltr) { contacts(filter: $f) { totalCount } }",
        None,
        "Unknown type 'ContactFiltr'.",
        "Unknown type 'ContactFiltr'. Did you mean 'ContactFilter', "
        "'ContactOrder', 'Contact', 'ContactEdge', or 'ContactMerge'?",
        id="type-in-variable-definition",
    ),
    pytest.param(
        "{ contacts(orderBy: {field: LAST_NAM, direction: ASC}) { totalCount } }",
        None,
        "Value 'LAST_NAM' does not exist in 'ContactOrderField' enum.",
        "Value 'LAST_NAM' does not exist in 'ContactOrderField' enum."
        + ORDER_FIELD_HINT,
        id="enum-literal",
    ),
    pytest.param(
        "query Q($o: ContactOrder = {field: LAST_NAM, direction: ASC}) "
        "{ contacts(orderBy: $o) { totalCount } }",
        None,
        "Value 'LAST_NAM' does not exist in 'ContactOrderField' enum.",
        "Value 'LAST_NAM' does not exist in 'ContactOrderField' enum."
        + ORDER_FIELD_HINT,
        id="enum-in-variable-default",
    ),
    pytest.param(
        CONTACT_ORDER,
        {"o": {"field": "LAST_NAM", "direction": "ASC"}},
        "Variable '$o' has invalid value at .field: "
        "Value 'LAST_NAM' does not exist in 'ContactOrderField' enum.",
        "Variable '$o' has invalid value at .field: "
        "Value 'LAST_NAM' does not exist in 'ContactOrderField' enum."
        + ORDER_FIELD_HINT,
        id="enum-in-variable",
    ),
    pytest.param(
        '{ contacts(filter: {serch: "x"}) { totalCount } }',
        None,
        "Expected value of type 'ContactFilter' not to include unknown field "
        "'serch', found: { serch: \"x\" }.",
        "Expected value of type 'ContactFilter' not to include unknown field "
        "'serch'. Did you mean 'search'? Found: { serch: \"x\" }.",
        id="input-field-literal",
    ),
    pytest.param(
        CONTACT_FILTER,
        {"f": {"serch": "x"}},
        "Variable '$f' has invalid value: Expected value of type 'ContactFilter' "
        "not to include unknown field 'serch', found: {'serch': 'x'}.",
        "Variable '$f' has invalid value: Expected value of type 'ContactFilter' "
        "not to include unknown field 'serch'. Did you mean 'search'? "
        "Found: {'serch': 'x'}.",
        id="input-field-in-variable",
    ),
    pytest.param(
        "{ me { ...F } } fragment F on Contct { id }",
        None,
        "Unknown type 'Contct'.",
        "Unknown type 'Contct'. Did you mean 'Contact'?",
        id="fragment-type",
    ),
    pytest.param(
        '{ node(id: "x") { ... on Contct { id } } }',
        None,
        "Unknown type 'Contct'.",
        "Unknown type 'Contct'. Did you mean 'Contact'?",
        id="inline-fragment-type",
    ),
]


@pytest.mark.parametrize(("query", "variables", "message", "_hinted"), SUGGESTIONS)
def test_production_never_suggests_names(
    production: Flask,
    query: str,
    variables: dict[str, Any] | None,
    message: str,
    _hinted: str,
) -> None:
    body = post(production.test_client(), query, variables)

    assert body["data"] is None
    assert messages(body) == [message]
    assert "Did you mean" not in json.dumps(body)


@pytest.mark.parametrize(("query", "variables", "_message", "hinted"), SUGGESTIONS)
def test_with_suggestions_on_the_same_documents_get_hints(
    make_production_app: Callable[..., Flask],
    query: str,
    variables: dict[str, Any] | None,
    _message: str,
    hinted: str,
) -> None:
    app = make_production_app({"FIELD_SUGGESTIONS": True})

    assert messages(post(app.test_client(), query, variables)) == [hinted]


@pytest.mark.parametrize(
    ("config_name", "suggests"),
    [("production", False), ("testing", False), ("development", True)],
)
def test_only_development_suggests_by_default(
    make_production_app: Callable[..., Flask], config_name: str, suggests: bool
) -> None:
    app = make_production_app(config_name=config_name)

    assert messages(post(app.test_client(), "{ me { emial } }")) == [
        "Cannot query field 'emial' on type 'User'."
        + (" Did you mean 'email'?" if suggests else "")
    ]


# --- what runs over GET, and which POSTs are refused -------------------------------


def test_production_runs_queries_over_get(production: Flask) -> None:
    client = production.test_client()
    headers = sign_up(client)

    response = client.get(
        "/graphql", query_string={"query": "{ me { email } }"}, headers=headers
    )

    assert response.status_code == 200
    assert response.get_json() == {"data": {"me": {"email": "ada@example.com"}}}


def test_production_refuses_a_mutation_over_get(production: Flask) -> None:
    response = production.test_client().get(
        "/graphql",
        query_string={
            "query": REGISTER,
            "variables": json.dumps({"input": CREDENTIALS}),
        },
    )

    assert (response.status_code, refusal_message(response)) == (
        400,
        "mutations are not allowed when using GET",
    )
    assert user_count(production) == 0


def refusal_message(response: Any) -> str:
    """The message of a request refused before GraphQL runs (JSON, in the
    contract's shape)."""
    body = response.get_json()
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT"}, body
    message: str = body["errors"][0]["message"]
    return message


REGISTER_FORM = {"query": REGISTER, "variables": json.dumps({"input": CREDENTIALS})}


@pytest.mark.parametrize(
    "send",
    [
        pytest.param(
            lambda client: client.post("/graphql", data=REGISTER_FORM),
            id="form-urlencoded",
        ),
        pytest.param(
            lambda client: client.post(
                "/graphql",
                data=json.dumps(
                    {"query": REGISTER, "variables": {"input": CREDENTIALS}}
                ),
                content_type="text/plain",
            ),
            id="text-plain",
        ),
        pytest.param(
            lambda client: client.post(
                "/graphql",
                data={**REGISTER_FORM, "file": (io.BytesIO(b"x"), "x.txt")},
                content_type="multipart/form-data",
            ),
            id="multipart",
        ),
    ],
)
def test_production_refuses_posts_a_form_can_send(
    production: Flask, send: Callable[[FlaskClient], Any]
) -> None:
    """A cross-site form (or fetch in no-cors mode) may send these without a
    CORS preflight; none of them may change anything."""
    response = send(production.test_client())

    assert (response.status_code, refusal_message(response)) == (
        400,
        "Unsupported content type",
    )
    assert user_count(production) == 0


def test_production_refuses_a_json_batch(production: Flask) -> None:
    operation = {"query": REGISTER, "variables": {"input": CREDENTIALS}}

    response = production.test_client().post("/graphql", json=[operation, operation])

    assert (response.status_code, refusal_message(response)) == (
        400,
        "Batching is not enabled",
    )
    assert user_count(production) == 0


# --- masked errors ----------------------------------------------------------------

SECRET_TEXT = f"could not connect to {FAKE_DSN}: password authentication failed"
LEAKS = ["hunter2", "db.internal", "postgresql://", "Traceback", "RuntimeError"]


def test_production_masks_an_unexpected_exception(
    production: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = production.test_client()
    headers = sign_up(client)

    def fail(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError(SECRET_TEXT)

    monkeypatch.setattr(contact_queries, "list_contacts", fail)
    response = client.post(
        "/graphql",
        json={"query": "{ contacts { totalCount } }"},
        headers={**headers, "X-Request-ID": "lockdown-42"},
    )

    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "lockdown-42"
    assert response.get_json() == {
        "data": None,
        "errors": [
            {
                "message": "Unexpected error. Request id: lockdown-42.",
                "locations": [{"line": 1, "column": 3}],
                "path": ["contacts"],
                "extensions": {
                    "code": "INTERNAL_SERVER_ERROR",
                    "requestId": "lockdown-42",
                },
            }
        ],
    }
    raw = response.get_data(as_text=True)
    assert [leak for leak in LEAKS if leak in raw] == []


def test_production_masks_a_unique_constraint_race(
    production: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An IntegrityError that escapes a service carries the SQL, its
    parameters and the driver's detail in its text; none of it may show."""

    def race(*_args: Any, **_kwargs: Any) -> Any:
        raise IntegrityError(
            "INSERT INTO users (email, email_key, password_hash) VALUES (?, ?, ?)",
            ("victim@example.com", "victim@example.com", "$argon2id$v=19$secret"),
            Exception(
                'duplicate key value violates unique constraint "uq_users_email_key"'
            ),
        )

    monkeypatch.setattr(auth, "register", race)
    response = production.test_client().post(
        "/graphql",
        json={"query": REGISTER, "variables": {"input": CREDENTIALS}},
        headers={"X-Request-ID": "race-1"},
    )

    assert response.get_json() == {
        "data": None,
        "errors": [
            {
                "message": "Unexpected error. Request id: race-1.",
                "locations": [location_of(REGISTER, "register(")],
                "path": ["register"],
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": "race-1"},
            }
        ],
    }
    raw = response.get_data(as_text=True)
    leaks = ["INSERT", "victim@", "argon2", "uq_users", "duplicate", "IntegrityError"]
    assert [leak for leak in leaks if leak in raw] == []


HASH_PARAMETER = "HASH-PARAMETER-7f3a"


@transactional
def register_twice(
    email: str, password: str, name: str | None, user_agent: str | None = None
) -> Any:
    """Two accounts with one email: a real unique violation from the
    database, escaping as IntegrityError."""
    for _ in range(2):
        db.session.add(
            User(email=email, email_key=email, name=name, password_hash=HASH_PARAMETER)
        )
        db.session.flush()


def test_production_masks_a_real_unique_violation(
    production: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(auth, "register", register_twice)

    response = production.test_client().post(
        "/graphql",
        json={"query": REGISTER, "variables": {"input": CREDENTIALS}},
        headers={"X-Request-ID": "race-2"},
    )

    assert [(e["message"], e["extensions"]) for e in response.get_json()["errors"]] == [
        (
            "Unexpected error. Request id: race-2.",
            {"code": "INTERNAL_SERVER_ERROR", "requestId": "race-2"},
        )
    ]
    raw = response.get_data(as_text=True)
    leaks = ["INSERT", "users", HASH_PARAMETER, "ada@", "UNIQUE", "unique", "sqlite"]
    assert [leak for leak in leaks if leak in raw] == []
    assert user_count(production) == 0


@pytest.mark.parametrize(
    ("config_name", "shown"), [("production", False), ("development", True)]
)
def test_logs_show_sql_parameters_only_in_development(
    make_production_app: Callable[..., Flask],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    config_name: str,
    shown: bool,
) -> None:
    """SQLAlchemy's `hide_parameters`: the logged error names the statement,
    but its bound values (a password hash here) stay out of production logs."""
    app = make_production_app(config_name=config_name)
    monkeypatch.setattr(auth, "register", register_twice)

    with caplog.at_level(logging.ERROR, logger="app.graphql"):
        post(app.test_client(), REGISTER, {"input": CREDENTIALS})

    [record] = [r for r in caplog.records if r.name == "app.graphql"]
    assert record.exc_info is not None
    logged = str(record.exc_info[1])
    assert "INSERT INTO users" in logged
    assert (HASH_PARAMETER in logged) is shown
    hidden_note = "[SQL parameters hidden due to hide_parameters=True]"
    assert (hidden_note in logged) is not shown


def test_production_masks_a_database_that_is_down() -> None:
    """Nothing listens on port 1, so no PostgreSQL server is needed."""
    app = create_app(
        "production",
        {
            **PRODUCTION_SECRETS,
            "SQLALCHEMY_DATABASE_URI": database_url(
                "postgresql://admin:hunter2@127.0.0.1:1/contacts"
            ),
        },
    )

    response = app.test_client().post(
        "/graphql",
        json={"query": REGISTER, "variables": {"input": CREDENTIALS}},
        headers={"X-Request-ID": "down-1"},
    )

    assert response.get_json() == {
        "data": None,
        "errors": [
            {
                "message": "Unexpected error. Request id: down-1.",
                "locations": [location_of(REGISTER, "register(")],
                "path": ["register"],
                "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": "down-1"},
            }
        ],
    }
    raw = response.get_data(as_text=True)
    leaks = ["hunter2", "admin", "127.0.0.1", "port", "psycopg", "refused"]
    assert [leak for leak in leaks if leak in raw] == []
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    ("query", "signed_in", "message", "code"),
    [
        ("{ contacts { totalCount } }", False, SIGN_IN_MESSAGE, "UNAUTHENTICATED"),
        (
            "{ contacts(first: 1000) { totalCount } }",
            True,
            "`first` must be between 0 and 100.",
            "BAD_USER_INPUT",
        ),
        (
            '{ contacts(after: "bogus") { totalCount } }',
            True,
            "`after` is not a valid cursor.",
            "BAD_USER_INPUT",
        ),
    ],
)
def test_production_never_masks_the_contract_codes(
    production: Flask, query: str, signed_in: bool, message: str, code: str
) -> None:
    client = production.test_client()
    headers = sign_up(client) if signed_in else {}

    body = post(client, query, headers=headers)

    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
        (message, {"code": code})
    ]


def test_production_never_masks_a_bad_token(production: Flask) -> None:
    body = post(
        production.test_client(),
        "{ me { email } }",
        headers={"Authorization": "Bearer not-a-token"},
    )

    assert body["data"] == {"me": None}
    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
        ("The access token is invalid.", {"code": "UNAUTHENTICATED"})
    ]


@pytest.mark.parametrize(
    ("config_name", "hidden"),
    [("production", True), ("testing", True), ("development", False)],
)
def test_engine_options(
    make_production_app: Callable[..., Flask], config_name: str, hidden: bool
) -> None:
    app = make_production_app(config_name=config_name)

    with app.app_context():
        engine = db.engine
        assert engine.hide_parameters is hidden
        assert engine.pool._pre_ping is False  # app/db/pool_health.py instead
        if engine.dialect.name == "postgresql":
            assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {
                "connect_timeout": 2,
                "options": "-c TimeZone=UTC",
            }
            with engine.connect() as connection:
                zone = connection.exec_driver_sql("SHOW TimeZone").scalar_one()
                assert zone == "UTC"


# --- security headers -------------------------------------------------------------

SECURITY_HEADERS = (
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Referrer-Policy",
    "Content-Security-Policy",
    "Cache-Control",
    "Strict-Transport-Security",
)
ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def security_headers(response: Any) -> dict[str, str | None]:
    return {name: response.headers.get(name) for name in SECURITY_HEADERS}


@pytest.mark.parametrize(
    ("request_", "csp", "cache"),
    [
        pytest.param(
            lambda c: c.post("/graphql", json={"query": "{ __typename }"}),
            API_CSP,
            "no-store",
            id="graphql-post",
        ),
        pytest.param(
            lambda c: c.get("/graphql", query_string={"query": "{ __typename }"}),
            API_CSP,
            "no-store",
            id="graphql-get",
        ),
        pytest.param(
            lambda c: c.get("/graphql", headers=HTML),
            GRAPHIQL_CSP,
            "no-store",
            id="graphiql",
        ),
        pytest.param(
            lambda c: c.post("/graphql", data="x", content_type="text/plain"),
            API_CSP,
            "no-store",
            id="graphql-refused",
        ),
        pytest.param(lambda c: c.get("/healthz"), API_CSP, None, id="healthz"),
        pytest.param(
            lambda c: c.get("/nowhere", headers=HTML), API_CSP, None, id="not-found"
        ),
    ],
)
def test_production_sends_security_headers_on_every_response(
    make_production_app: Callable[..., Flask],
    request_: Callable[[FlaskClient], Any],
    csp: str,
    cache: str | None,
) -> None:
    app = make_production_app({"GRAPHIQL": True})

    response = request_(app.test_client())

    assert security_headers(response) == {
        **ALWAYS,
        "Content-Security-Policy": csp,
        "Cache-Control": cache,
        "Strict-Transport-Security": HSTS,
    }


@pytest.mark.parametrize(
    ("config_name", "settings", "hsts"),
    [
        ("production", {}, HSTS),
        ("production", {"HSTS_SECONDS": 600}, "max-age=600; includeSubDomains"),
        ("production", {"HSTS_SECONDS": 0}, None),
        ("testing", {}, None),
        ("development", {}, None),
    ],
)
def test_hsts_only_in_production(
    make_production_app: Callable[..., Flask],
    config_name: str,
    settings: dict[str, Any],
    hsts: str | None,
) -> None:
    app = make_production_app(settings, config_name=config_name)

    response = app.test_client().get("/healthz")

    assert security_headers(response) == {
        **ALWAYS,
        "Content-Security-Policy": API_CSP,
        "Cache-Control": None,
        "Strict-Transport-Security": hsts,
    }


def csp_sources(policy: str) -> dict[str, list[str]]:
    directives = (part.split() for part in policy.split(";") if part.strip())
    return {name: sources for name, *sources in directives}


def test_the_graphiql_policy_allows_what_the_page_loads(
    make_production_app: Callable[..., Flask],
) -> None:
    response = (
        make_production_app({"GRAPHIQL": True})
        .test_client()
        .get("/graphql", headers=HTML)
    )
    page = response.get_data(as_text=True)
    policy = csp_sources(response.headers["Content-Security-Policy"])

    # Every script and stylesheet comes from this origin ('self'), and no
    # source names another host.
    scripts = re.findall(r'<script[^>]*\ssrc="([^"]+)"', page)
    styles = re.findall(r'<link[^>]*\shref="([^"]+\.css)"', page)
    assert len(scripts) >= 3
    assert len(styles) >= 1
    assert [url for url in scripts + styles if not url.startswith("/static/")] == []
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"][0] == "'self'"
    assert [s for sources in policy.values() for s in sources if "//" in s] == []
    # No inline script runs: the one <script> without src is a data block.
    assert re.findall(r"<script(?![^>]*\ssrc=)([^>]*)>", page) == [
        ' type="application/graphql" id="graphiql-default-query"'
    ]
    assert policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]


# --- request ids ------------------------------------------------------------------


@pytest.mark.parametrize(
    "given", ["abc-123", "trace:00f1.2_3-x", "A" * 128], ids=["plain", "mixed", "128"]
)
def test_a_sane_request_id_is_echoed(production: Flask, given: str) -> None:
    response = production.test_client().get("/healthz", headers={"X-Request-ID": given})

    assert response.headers["X-Request-ID"] == given


@pytest.mark.parametrize(
    "given",
    [None, "", "has spaces", "x" * 129, "y" * 200, "<script>", "id;drop", "ünï"],
    ids=["absent", "empty", "spaces", "129", "200", "markup", "semicolon", "unicode"],
)
def test_any_other_request_id_is_replaced_by_a_new_one(
    production: Flask, given: str | None
) -> None:
    client = production.test_client()
    headers = {} if given is None else {"X-Request-ID": given}

    first = client.get("/healthz", headers=headers).headers["X-Request-ID"]
    second = client.get("/healthz", headers=headers).headers["X-Request-ID"]

    assert GENERATED_ID.match(first)
    assert GENERATED_ID.match(second)
    assert first != second


# --- CORS -------------------------------------------------------------------------

APP_ORIGIN = "https://app.example"


def cors_answers(client: FlaskClient, origin: str) -> tuple[str | None, str | None]:
    """Access-Control-Allow-Origin on a preflight and on the POST itself."""
    preflight = client.options(
        "/graphql",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    actual = client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Origin": origin}
    )
    assert actual.get_json() == {"data": {"__typename": "Query"}}
    return (
        preflight.headers.get("Access-Control-Allow-Origin"),
        actual.headers.get("Access-Control-Allow-Origin"),
    )


def test_production_without_cors_origins_allows_no_origin(
    make_production_app: Callable[..., Flask],
) -> None:
    client = make_production_app({"CORS_ORIGINS": []}).test_client()

    assert cors_answers(client, APP_ORIGIN) == (None, None)
    assert cors_answers(client, "null") == (None, None)


def test_production_allows_exactly_the_configured_origins(
    make_production_app: Callable[..., Flask],
) -> None:
    client = make_production_app({"CORS_ORIGINS": [APP_ORIGIN]}).test_client()

    assert cors_answers(client, APP_ORIGIN) == (APP_ORIGIN, APP_ORIGIN)
    assert cors_answers(client, "https://evil.example") == (None, None)
    assert cors_answers(client, APP_ORIGIN + ".evil.example") == (None, None)
