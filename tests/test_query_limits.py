"""Limits on one request, refused before any resolver runs.

For each limit: the largest document the default allows runs, one step more
is refused with a message that names the limit, a setting moves the boundary,
no resolver runs for a refused document, and the same app answers a normal
query right after. `list_contacts` and `register` record their calls, so a
test sees whether execution reached them. The limits checked before
execution never touch the database, so those tests run on SQLite only; the
response size, checked after, runs on both databases.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from graphql import parse
from sqlalchemy import func, select

from app.config import LIMITS
from app.extensions import db
from app.models import User
from app.schema.document_cache import ValidQueries
from app.schema.limits import QueryLimits, query_cost
from tests.helpers import DEFAULT_PASSWORD, Accounts, GraphQL, create
from tests.operations import REGISTER_FOR_A_TOKEN
from tests.support.query_limits import SMALL_COST, Api

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


def aliased(count: int, field: str = CONTACTS) -> str:
    return " ".join(f"a{i}: {field}" for i in range(count))


# The defaults, which the tests below assume.
QUERY_LIMITS = {
    "MAX_CONTENT_LENGTH": 100_000,
    "MAX_QUERY_TOKENS": 2000,
    "MAX_QUERY_FIELDS": 2000,
    "MAX_QUERY_DEPTH": 10,
    "MAX_QUERY_ALIASES": 30,
    "MAX_QUERY_DIRECTIVES": 50,
    "MAX_VALIDATION_ERRORS": 10,
    "MAX_QUERY_COST": 50_000,
    "MAX_RESPONSE_BYTES": 5_000_000,
}


def test_testing_uses_the_default_limits(api: Api) -> None:
    assert {name: api.app.config[name] for name in LIMITS} == LIMITS
    assert {name: LIMITS[name] for name in QUERY_LIMITS} == QUERY_LIMITS


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


def test_the_cost_of_a_document_is_bounded(cost_api: Api) -> None:
    assert len(cost_api.allowed("{ " + contacts_pages(10) + " }")) == 10
    assert cost_api.refused("{ " + contacts_pages(11) + " }") == [
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
    cost_api: Api, document: str, variables: dict[str, Any] | None
) -> None:
    assert cost_api.refused(document, variables) == [
        COST_MESSAGE.format(cost=1100, limit=1000)
    ]


def test_the_cost_is_that_of_the_operation_that_runs(cost_api: Api) -> None:
    document = (
        "query Cheap { " + contacts_pages(1) + " } "
        "query Costly { " + contacts_pages(11) + " }"
    )

    assert cost_api.refused(document, None, "Costly") == [
        COST_MESSAGE.format(cost=1100, limit=1000)
    ]
    assert cost_api.allowed(document, None, "Cheap") == {"a0": {"totalCount": 0}}


def test_a_page_size_from_a_variable_is_honoured_both_ways(cost_api: Api) -> None:
    document = "query Pages($n: Int) { " + contacts_pages(11, "first: $n") + " }"

    assert len(cost_api.allowed(document, {"n": 90})) == 11
    assert cost_api.refused(document, {"n": 91}) == [
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

    # 10, plus its 10 edges, plus 10 x 5 below them, plus 10 x the default
    # 20 below it (before edges counted as list items too: 260).
    assert query_cost(document, {"inner": 5}, None) == 10 + 10 + 50 + 200


# Document size in bytes.


def padded_register(size: int) -> str:
    """A register request of exactly `size` bytes of JSON."""
    body = {
        "query": REGISTER_FOR_A_TOKEN,
        "variables": {
            "input": {"email": "big@example.com", "password": DEFAULT_PASSWORD}
        },
    }
    padding = size - len(json.dumps(body))
    body["query"] = REGISTER_FOR_A_TOKEN + " " * padding
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
    cost_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = cost_api
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
    api = make_api({"GRAPHQL_DOCUMENT_CACHE_SIZE": 0, **SMALL_COST})

    assert api.allowed("{ " + contacts_pages(10) + " }")["a9"] == {"totalCount": 0}
    assert api.refused("{ " + contacts_pages(11) + " }") == [
        COST_MESSAGE.format(cost=1100, limit=1000)
    ]


def test_valid_queries_forget_the_least_recently_used() -> None:
    valid = ValidQueries(maxsize=2)
    valid.put("a", ())
    valid.put("b", ())
    assert valid.get("a") == ()  # now the most recently used
    valid.put("c", ())

    assert [valid.get(query) for query in "abc"] == [(), None, ()]
    assert len(valid) == 2


def test_a_cache_of_size_zero_keeps_nothing() -> None:
    valid = ValidQueries(maxsize=0)
    valid.put("a", ())

    assert valid.get("a") is None
    assert len(valid) == 0


# Fields once fragments are expanded. Each fragment spreading the next twice
# doubles the expansion: n fragments in about 40n bytes select 2^n fields.
# Every walk of the document remembers each fragment's counts, so the
# refusal costs time linear in the document, and a repeat costs nothing.


def fragment_bomb(n: int) -> str:
    fragments = " ".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(n)
    )
    return f"query Q1 {{ ...F0 }} {fragments} fragment F{n} on Query {{ __typename }}"


def fields_message(fields: int, limit: int) -> str:
    return (
        f"The query has {fields} fields once fragments are expanded; "
        f"the limit is {limit} (MAX_QUERY_FIELDS)."
    )


@pytest.mark.parametrize("n", [20, 40, 100])
def test_a_fragment_bomb_is_refused_at_once(api: Api, n: int) -> None:
    """Without a token: refusing costs the attacker nothing to ask."""
    api.calls.clear()
    started = time.perf_counter()

    response = api.client.post("/graphql", json={"query": fragment_bomb(n)})

    assert time.perf_counter() - started < 1.0
    body = response.get_json()
    assert body["data"] is None
    assert [error["message"] for error in body["errors"]] == [
        fields_message(2**n, 2000)
    ]
    assert api.calls == []
    api.answers_normally()


def test_a_refused_document_is_not_checked_again(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []
    document_errors = QueryLimits.document_errors

    def recording(self: QueryLimits, *args: Any) -> Any:
        checked.append(self.execution_context.query or "")
        return document_errors(self, *args)

    monkeypatch.setattr(QueryLimits, "document_errors", recording)
    bomb = fragment_bomb(30)

    for _ in range(3):
        assert api.refused(bomb) == [fields_message(2**30, 2000)]
    assert checked.count(bomb) == 1


@pytest.mark.parametrize(
    ("setting", "limit", "per_spread"), [(None, 2000, 6), (4, 4, 2)]
)
def test_fields_over_the_limit_are_refused(
    make_api: Callable[..., Api], setting: int | None, limit: int, per_spread: int
) -> None:
    """Two fields, then fragment spreads of `per_spread` fields each: the
    limit exactly. One `__typename` more is over it."""
    api = make_api({"MAX_QUERY_FIELDS": setting} if setting else None)
    spreads = "...Names " * ((limit - 2) // per_spread)
    names = " fragment Names on Query { " + "__typename " * per_spread + "}"

    at_limit = api.allowed("{ " + CONTACTS + " " + spreads + "}" + names)
    assert at_limit["contacts"] == {"totalCount": 0}
    assert api.refused("{ " + CONTACTS + " __typename " + spreads + "}" + names) == [
        fields_message(limit + 1, limit)
    ]


def test_aliases_in_a_fragment_count_at_each_use(
    make_api: Callable[..., Api],
) -> None:
    api = make_api({"MAX_QUERY_ALIASES": 2})
    count = " fragment Count on ContactConnection { total: totalCount }"

    assert api.allowed(
        "{ contacts(first: 1) { ...Count } again: contacts(first: 1) { totalCount } }"
        + count
    ) == {"contacts": {"total": 0}, "again": {"totalCount": 0}}
    assert api.refused(
        "{ contacts(first: 1) { ...Count } again: contacts(first: 1) { ...Count } }"
        + count
    ) == ["3 aliases found. Allowed: 2"]


# Repeated validation errors: each distinct one once, with all its locations.


def test_a_repeated_validation_error_is_reported_once(api: Api) -> None:
    body = api.post("query { __typename" + " @aa" * 10 + " }")

    assert body["data"] is None
    assert [(error["message"], error["locations"]) for error in body["errors"]] == [
        (
            "Unknown directive '@aa'.",
            [{"line": 1, "column": 20 + 4 * i} for i in range(10)],
        )
    ]


def test_distinct_validation_errors_stay_apart(api: Api) -> None:
    assert api.refused("{ __typename @aa @bb @aa }") == [
        "Unknown directive '@aa'.",
        "Unknown directive '@bb'.",
    ]


# The cost counts every list item a response may hold: each page, both of
# its lists (`edges`, `nodes`), and each list of a contact at the most items
# input validation allows (50).

CONTACT_FIELDS = """
  id firstName lastName displayName company jobTitle birthday notes favorite
  emails { value label primary } phones { value label primary }
  addresses { label street city region postalCode country }
  tags { id name contactCount } version createdAt updatedAt
"""


@pytest.mark.parametrize(
    ("document", "cost"),
    [
        ("{ contacts(first: 10) { totalCount } }", 10),
        ("{ contacts(first: 10) { edges { cursor } } }", 10 + 10),
        ("{ contacts(first: 10) { edges { node { id } } nodes { id } } }", 30),
        (
            "{ contacts(first: 10) { nodes { emails { value } phones { value } "
            "addresses { city } tags { name } } } }",
            10 + 10 + 10 * 4 * 50,
        ),
        (
            "{ a: contacts(first: 10) { nodes { id } } b: contacts { nodes { id } } }",
            60,
        ),
        ('{ contact(id: "x") { emails { value } } }', 50),
        ("{ contacts(first: 0) { nodes { emails { value } } } }", 0),
        (
            '{ contact(id: "x") { ...Tags } contacts(first: 2) { nodes { ...Tags } } }'
            " fragment Tags on Contact { tags { name } }",
            50 + 2 + 2 + 2 * 50,
        ),
    ],
)
def test_the_cost_counts_every_list_item(document: str, cost: int) -> None:
    assert query_cost(parse(document), {}, None) == cost


def test_one_account_cannot_ask_for_every_list_at_its_largest(api: Api) -> None:
    """A page of 100 contacts with every list (20,200 items) runs; ten of
    them, each through `edges` and `nodes` (403,000), are refused."""
    heavy = " ".join(
        f"a{i}: contacts(first: 100) {{ edges {{ node {{ {CONTACT_FIELDS} }} }} "
        f"nodes {{ {CONTACT_FIELDS} }} }}"
        for i in range(10)
    )

    assert api.allowed(
        "{ contacts(first: 100) { nodes { " + CONTACT_FIELDS + " } } }"
    ) == {"contacts": {"nodes": []}}
    assert api.refused("{ " + heavy + " }") == [
        COST_MESSAGE.format(cost=403_000, limit=50_000)
    ]


def test_the_examples_fit_the_default_cost_at_the_largest_page() -> None:
    examples = Path(__file__).resolve().parent.parent / "examples"
    for example in ("list-contacts", "search-contacts"):
        document = parse((examples / f"{example}.graphql").read_text())
        assert query_cost(document, {"first": 100}, None) <= LIMITS["MAX_QUERY_COST"]


# The response size: a response over MAX_RESPONSE_BYTES is replaced by an
# error, whatever the database.


def test_a_response_over_the_limit_is_refused(
    app: Flask, gql: GraphQL, accounts: Accounts
) -> None:
    token = accounts.token()
    notes = "n" * 2000
    created = create(gql, token, {"firstName": "Ada", "notes": notes})
    assert created["userErrors"] == []
    app.config["MAX_RESPONSE_BYTES"] = 3000

    assert gql.data("{ contacts { nodes { notes } } }", token=token) == {
        "contacts": {"nodes": [{"notes": notes}]}
    }
    response = gql.client.post(
        "/graphql",
        json={"query": "{ contacts { nodes { notes again: notes } } }"},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert response.get_json() == {
        "data": None,
        "errors": [
            {
                "message": (
                    "The response is larger than the limit of 3000 bytes "
                    "(MAX_RESPONSE_BYTES). Ask for fewer fields or smaller pages."
                ),
                "extensions": {"code": "BAD_USER_INPUT"},
            }
        ],
    }
    assert len(response.get_data()) < 3000
    assert gql.data("{ me { email } }", token=token) == {
        "me": {"email": "user1@example.com"}
    }
