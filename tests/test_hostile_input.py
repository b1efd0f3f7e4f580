"""Hostile input never gives a 500: bodies that are not one JSON operation,
bodies that are not UTF-8, variables nested past MAX_VARIABLES_DEPTH,
numbers longer than Python's int() reads, and IDs and cursors that are not
what the server hands out. Each is refused as the client's error, in the
contract's JSON shape, without a traceback in the log; on SQLite and
PostgreSQL (a cursor's id past 32 bits only broke PostgreSQL)."""

from __future__ import annotations

import base64
import gzip
import json
import string
import sys
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.config import LIMITS
from tests.helpers import Accounts, GraphQL

# Every case here is the client's error: nothing may be logged as an
# unexpected one.
pytestmark = pytest.mark.usefixtures("no_traceback_logged")

JSON = {"Content-Type": "application/json"}
TYPENAME = json.dumps({"query": "{ __typename }"}).encode()
DIGITS = sys.get_int_max_str_digits() + 1  # one more than int() reads
DEPTH = LIMITS["MAX_VARIABLES_DEPTH"]
CONTACT = "query($id: ID!) { contact(id: $id) { id } }"
NODE = "query($id: ID!) { node(id: $id) { id } }"
CONTACTS = "query($after: String) { contacts(after: $after) { totalCount } }"


def refusal(message: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": "BAD_USER_INPUT"}}]}


def opaque(text: str) -> str:
    """What the server makes of `text`: URL-safe base64, without padding."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def nested(depth: int) -> str:
    """JSON text of a string inside `depth` lists (json.dumps would hit the
    recursion limit before the server does)."""
    return "[" * depth + '"leaf"' + "]" * depth


def post_raw(client: FlaskClient, body: bytes, **headers: str) -> Any:
    return client.post("/graphql", data=body, headers={**JSON, **headers})


# --- bodies that are not one operation ---------------------------------------------

NOT_AN_OPERATION = "The request body must be a JSON object: one GraphQL operation."


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'"just a string"', NOT_AN_OPERATION),
        (b"42", NOT_AN_OPERATION),
        (b"true", NOT_AN_OPERATION),
        (b"null", NOT_AN_OPERATION),
        (b"[1]", "Batching is not enabled"),
        (b"[]", "Batching is not enabled"),
    ],
    ids=["string", "number", "true", "null", "array", "empty-array"],
)
@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8"],
    ids=["plain", "with-charset"],
)
def test_a_body_that_is_not_one_operation_is_a_json_400(
    client: FlaskClient, body: bytes, message: str, content_type: str
) -> None:
    response = post_raw(client, body, **{"Content-Type": content_type})

    assert response.status_code == 400
    assert response.mimetype == "application/json"
    assert response.get_json() == refusal(message)


# --- bodies that are not UTF-8 ------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "headers", "status", "message"),
    [
        (
            b'{"query": "{ __typename }\xff"}',
            {},
            400,
            "The request body is not valid UTF-8.",
        ),
        (
            b"\xff\xfe{",
            {"Content-Type": "application/json; charset=utf-8"},
            400,
            "The request body is not valid UTF-8.",
        ),
        (
            '{"query": "{ __typename }"}'.encode("utf-16"),
            {"Content-Type": "application/json; charset=utf-16"},
            415,
            "The request body must be UTF-8, not utf-16.",
        ),
        (
            gzip.compress(TYPENAME),
            {"Content-Encoding": "gzip"},
            415,
            "Content-Encoding gzip is not accepted; send the body uncompressed.",
        ),
    ],
    ids=["invalid-bytes", "invalid-bytes-with-charset", "utf-16", "gzip"],
)
def test_a_body_that_is_not_utf8_json_is_refused_in_json(
    client: FlaskClient,
    body: bytes,
    headers: dict[str, str],
    status: int,
    message: str,
) -> None:
    response = post_raw(client, body, **headers)

    assert (response.status_code, response.get_json()) == (status, refusal(message))


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Encoding": "identity"},
        {"Content-Type": "application/json; charset=UTF8"},
    ],
    ids=["identity", "utf8-alias"],
)
def test_utf8_json_under_another_name_is_served(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    response = post_raw(client, TYPENAME, **headers)

    assert response.get_json() == {"data": {"__typename": "Query"}}


# --- nesting and long numbers in the request ----------------------------------------

TOO_DEEP = f"`variables` are nested deeper than {DEPTH} levels (MAX_VARIABLES_DEPTH)."
STRING_VARIABLE = "query($v: [String]) { __typename }"


def operation(variables: str) -> bytes:
    query = json.dumps(STRING_VARIABLE)
    return f'{{"query": {query}, "variables": {{"v": {variables}}}}}'.encode()


@pytest.mark.parametrize("depth", [DEPTH, 1_000, 10_000], ids=str)
def test_variables_nested_past_the_limit_are_refused(
    client: FlaskClient, depth: int
) -> None:
    """`v` is one level below `variables`: at DEPTH it is one too many.
    1,000 levels broke json.loads (RecursionError), 10,000 too."""
    response = post_raw(client, operation(nested(depth)))

    assert response.status_code == 400
    assert response.get_json() in (
        refusal(TOO_DEEP),
        refusal("The request body is nested too deeply to read."),
    )


def test_variables_nested_past_the_limit_are_refused_over_get(
    client: FlaskClient,
) -> None:
    response = client.get(
        "/graphql",
        query_string={
            "query": STRING_VARIABLE,
            "variables": f'{{"v": {nested(1_000)}}}',
        },
    )

    assert (response.status_code, response.get_json()) == (
        400,
        refusal("The request body is nested too deeply to read."),
    )


def test_variables_within_the_limit_reach_graphql(client: FlaskClient) -> None:
    response = post_raw(client, operation(nested(DEPTH - 1)))

    body = response.get_json()
    assert response.status_code == 200
    # Past the body's checks: graphql-core's own validation answers.
    assert [error["extensions"]["code"] for error in body["errors"]] == [
        "GRAPHQL_VALIDATION_FAILED"
    ]


def test_max_variables_depth_can_be_relaxed(make_app: Callable[..., Flask]) -> None:
    app = make_app(MAX_VARIABLES_DEPTH=DEPTH * 2)

    response = post_raw(app.test_client(), operation(nested(DEPTH)))

    assert response.status_code == 200
    assert "errors" in response.get_json()


TOO_LONG_A_NUMBER = f"The request body holds a number of more than {DIGITS - 1} digits."


@pytest.mark.parametrize(
    "body",
    [
        b'{"query": "query($n: Int) { __typename }", "variables": {"n": '
        + b"1" * DIGITS
        + b"}}",
        b'{"query": "{ __typename }", "extensions": {"n": ' + b"9" * DIGITS + b"}}",
    ],
    ids=["variables", "extensions"],
)
def test_a_number_longer_than_int_reads_in_the_body_is_refused(
    client: FlaskClient, body: bytes
) -> None:
    response = post_raw(client, body)

    assert (response.status_code, response.get_json()) == (
        400,
        refusal(TOO_LONG_A_NUMBER),
    )


@pytest.mark.parametrize("sign", ["", "-"], ids=["positive", "negative"])
def test_an_int_literal_longer_than_int_reads_is_bad_user_input(
    gql: GraphQL, accounts: Accounts, sign: str
) -> None:
    token = accounts.token()
    query = f"{{ contacts(first: {sign}{'1' * DIGITS}) {{ totalCount }} }}"

    body = gql(query, token=token)

    assert body["data"] is None
    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
        (
            f"An integer in the query has {DIGITS} digits, "
            f"more than the {DIGITS - 1} the server reads.",
            {"code": "BAD_USER_INPUT"},
        )
    ]


# --- IDs and cursors the server never hands out -------------------------------------


def decoded(opaque_id: str) -> str:
    return base64.urlsafe_b64decode(opaque_id + "=" * (-len(opaque_id) % 4)).decode()


@pytest.mark.parametrize("query", [CONTACT, NODE], ids=["contact", "node"])
@pytest.mark.parametrize("type_name", ["Contact", "Tag", "User"])
def test_an_id_whose_number_is_longer_than_int_reads_names_nothing(
    gql: GraphQL, token: str, query: str, type_name: str
) -> None:
    global_id = opaque(f"{type_name}:{'7' * DIGITS}")

    body = gql(query, {"id": global_id}, token)

    assert body == {"data": {"contact" if query == CONTACT else "node": None}}


def stray_bits(opaque_id: str) -> str:
    """`opaque_id` with its last character's lowest bit flipped: base64 of a
    length that is not a multiple of 3 ends in bits decoding drops."""
    alphabet = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
    last = alphabet.index(opaque_id[-1])
    return opaque_id[:-1] + alphabet[last ^ 1]


@pytest.mark.parametrize(
    "respell",
    [
        lambda id: id + "=",
        lambda id: id + "==",
        stray_bits,
        lambda id: opaque(decoded(id).replace(":", ":0")),
        lambda id: base64.b64encode(decoded(id).encode()).decode(),
    ],
    ids=["padding", "double-padding", "stray-bits", "leading-zero", "padded-std"],
)
def test_only_the_canonical_spelling_of_an_id_resolves(
    gql: GraphQL, token: str, tagged_contact: dict[str, Any], respell: Any
) -> None:
    """Another spelling of a real ID is malformed, as any other
    malformed ID is: one object, one ID."""
    tag_id = tagged_contact["tags"][0]["id"]  # "Tag:1": base64 with padding
    assert gql.data(NODE, {"id": tag_id}, token) == {"node": {"id": tag_id}}
    spelling = respell(tag_id)
    assert spelling != tag_id

    for query in (NODE, CONTACT):
        body = gql(query, {"id": spelling}, token)
        assert [
            (e["message"], e["extensions"]["code"]) for e in body.get("errors", [])
        ] == [("`id` is not a valid ID.", "BAD_USER_INPUT")], spelling


def cursor(*parts: Any) -> str:
    return opaque(json.dumps(list(parts)))


INVALID_CURSOR = "`after` is not a valid cursor."


@pytest.mark.parametrize(
    "after",
    [
        cursor("LAST_NAME", "adams", 2**31),
        cursor("LAST_NAME", "adams", 2**63 - 1),
        cursor("LAST_NAME", "\ud800", 1),
        cursor("LAST_NAME", "a\udfffb", 1),
        opaque("[" * 2_000 + "]" * 2_000),
        opaque('["LAST_NAME", "adams", ' + "1" * DIGITS + "]"),
        cursor("LAST_NAME", "adams", 1) + "=",
    ],
    ids=[
        "id-past-32-bits",
        "id-at-64-bits",
        "lone-surrogate",
        "lone-low-surrogate",
        "nested",
        "long-number",
        "padded",
    ],
)
def test_a_cursor_the_server_never_made_is_bad_user_input(
    gql: GraphQL, token: str, tagged_contact: dict[str, Any], after: str
) -> None:
    body = gql(CONTACTS, {"after": after}, token)

    assert body["data"] is None
    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
        (INVALID_CURSOR, {"code": "BAD_USER_INPUT"})
    ]


def test_a_cursor_at_the_largest_id_is_read(
    gql: GraphQL, token: str, tagged_contact: dict[str, Any]
) -> None:
    body = gql(CONTACTS, {"after": cursor("LAST_NAME", "adams", 2**31 - 1)}, token)

    assert body == {"data": {"contacts": {"totalCount": 1}}}


@pytest.mark.parametrize(
    ("method", "path", "status", "message"),
    [
        ("PUT", "/graphql", 405, "Method Not Allowed."),
        ("DELETE", "/graphql", 405, "Method Not Allowed."),
        ("GET", "/no-such-path", 404, "Not Found."),
        ("POST", "/healthz", 405, "Method Not Allowed."),
    ],
)
def test_an_http_error_outside_graphql_is_json_too(
    client: FlaskClient, method: str, path: str, status: int, message: str
) -> None:
    response = client.open(path, method=method)

    assert (response.status_code, response.get_json()) == (status, refusal(message))
    assert response.content_type == "application/json"
    if status == 405:
        assert "GET" in response.headers["Allow"]
