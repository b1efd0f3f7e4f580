"""What a document must be to run: well-formed, and one operation or a name.

Every refusal is an error in `errors[]` with the contract's code, and runs
nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.helpers import Accounts, GraphQL

CREATE_THEN_READ = """
mutation B { createContact(input: {firstName: "Ada"}) { contact { id } } }
query A { contacts { totalCount } }
"""
SEVERAL_OPERATIONS = {
    "message": "Must provide operation name if query contains multiple operations.",
    "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
}


def post(
    client: FlaskClient, body: dict[str, Any], token: str | None = None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.post("/graphql", json=body, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    result: dict[str, Any] = response.get_json()
    return result


def contact_count(gql: GraphQL, token: str) -> int:
    count: int = gql.data("{ contacts { totalCount } }", token=token)["contacts"][
        "totalCount"
    ]
    return count


def test_several_operations_without_a_name_run_nothing(
    client: FlaskClient, gql: GraphQL, accounts: Accounts
) -> None:
    token = accounts.token()

    body = post(client, {"query": CREATE_THEN_READ}, token)

    assert body == {"data": None, "errors": [SEVERAL_OPERATIONS]}
    assert contact_count(gql, token) == 0


def test_the_named_operation_of_several_runs_alone(
    client: FlaskClient, gql: GraphQL, accounts: Accounts
) -> None:
    token = accounts.token()

    read = post(client, {"query": CREATE_THEN_READ, "operationName": "A"}, token)
    created = post(client, {"query": CREATE_THEN_READ, "operationName": "B"}, token)

    assert read == {"data": {"contacts": {"totalCount": 0}}}
    assert created["data"]["createContact"]["contact"]["id"]
    assert contact_count(gql, token) == 1


def test_one_operation_needs_no_name(gql: GraphQL) -> None:
    assert gql("query Only { __typename }") == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    ("query", "message", "column"),
    [
        (
            "query { contacts { totalCount ",
            "Syntax Error: Expected Name, found <EOF>.",
            31,
        ),
        ("{ me { id } ", "Syntax Error: Expected Name, found <EOF>.", 13),
        ("mutation { 42 }", "Syntax Error: Expected Name, found Int '42'.", 12),
    ],
)
def test_a_syntax_error_is_graphql_parse_failed(
    gql: GraphQL, query: str, message: str, column: int
) -> None:
    assert gql(query) == {
        "data": None,
        "errors": [
            {
                "message": message,
                "locations": [{"line": 1, "column": column}],
                "extensions": {"code": "GRAPHQL_PARSE_FAILED"},
            }
        ],
    }


def test_a_repeated_syntax_error_is_reported_alike(gql: GraphQL) -> None:
    """The parser cache must not turn the second try into something else."""
    first = gql("{ me { id }")
    second = gql("{ me { id }")

    assert first == second
    assert first["errors"][0]["extensions"] == {"code": "GRAPHQL_PARSE_FAILED"}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("{ nope }", "Cannot query field 'nope' on type 'Query'."),
        ("query($x: Int) { __typename }", "Variable '$x' is never used."),
        (
            "{ me }",
            "Field 'me' of type 'User' must have a selection of subfields."
            " Did you mean 'me { ... }'?",
        ),
    ],
)
def test_a_document_the_schema_refuses_is_graphql_validation_failed(
    gql: GraphQL, query: str, message: str
) -> None:
    errors = gql(query)["errors"]

    assert [(e["message"], e["extensions"]) for e in errors] == [
        (message, {"code": "GRAPHQL_VALIDATION_FAILED"})
    ]


def test_a_server_limit_stays_bad_user_input(gql: GraphQL) -> None:
    deep = "{ me { id } " + "".join(f"a{i}: __typename " for i in range(31)) + "}"

    errors = gql(deep)["errors"]

    assert [(e["message"], e["extensions"]) for e in errors] == [
        ("31 aliases found. Allowed: 30", {"code": "BAD_USER_INPUT"})
    ]
