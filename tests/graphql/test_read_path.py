"""The listing's read path: a fixed number of SQL statements however large
the page, and only the related lists the query selects are read."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from psycopg.pq import TransactionStatus
from sqlalchemy import event

from app.extensions import db
from app.services.contact_input import EmailInput, PhoneInput
from tests.helpers import GraphQL
from tests.support.read_path import Viewer
from tests.support.statements import executions

EVERY_LIST = """
query Page($first: Int!) {
  contacts(first: $first) {
    totalCount
    edges { cursor node {
      id displayName
      emails { value label primary }
      phones { value label primary }
      addresses { city country }
      tags { id name contactCount }
    } }
    nodes { id tags { name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
RELATED_TABLES = ("contact_emails", "contact_phones", "contact_addresses", "tags")
SESSION = {"users", "auth_sessions"}
# The page itself; with displayName, also the first email and phone, which
# the page statement reads for nameless contacts only (their display name).
PAGE = {"contacts"}
NAMED_PAGE = PAGE | {"contact_emails", "contact_phones"}
TAGS = {"contact_tags", "tags"}


def page_statements(
    app: Flask, *lists: set[str], named: bool = False
) -> list[set[str]]:
    """The statements that read a page (`named`: with displayName) with
    these related lists: PostgreSQL aggregates the lists into the page
    statement, SQLite reads each apart."""
    page = NAMED_PAGE if named else PAGE
    with app.app_context():
        aggregated = db.engine.dialect.name == "postgresql"
    if aggregated:
        return [page.union(*lists)]
    return [page, *lists]


@contextmanager
def tables_read(app: Flask, sql: list[str] | None = None) -> Iterator[list[set[str]]]:
    """The tables each SQL statement names, in order, while the block runs
    (and the statements themselves, in `sql` when given)."""
    tables: list[set[str]] = []
    with executions(app) as seen:
        yield tables
    tables.extend(execution.tables for execution in seen)
    if sql is not None:
        sql.extend(execution.statement for execution in seen)


def test_statements_per_request_do_not_grow_with_the_page_size(
    app: Flask, gql: GraphQL, reader: Viewer
) -> None:
    token = reader.token
    reader.add_contacts(100)

    with tables_read(app) as small:
        five = gql.data(EVERY_LIST, {"first": 5}, token)["contacts"]
    with tables_read(app) as large:
        hundred = gql.data(EVERY_LIST, {"first": 100}, token)["contacts"]

    assert (len(five["edges"]), len(hundred["edges"])) == (5, 100)
    assert hundred["edges"][99]["node"]["tags"] == [
        {
            "id": hundred["edges"][99]["node"]["tags"][0]["id"],
            "name": "friends",
            "contactCount": 100,
        },
        {
            "id": hundred["edges"][99]["node"]["tags"][1]["id"],
            "name": "group 0",
            "contactCount": 34,
        },
    ]
    assert small == large
    assert large == [
        SESSION,
        *page_statements(
            app,
            {"contact_emails"},
            {"contact_phones"},
            {"contact_addresses"},
            TAGS,
            named=True,
        ),
        {"contacts"},  # totalCount
        # contactCount of every tag, once (of contacts outside the trash)
        TAGS | {"contacts"},
    ]


def test_lists_not_selected_are_not_read(
    app: Flask, gql: GraphQL, reader: Viewer
) -> None:
    token = reader.token
    reader.add_contacts(3)

    with tables_read(app) as statements:
        page = gql.data(
            "{ contacts(first: 10) { nodes { id lastName displayName } } }",
            token=token,
        )["contacts"]

    assert [node["displayName"] for node in page["nodes"]] == [
        "Person 000",
        "Person 001",
        "Person 002",
    ]
    assert statements == [SESSION, NAMED_PAGE]


def test_only_the_selected_lists_are_read(
    app: Flask, gql: GraphQL, reader: Viewer
) -> None:
    token = reader.token
    reader.add_contacts(2)

    sql: list[str] = []
    with tables_read(app, sql) as statements:
        page = gql.data(
            "{ contacts(first: 10) { edges { node { phones { value } } } } }",
            token=token,
        )["contacts"]

    assert page["edges"] == [
        {"node": {"phones": [{"value": "+16502530000"}]}},
        {"node": {"phones": [{"value": "+16502530001"}]}},
    ]
    assert statements == [SESSION, *page_statements(app, {"contact_phones"})]
    assert "".join(sql).count("json_agg(") == (1 if len(statements) == 2 else 0)


@pytest.mark.parametrize(
    ("selection", "order", "columns"),
    [
        ("id", "LAST_NAME", {"id", "sort_last"}),
        ("notes", "FIRST_NAME", {"id", "sort_first", "notes"}),
        (
            "displayName",
            "CREATED_AT",
            {"id", "created_at", "first_name", "last_name", "nickname", "company"},
        ),
        (
            "firstName updatedAt",
            "LAST_NAME",
            {"id", "sort_last", "first_name", "updated_at"},
        ),
    ],
)
def test_a_page_reads_the_columns_of_the_selected_fields(
    app: Flask,
    gql: GraphQL,
    reader: Viewer,
    selection: str,
    order: str,
    columns: set[str],
) -> None:
    token = reader.token
    reader.add_contacts(2)
    query = (
        f"{{ contacts(first: 2, orderBy: {{field: {order}, direction: ASC}}) "
        f"{{ edges {{ cursor node {{ {selection} }} }} }} }}"
    )

    sql: list[str] = []
    with tables_read(app, sql):
        data = gql.data(query, token=token)

    assert len(data["contacts"]["edges"]) == 2
    page = re.split(r"\sFROM contacts\s", sql[1])[0]  # the columns read
    read = set(re.findall(r"\bcontacts\.(\w+)", page))
    assert read == columns
    assert ("first_email" in page) == ("displayName" in selection)


def test_each_field_of_a_document_reads_its_own_lists_every_time(
    app: Flask, gql: GraphQL, reader: Viewer
) -> None:
    token = reader.token
    reader.add_contacts(1)
    query = """{
      a: contacts(first: 1) { edges { node { phones { value } } } }
      b: contacts(first: 1) { nodes { tags { name } } }
    }"""

    for _ in range(2):  # the second time, the look-ahead is remembered
        with tables_read(app) as statements:
            data = gql.data(query, token=token)

        assert data == {
            "a": {"edges": [{"node": {"phones": [{"value": "+16502530000"}]}}]},
            "b": {"nodes": [{"tags": [{"name": "friends"}, {"name": "group 0"}]}]},
        }
        assert statements == [
            SESSION,
            *page_statements(app, {"contact_phones"}),
            *page_statements(app, {"contact_tags", "tags"}),
        ]


def test_lists_selected_through_fragments_are_read(
    gql: GraphQL, reader: Viewer
) -> None:
    token = reader.token
    reader.add_contacts(1)

    page = gql.data(
        """
        query {
          contacts(first: 1) {
            nodes { ...Reachable }
            edges { node { ... on Contact { tags { name } } } }
          }
        }
        fragment Reachable on Contact {
          emails { value }
          ... @include(if: true) { addresses { city } }
        }
        """,
        token=token,
    )["contacts"]

    assert page == {
        "nodes": [
            {
                "emails": [{"value": "p0@example.com"}, {"value": "p0@example.org"}],
                "addresses": [{"city": "Oslo"}],
            }
        ],
        "edges": [{"node": {"tags": [{"name": "friends"}, {"name": "group 0"}]}}],
    }


def test_a_nameless_contact_is_shown_by_its_first_email_or_phone(
    app: Flask, gql: GraphQL, reader: Viewer
) -> None:
    reader.add({"emails": [EmailInput("zed@example.com"), EmailInput("a@example.com")]})
    reader.add({"phones": [PhoneInput("+4722334455")]})
    reader.add({"company": "ACME", "phones": [PhoneInput("+4722334466")]})

    with tables_read(app) as statements:
        page = gql.data(
            "{ contacts(first: 10) { nodes { displayName } } }", token=reader.token
        )["contacts"]

    assert sorted(node["displayName"] for node in page["nodes"]) == [
        "+4722334455",
        "ACME",
        "zed@example.com",
    ]
    assert statements == [SESSION, NAMED_PAGE]


def test_queries_read_without_a_transaction_and_mutations_keep_theirs(
    app: Flask, gql: GraphQL, reader: Viewer
) -> None:
    with executions(app) as seen:
        gql.data("{ contacts(first: 5) { nodes { id } } }", token=reader.token)
    read = [execution.isolation_level for execution in seen]
    with executions(app) as seen:
        created = gql.data(
            'mutation { createContact(input: {firstName: "Ann"}) '
            "{ contact { firstName } } }",
            token=reader.token,
        )
    levels = [execution.isolation_level for execution in seen]

    assert read == ["AUTOCOMMIT", "AUTOCOMMIT"]
    assert created == {"createContact": {"contact": {"firstName": "Ann"}}}
    assert levels
    assert "AUTOCOMMIT" not in levels


def test_a_query_reads_on_one_connection_and_gives_it_back(
    app: Flask, gql: GraphQL, reader: Viewer
) -> None:
    reader.add_contacts(2)
    with executions(app) as seen:
        # The page and the token check on the read connection; the count
        # and the tags through the ORM session, which joins it.
        data = gql.data(
            "{ contacts(first: 1) { totalCount nodes { lastName } } tags { name } }",
            token=reader.token,
        )
    used = [(e.dbapi_connection, e.isolation_level) for e in seen]
    with app.app_context():
        engine = db.engine

    assert data["contacts"] == {"totalCount": 2, "nodes": [{"lastName": "Person 000"}]}
    assert len(used) >= 4
    assert {connection for connection, _ in used} == {used[0][0]}
    assert {level for _, level in used} == {"AUTOCOMMIT"}
    assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]


@contextmanager
def connections_taken(app: Flask) -> Iterator[list[object]]:
    """Each connection checked out of the pool while the block runs."""
    taken: list[object] = []

    def record(dbapi_connection: Any, *_: Any) -> None:
        taken.append(dbapi_connection)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "checkout", record)
    try:
        yield taken
    finally:
        event.remove(engine, "checkout", record)


def test_a_query_operation_holds_exactly_one_connection_and_issues_no_begin(
    app: Flask, gql: GraphQL, reader: Viewer
) -> None:
    reader.add_contacts(2)
    # psycopg sends BEGIN before a statement unless the connection is in
    # autocommit mode, and the server then reports a transaction in progress.
    statuses: list[TransactionStatus] = []

    def record(connection: Any, *_: Any) -> None:
        statuses.append(connection.connection.dbapi_connection.info.transaction_status)

    with app.app_context():
        engine = db.engine
    postgresql = engine.dialect.name == "postgresql"
    if postgresql:
        event.listen(engine, "after_cursor_execute", record)
    try:
        with connections_taken(app) as taken:
            # The token check and the page on the read connection; the count
            # and the tags through the ORM session.
            data = gql.data(
                "{ contacts(first: 1) { totalCount nodes { lastName } } "
                "tags { name } }",
                token=reader.token,
            )
    finally:
        if postgresql:
            event.remove(engine, "after_cursor_execute", record)

    assert data["contacts"]["totalCount"] == 2
    assert len(taken) == 1
    if postgresql:
        assert len(statuses) >= 4
        assert set(statuses) == {TransactionStatus.IDLE}


def test_an_operation_that_never_reads_takes_no_connection(
    app: Flask, gql: GraphQL, reader: Viewer
) -> None:
    with connections_taken(app) as taken:
        data = gql.data("{ __typename }", token=reader.token)

    assert data == {"__typename": "Query"}
    assert taken == []


PAGE_AROUND = """
query Around($after: String, $before: String, $first: Int, $last: Int) {
  contacts(after: $after, before: $before, first: $first, last: $last) {
    nodes { lastName }
    pageInfo { hasNextPage hasPreviousPage }
  }
}
"""


@pytest.mark.parametrize(
    ("arguments", "names", "page_info"),
    [
        ({"first": 2, "after": 3}, ["Person 004", "Person 005"], (True, True)),
        ({"first": 2, "after": 8}, ["Person 009"], (False, True)),
        ({"last": 2, "before": 3}, ["Person 001", "Person 002"], (True, True)),
        ({"last": 2, "before": 1}, ["Person 000"], (True, False)),
        (
            {"first": 5, "after": 2, "before": 5},
            ["Person 003", "Person 004"],
            (True, True),
        ),
    ],
)
def test_a_page_beside_a_cursor_takes_no_statement_more_than_the_first(
    app: Flask,
    gql: GraphQL,
    reader: Viewer,
    arguments: dict[str, Any],
    names: list[str],
    page_info: tuple[bool, bool],
) -> None:
    """hasPreviousPage after a cursor (hasNextPage before one) comes with the
    page, from the same statement."""
    token = reader.token
    reader.add_contacts(10)
    cursors = [
        edge["cursor"]
        for edge in gql.data(
            "{ contacts(first: 10) { edges { cursor } } }", token=token
        )["contacts"]["edges"]
    ]
    variables = {
        name: cursors[value] if name in ("after", "before") else value
        for name, value in arguments.items()
    }

    with tables_read(app) as statements:
        page = gql.data(PAGE_AROUND, variables, token)["contacts"]

    assert [node["lastName"] for node in page["nodes"]] == names
    info = page["pageInfo"]
    assert (info["hasNextPage"], info["hasPreviousPage"]) == page_info
    assert statements == [SESSION, PAGE]


def test_an_empty_page_after_the_last_cursor_still_has_a_previous_page(
    app: Flask, gql: GraphQL, reader: Viewer
) -> None:
    token = reader.token
    reader.add_contacts(2)
    last = gql.data("{ contacts(first: 2) { pageInfo { endCursor } } }", token=token)[
        "contacts"
    ]["pageInfo"]["endCursor"]

    with tables_read(app) as statements:
        page = gql.data(PAGE_AROUND, {"first": 2, "after": last}, token)["contacts"]

    assert page == {
        "nodes": [],
        "pageInfo": {"hasNextPage": False, "hasPreviousPage": True},
    }
    # No row carries the answer, so it is asked apart.
    assert statements == [SESSION, PAGE, {"contacts"}]
