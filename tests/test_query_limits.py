"""Limits on one request, refused before any resolver runs.

For each limit: the largest document the default allows runs, one step more
is refused with a message that names the limit, a setting moves the boundary,
no resolver runs for a refused document, and the same app answers a normal
query right after. `list_contacts` and `register` record their calls, so a
test sees whether execution reached them. The limits never touch the
database, so these tests run on SQLite only.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from graphql import parse
from sqlalchemy import func, select

from app import create_app
from app.config import LIMITS
from app.extensions import db
from app.models import User
from app.schema.document_cache import ValidQueries
from app.schema.limits import QueryLimits, query_cost
from app.services import auth, contact_queries
from tests.conftest import DEFAULT_PASSWORD

EMAIL = "limits@example.com"
REGISTER = """
mutation Register($input: RegisterInput!) {
  register(input: $input) { accessToken userErrors { code } }
}
"""
ME = "{ me { email } }"
CONTACTS = "contacts(first: 1) { totalCount }"
COST_MESSAGE = (
    "The query may return {cost} nodes; the limit is {limit}. "
    "Ask for smaller pages (first/last)."
)
DEEPEST = "{ contacts { edges { node { tags { id } } } } }"  # depth 4
DEEPEST_IN_FRAGMENTS = """
{ contacts { ...Connection } }
fragment Connection on ContactConnection { edges { ...Edge } }
fragment Edge on ContactEdge { node { ...Node } }
fragment Node on Contact { tags { id } }
"""


class Api:
    """A client of one app, signed in, that knows which resolvers ran."""

    def __init__(self, app: Flask, calls: list[str]) -> None:
        self.app = app
        self.client: FlaskClient = app.test_client()
        self.calls = calls
        self.token: str | None = None
        body = self.post(
            REGISTER, {"input": {"email": EMAIL, "password": DEFAULT_PASSWORD}}
        )
        self.token = body["data"]["register"]["accessToken"]

    def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = self.client.post(
            "/graphql",
            json={
                "query": query,
                "variables": variables,
                "operationName": operation_name,
            },
            headers=headers,
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    def refused(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> Any:
        """The error messages for a document refused before execution: no
        data, no resolver ran, and the app still answers normally after."""
        self.calls.clear()
        body = self.post(query, variables, operation_name)
        assert body["data"] is None
        assert self.calls == []
        self.answers_normally()
        return [error["message"] for error in body["errors"]]

    def allowed(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> Any:
        """The data of a document that ran, reaching its resolvers."""
        self.calls.clear()
        body = self.post(query, variables, operation_name)
        assert "errors" not in body, body["errors"]
        assert self.calls
        return body["data"]

    def answers_normally(self) -> None:
        assert self.post(ME) == {"data": {"me": {"email": EMAIL}}}


@pytest.fixture
def make_api(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Api]]:
    """Apps with the testing defaults, or with `settings` overriding them."""
    calls: list[str] = []
    list_contacts = contact_queries.list_contacts
    register = auth.register

    def recording_list_contacts(*args: Any, **kwargs: Any) -> Any:
        calls.append("list_contacts")
        return list_contacts(*args, **kwargs)

    def recording_register(*args: Any, **kwargs: Any) -> Any:
        calls.append("register")
        return register(*args, **kwargs)

    monkeypatch.setattr(contact_queries, "list_contacts", recording_list_contacts)
    monkeypatch.setattr(auth, "register", recording_register)
    apps: list[Flask] = []

    def make(settings: dict[str, Any] | None = None) -> Api:
        url = f"sqlite:///{tmp_path / f'limits{len(apps)}.db'}"
        app = create_app(
            "testing", {"SQLALCHEMY_DATABASE_URI": url, **(settings or {})}
        )
        with app.app_context():
            db.create_all()
        apps.append(app)
        return Api(app, calls)

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def api(make_api: Callable[..., Api]) -> Api:
    return make_api()


def aliased(count: int, field: str = CONTACTS) -> str:
    return " ".join(f"a{i}: {field}" for i in range(count))


def test_testing_uses_the_default_limits(api: Api) -> None:
    assert {name: api.app.config[name] for name in LIMITS} == {
        "MAX_CONTENT_LENGTH": 100_000,
        "MAX_QUERY_TOKENS": 2000,
        "MAX_QUERY_DEPTH": 10,
        "MAX_QUERY_ALIASES": 30,
        "MAX_QUERY_DIRECTIVES": 50,
        "MAX_VALIDATION_ERRORS": 10,
        "MAX_QUERY_COST": 1000,
    }


# Tokens. Comments count, so a comment flood is bounded too.


def with_tokens(count: int) -> str:
    """`{ contacts(first: 1) { totalCount } }` (11 tokens) padded with
    comments to `count` tokens."""
    return "{ " + CONTACTS + " " + "#\n" * (count - 11) + "}"


@pytest.mark.parametrize(("setting", "limit"), [(None, 2000), (50, 50)])
def test_a_document_over_the_token_limit_is_not_parsed(
    make_api: Callable[..., Api], setting: int | None, limit: int
) -> None:
    api = make_api({"MAX_QUERY_TOKENS": setting} if setting else None)

    assert api.allowed(with_tokens(limit)) == {"contacts": {"totalCount": 0}}
    assert api.refused(with_tokens(limit + 1)) == [
        f"Syntax Error: Document contains more than {limit} tokens. Parsing aborted."
    ]


# Depth. No valid path through this schema is deeper than 4 (contacts, edges,
# node, tags, id), so the default of 10 only bounds what the schema may grow
# into; lower settings show the limit at work on valid documents.


def test_the_default_depth_limit_refuses_a_deeper_document(api: Api) -> None:
    deep = "{ a { b { c { d { e { f { g { h { i { j { k { l } } } } } } } } } } } }"

    assert api.refused(deep) == [
        "'anonymous' exceeds maximum operation depth of 10",
        "Cannot query field 'a' on type 'Query'.",
    ]
    assert api.allowed(DEEPEST) == {"contacts": {"edges": []}}


@pytest.mark.parametrize("document", [DEEPEST, DEEPEST_IN_FRAGMENTS])
def test_the_depth_limit_counts_fields_through_fragments(
    make_api: Callable[..., Api], document: str
) -> None:
    at_limit = make_api({"MAX_QUERY_DEPTH": 4})
    below = make_api({"MAX_QUERY_DEPTH": 3})

    assert at_limit.allowed(document) == {"contacts": {"edges": []}}
    assert below.refused(document) == [
        "'anonymous' exceeds maximum operation depth of 3"
    ]
    assert below.refused("query Deep " + document.strip()) == [
        "'Deep' exceeds maximum operation depth of 3"
    ]


# Aliases.


@pytest.mark.parametrize(("setting", "limit"), [(None, 30), (2, 2)])
def test_aliases_over_the_limit_are_refused(
    make_api: Callable[..., Api], setting: int | None, limit: int
) -> None:
    api = make_api({"MAX_QUERY_ALIASES": setting} if setting else None)

    assert len(api.allowed("{ " + aliased(limit) + " }")) == limit
    assert api.refused("{ " + aliased(limit + 1) + " }") == [
        f"{limit + 1} aliases found. Allowed: {limit}"
    ]


# Directives: one error for a flood, where graphql-core would report every
# repeat of a directive on one field (up to its own error limit).


def repeated_field(directives: int) -> str:
    """One `contacts` field, written `directives` times with one directive
    each; GraphQL merges them, so the document is valid."""
    field = "contacts(first: 1) @include(if: true) { totalCount }"
    return "{ " + " ".join([field] * directives) + " }"


@pytest.mark.parametrize(("setting", "limit"), [(None, 50), (3, 3)])
def test_directives_over_the_limit_are_refused(
    make_api: Callable[..., Api], setting: int | None, limit: int
) -> None:
    api = make_api({"MAX_QUERY_DIRECTIVES": setting} if setting else None)

    assert api.allowed(repeated_field(limit)) == {"contacts": {"totalCount": 0}}
    assert api.refused(repeated_field(limit + 1)) == [
        f"The query has {limit + 1} directives; the limit is {limit}."
    ]


def test_a_flood_of_directives_on_one_field_gets_one_error(api: Api) -> None:
    flood = "{ contacts { totalCount " + "@include(if: true) " * 61 + "} }"

    assert api.refused(flood) == ["The query has 61 directives; the limit is 50."]


# Validation errors returned.


@pytest.mark.parametrize(("setting", "limit"), [(None, 10), (3, 3)])
def test_validation_errors_are_capped(
    make_api: Callable[..., Api], setting: int | None, limit: int
) -> None:
    api = make_api({"MAX_VALIDATION_ERRORS": setting} if setting else None)
    unknown_fields = "{ " + " ".join(f"f{i}" for i in range(50)) + " }"

    assert api.refused(unknown_fields) == [
        *(f"Cannot query field 'f{i}' on type 'Query'." for i in range(limit)),
        "Too many validation errors, error limit reached. Validation aborted.",
    ]


# Query cost: for each `contacts` field, the product of the page sizes down
# its path (20 when neither `first` nor `last` is given).


def contacts_pages(count: int, argument: str = "first: 100") -> str:
    return aliased(count, f"contacts({argument}) {{ totalCount }}")


def test_the_cost_of_a_document_is_bounded(api: Api) -> None:
    assert len(api.allowed("{ " + contacts_pages(10) + " }")) == 10
    assert api.refused("{ " + contacts_pages(11) + " }") == [
        COST_MESSAGE.format(cost=1100, limit=1000)
    ]


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        pytest.param("{ " + contacts_pages(11, "last: 100") + " }", None, id="last"),
        pytest.param(
            "query Pages($n: Int) { " + contacts_pages(11, "first: $n") + " }",
            {"n": 100},
            id="variable",
        ),
        pytest.param(
            "query Pages($n: Int) { " + contacts_pages(11, "first: $n") + " }",
            {"n": 100.0},  # GraphQL's Int accepts a whole float
            id="variable-float",
        ),
        pytest.param(
            "query Pages($n: Int = 100) { " + contacts_pages(11, "first: $n") + " }",
            None,
            id="variable-default",
        ),
        pytest.param(
            "{ ...Pages } fragment Pages on Query { " + contacts_pages(11) + " }",
            None,
            id="fragment",
        ),
    ],
)
def test_every_way_of_giving_a_page_size_counts(
    api: Api, document: str, variables: dict[str, Any] | None
) -> None:
    assert api.refused(document, variables) == [
        COST_MESSAGE.format(cost=1100, limit=1000)
    ]


def test_the_cost_is_that_of_the_operation_that_runs(api: Api) -> None:
    document = (
        "query Cheap { " + contacts_pages(1) + " } "
        "query Costly { " + contacts_pages(11) + " }"
    )

    assert api.refused(document, None, "Costly") == [
        COST_MESSAGE.format(cost=1100, limit=1000)
    ]
    assert api.allowed(document, None, "Cheap") == {"a0": {"totalCount": 0}}


def test_a_page_size_from_a_variable_is_honoured_both_ways(api: Api) -> None:
    document = "query Pages($n: Int) { " + contacts_pages(11, "first: $n") + " }"

    assert len(api.allowed(document, {"n": 90})) == 11
    assert api.refused(document, {"n": 91}) == [
        COST_MESSAGE.format(cost=1001, limit=1000)
    ]


def test_contacts_without_a_page_size_costs_the_default_page(
    make_api: Callable[..., Api],
) -> None:
    api = make_api({"MAX_QUERY_COST": 40})
    null_pages = "query Pages($n: Int) { " + contacts_pages(3, "first: $n") + " }"

    assert len(api.allowed("{ " + aliased(2, "contacts { totalCount }") + " }")) == 2
    assert api.refused("{ " + aliased(3, "contacts { totalCount }") + " }") == [
        COST_MESSAGE.format(cost=60, limit=40)
    ]
    assert api.refused(null_pages, {"n": None}) == [
        COST_MESSAGE.format(cost=60, limit=40)
    ]


def test_the_cost_limit_is_a_setting(make_api: Callable[..., Api]) -> None:
    api = make_api({"MAX_QUERY_COST": 1100})

    assert len(api.allowed("{ " + contacts_pages(11) + " }")) == 11
    assert api.refused("{ " + contacts_pages(12) + " }") == [
        COST_MESSAGE.format(cost=1200, limit=1100)
    ]


def test_the_cost_multiplies_page_sizes_down_a_path() -> None:
    """Connections nested in connections multiply (this schema has none yet,
    so the document need not be valid: the cost is computed on the syntax)."""
    document = parse(
        """
        query Nested($inner: Int) {
          contacts(first: 10) {
            edges { node { ...Inner } }
            outer: contacts { totalCount }
          }
        }
        fragment Inner on Contact { contacts(last: $inner) { totalCount } }
        """
    )

    # 10, plus 10 x 5 below it, plus 10 x the default 20 below it.
    assert query_cost(document, {"inner": 5}, None) == 10 + 50 + 200


# Document size in bytes.


def padded_register(size: int) -> str:
    """A register request of exactly `size` bytes of JSON."""
    body = {
        "query": REGISTER,
        "variables": {
            "input": {"email": "big@example.com", "password": DEFAULT_PASSWORD}
        },
    }
    padding = size - len(json.dumps(body))
    body["query"] = REGISTER + " " * padding
    encoded = json.dumps(body)
    assert len(encoded.encode()) == size
    return encoded


@pytest.mark.parametrize(("setting", "limit"), [(None, 100_000), (1000, 1000)])
def test_a_body_over_max_content_length_gets_a_json_413(
    make_api: Callable[..., Api], setting: int | None, limit: int
) -> None:
    api = make_api({"MAX_CONTENT_LENGTH": setting} if setting else None)
    api.calls.clear()

    response = api.client.post(
        "/graphql", data=padded_register(limit + 1), content_type="application/json"
    )

    assert response.status_code == 413
    assert response.get_json() == {
        "errors": [
            {
                "message": (
                    f"The request body is larger than the limit of {limit} bytes "
                    "(MAX_CONTENT_LENGTH)."
                ),
                "extensions": {"code": "BAD_USER_INPUT"},
            }
        ]
    }
    assert api.calls == []
    api.answers_normally()
    at_limit = api.client.post(
        "/graphql", data=padded_register(limit), content_type="application/json"
    )
    assert at_limit.get_json()["data"]["register"]["userErrors"] == []
    assert api.calls == ["register"]
    with api.app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 2


# Query texts that passed validation are not validated again (per schema);
# what depends on the variables (coercion, cost) is checked every time.


def test_a_valid_query_is_validated_once(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    validated: list[str] = []
    document_errors = QueryLimits.document_errors

    def recording(self: QueryLimits, *args: Any) -> Any:
        validated.append(self.execution_context.query or "")
        return document_errors(self, *args)

    monkeypatch.setattr(QueryLimits, "document_errors", recording)
    document = "query Pages($n: Int) { " + contacts_pages(11, "first: $n") + " }"

    for _ in range(3):
        assert len(api.allowed(document, {"n": 90})) == 11
    assert api.refused(document, {"n": 91}) == [
        COST_MESSAGE.format(cost=1001, limit=1000)
    ]
    assert api.refused(document, {"n": "many"}) == [
        "Variable '$n' has invalid value: "
        "Int cannot represent non-integer value: 'many'"
    ]
    assert validated.count(document) == 1


def test_an_invalid_query_is_refused_every_time(api: Api) -> None:
    for _ in range(2):
        assert api.refused("{ contacts(first: 1) { nope } }") == [
            "Cannot query field 'nope' on type 'ContactConnection'."
        ]


def test_what_one_schema_found_valid_another_still_checks(
    make_api: Callable[..., Api],
) -> None:
    deep = "{ contacts(first: 1) { edges { node { tags { name } } } } }"
    lenient, strict = make_api(), make_api({"MAX_QUERY_DEPTH": 3})

    assert lenient.allowed(deep) == {"contacts": {"edges": []}}
    assert strict.refused(deep) == ["'anonymous' exceeds maximum operation depth of 3"]


def test_the_document_cache_can_be_turned_off(make_api: Callable[..., Api]) -> None:
    api = make_api({"GRAPHQL_DOCUMENT_CACHE_SIZE": 0})

    assert api.allowed("{ " + contacts_pages(10) + " }")["a9"] == {"totalCount": 0}
    assert api.refused("{ " + contacts_pages(11) + " }") == [
        COST_MESSAGE.format(cost=1100, limit=1000)
    ]


def test_valid_queries_forget_the_least_recently_used() -> None:
    valid = ValidQueries(maxsize=2)
    valid.add("a")
    valid.add("b")
    assert "a" in valid  # now the most recently used
    valid.add("c")

    assert ("a" in valid, "b" in valid, "c" in valid) == (True, False, True)
    assert len(valid) == 2


def test_a_cache_of_size_zero_keeps_nothing() -> None:
    valid = ValidQueries(maxsize=0)
    valid.add("a")

    assert "a" not in valid
    assert len(valid) == 0
