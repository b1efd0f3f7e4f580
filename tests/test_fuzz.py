"""Property-based fuzzing of /graphql with hypothesis-graphql.

Valid queries and mutations, generated from the schema the app serves, are
sent with a valid token of a user who has contacts and tags of their own,
next to a victim who has some too (tag names shared, to tempt a mix-up). Each
response must be a GraphQL answer below 500 whose errors all carry one of the
contract's codes, none of them INTERNAL_SERVER_ERROR, and none showing the
victim's data; after the run the victim's rows are exactly as they were.

Arguments are drawn from the types plus values worth trying: the seeded IDs
of both users, IDs of other types and of no row, real cursors of both users,
real tag names, emails, phone numbers, text at and past each length limit,
SQL and LIKE wildcards, NUL bytes; dates and datetimes across the whole
range, with and without offsets. The run is derandomized, so CI sees the same
examples every time.

Then hostile requests (the last section): arbitrary bytes, arbitrary JSON in
every member, arbitrary strings where IDs, cursors and scalars go. None may
answer 500 or above, or in anything but JSON.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import graphql
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries
from sqlalchemy import Table, select

from app.extensions import db
from app.models import (
    AuthSession,
    Contact,
    EmailAddress,
    PhoneNumber,
    PostalAddress,
    RefreshToken,
    Tag,
    User,
    contact_tags,
)
from tests.support.fuzz_data import (
    SHARED_TAGS,
    VICTIM_MARK,
    Seeded,
)
from tests.support.fuzzing import (
    BASE_SETTINGS,
    date_values,
    datetime_values,
    fewer_arguments,
    fresh_token,
    int_values,
)

EXAMPLES = 800  # on each database: about 10 s each
CONTRACT_CODES = {
    "UNAUTHENTICATED",
    "BAD_USER_INPUT",
    "RATE_LIMITED",
    "INTERNAL_SERVER_ERROR",
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    # A generated syncToken is forged, so contactChanges answers this.
    "SYNC_TOKEN_EXPIRED",
}


# --- the victim's rows ----------------------------------------------------------------


def rows(table: Table, where: Any) -> list[tuple[Any, ...]]:
    return sorted(
        (tuple(row) for row in db.session.execute(select(table).where(where))),
        key=repr,
    )


def snapshot(app: Flask, owner_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every row that belongs to `owner_id`, every column of it."""
    with app.app_context():
        contact_ids = select(Contact.id).where(Contact.user_id == owner_id)
        session_ids = select(AuthSession.id).where(AuthSession.user_id == owner_id)
        taken = {
            "users": rows(User.__table__, User.id == owner_id),
            "contacts": rows(Contact.__table__, Contact.user_id == owner_id),
            "contact_emails": rows(
                EmailAddress.__table__, EmailAddress.contact_id.in_(contact_ids)
            ),
            "contact_phones": rows(
                PhoneNumber.__table__, PhoneNumber.contact_id.in_(contact_ids)
            ),
            "contact_addresses": rows(
                PostalAddress.__table__, PostalAddress.contact_id.in_(contact_ids)
            ),
            "tags": rows(Tag.__table__, Tag.user_id == owner_id),
            "contact_tags": rows(
                contact_tags, contact_tags.c.contact_id.in_(contact_ids)
            ),
            "auth_sessions": rows(
                AuthSession.__table__, AuthSession.user_id == owner_id
            ),
            "refresh_tokens": rows(
                RefreshToken.__table__, RefreshToken.session_id.in_(session_ids)
            ),
        }
        db.session.remove()
    return taken


# --- what to send ---------------------------------------------------------------------


def global_id(type_name: str, key: object) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


def id_values(fuzz_targets: Seeded) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(fuzz_targets.ids),
        st.sampled_from(fuzz_targets.ids),
        st.builds(
            global_id,
            st.sampled_from(["Contact", "Tag", "User", "Node", "contact", ""]),
            st.one_of(
                st.integers(min_value=-(2**70), max_value=2**70),
                st.text(max_size=8),
            ),
        ),
        st.text(max_size=12),
    )


# Values that fit the fields: names, tags (the victim's too), emails, phones.
PLAUSIBLE_TEXT = [
    "",
    " ",
    *SHARED_TAGS,
    "friends",
    "FAMILY",
    "Ada",
    "ada@example.com",
    "Fuzzer@Example.com",
    "not-an-email",
    "+14155550123",
    "(650) 253-0000",
    "US",
    "GB",
    "ZZ",
]
# Values that have broken services before: NUL (which PostgreSQL refuses),
# LIKE wildcards, SQL, odd Unicode, text at and past each length limit.
HOSTILE_TEXT = [
    "\x00",
    "a\x00b",
    "%",
    "_",
    "\\",
    "' OR '1'='1' --",
    "\u202e\u200b\ufeff",
    "ß" * 51,
    "\U0001f600",
    *("x" * length for length in (21, 51, 101, 201, 255)),
    "y" * 10_001,
]


def text_values(fuzz_targets: Seeded) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(PLAUSIBLE_TEXT),
        st.sampled_from(HOSTILE_TEXT),
        st.sampled_from(fuzz_targets.cursors),
        st.text(max_size=30),
    )


def custom_scalars(
    fuzz_targets: Seeded,
) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    return {
        "ID": id_values(fuzz_targets).map(nodes.String),
        "String": text_values(fuzz_targets).map(nodes.String),
        "Int": int_values().map(nodes.Int),
        "Date": date_values().map(nodes.String),
        "DateTime": datetime_values().map(nodes.String),
    }


def operations(app: Flask, fuzz_targets: Seeded) -> st.SearchStrategy[str]:
    """Queries and mutations, each root field as likely as any other (left
    to itself hypothesis-graphql mostly starts with the first), plus
    documents that select several root fields at once."""
    schema = graphql.build_schema(str(app.extensions["graphql_schema"]))
    assert schema.mutation_type is not None
    scalars = custom_scalars(fuzz_targets)

    def documents(
        kind: Callable[..., st.SearchStrategy[graphql.DocumentNode]],
        fields: list[str] | None,
    ) -> st.SearchStrategy[str]:
        generated = kind(
            schema, fields=fields, custom_scalars=scalars, print_ast=lambda d: d
        )
        return leaving_out_arguments(schema, generated)

    return st.one_of(
        *(documents(queries, [name]) for name in schema.query_type.fields),
        *(documents(mutations, [name]) for name in schema.mutation_type.fields),
        documents(queries, None),
        documents(mutations, None),
    )


@st.composite
def leaving_out_arguments(
    draw: st.DrawFn,
    schema: graphql.GraphQLSchema,
    documents: st.SearchStrategy[graphql.DocumentNode],
) -> str:
    """A document of `documents` with some optional arguments left out.

    hypothesis-graphql always passes every argument (null or a value), so on
    its own it never omits one, and `contacts`, with six, would hardly ever
    get past their checks to the query itself.
    """
    document = draw(documents)
    operations = []
    for operation in document.definitions:
        assert isinstance(operation, graphql.OperationDefinitionNode)
        root = schema.get_root_type(operation.operation)
        assert root is not None
        selections = fewer_arguments(draw, schema, operation.selection_set, root)
        operations.append(replace(operation, selection_set=selections))
    return graphql.print_ast(replace(document, definitions=tuple(operations)))


# --- the run ---------------------------------------------------------------------


SETTINGS = settings(BASE_SETTINGS, max_examples=EXAMPLES)


def check(client: FlaskClient, token: str, operation: str) -> None:
    response = client.post(
        "/graphql",
        json={"query": operation},
        headers={"Authorization": f"Bearer {token}"},
    )
    text = response.get_data(as_text=True)
    assert response.status_code < 500, text
    body = response.get_json()
    assert isinstance(body, dict), text
    codes = [
        error.get("extensions", {}).get("code") for error in body.get("errors", [])
    ]
    assert "INTERNAL_SERVER_ERROR" not in codes, text
    assert set(codes) <= CONTRACT_CODES, text
    assert VICTIM_MARK not in text.lower(), text


def test_generated_operations_never_fail_or_touch_another_users_data(
    app: Flask, client: FlaskClient, fuzz_targets: Seeded
) -> None:
    victims_rows = snapshot(app, fuzz_targets.victim_id)
    assert victims_rows["contacts"]
    assert victims_rows["auth_sessions"]
    strategy = operations(app, fuzz_targets)

    token = [fresh_token(app, fuzz_targets.fuzzer_id)]

    @SETTINGS
    @given(operation=strategy)
    def send(operation: str) -> None:
        check(client, token[0], operation)
        if "logout" in operation:  # which may have revoked the token
            token[0] = fresh_token(app, fuzz_targets.fuzzer_id)

    send()

    assert snapshot(app, fuzz_targets.victim_id) == victims_rows


# --- hostile requests -----------------------------------------------------------------
#
# The run above sends valid documents. These send what no client should:
# arbitrary bytes under any content type and encoding, arbitrary JSON (and
# nearly-JSON) in every member of the body and of a GET's query string, and
# arbitrary strings where IDs, cursors and scalars go. Whatever arrives, the
# answer is below 500, JSON (never an HTML error page), and never
# INTERNAL_SERVER_ERROR: the class of hostile input is closed, not examples.

HOSTILE_EXAMPLES = 300  # per test and database: a few seconds each
# Every code of the contract, the second round's included.
ALL_CODES = CONTRACT_CODES | {"PERSISTED_QUERY_NOT_FOUND"}
HOSTILE_SETTINGS = settings(SETTINGS, max_examples=HOSTILE_EXAMPLES)

# Text of any code point, lone surrogates included (JSON's "\ud800" escape
# carries them; hypothesis leaves them out unless asked).
ANY_TEXT = st.text(
    st.one_of(st.characters(), st.characters(categories=["Cs"])), max_size=30
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4)
    ),
    max_leaves=12,
)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def json_texts() -> st.SearchStrategy[str]:
    """JSON text of any value (json.dumps also writes NaN and Infinity),
    and the JSON that has broken servers: nesting past any limit, numbers
    past int()'s 4,300 digits, bad escapes, truncation."""
    return st.one_of(
        JSON_VALUES.map(json.dumps),
        st.integers(1, 3_000).map(nested),
        st.integers(1, 3_000).map(lambda depth: '{"a":' * depth + "1" + "}" * depth),
        st.integers(4_000, 5_000).map(lambda digits: "9" * digits),
        st.sampled_from(
            ['"\\ud800"', '"\\udfff x"', '"\\x"', '{"a":', "[1,]", "-", "1e99999"]
        ),
    )


def opaque_strings() -> st.SearchStrategy[str]:
    """Where IDs and cursors go: our encoding of hostile text (an ID's
    "Type:number" with any number, a cursor's JSON of anything), other
    spellings of it, and any text at all."""
    canonical = st.one_of(
        st.builds(
            lambda type_name, number: f"{type_name}:{number}",
            st.sampled_from(["Contact", "Tag", "User", "Node"]),
            st.one_of(
                st.integers(),
                st.integers(4_000, 5_000).map(lambda digits: "7" * digits),
                ANY_TEXT,
            ),
        ),
        json_texts(),
        ANY_TEXT,
    ).map(lambda text: opaque_of(text.encode("utf-8", "surrogatepass")))
    return st.one_of(
        canonical,
        canonical.map(lambda value: value + "="),
        st.binary(max_size=40).map(opaque_of),
        ANY_TEXT,
    )


def opaque_of(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def member_values() -> st.SearchStrategy[str]:
    """JSON text of a value for any member or variable."""
    return st.one_of(
        json_texts(),
        opaque_strings().map(json.dumps),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
    )


@st.composite
def json_objects(
    draw: st.DrawFn, keys: list[str], values: st.SearchStrategy[str]
) -> str:
    """A JSON object text with some of `keys`, each given a value text."""
    chosen = draw(st.lists(st.sampled_from(keys), unique=True, max_size=4))
    members = ",".join(f"{json.dumps(key)}:{draw(values)}" for key in chosen)
    return "{" + members + "}"


def either(plausible: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Mostly `plausible` (so that resolvers run), else anything."""
    return st.one_of(plausible, plausible, member_values())


STRINGS = opaque_strings().map(json.dumps)  # where IDs, cursors and text go
PAGE_SIZES = st.integers(-2, 120).map(str)
INPUTS = json_objects(
    [
        *("id", "firstName", "company", "birthday", "favorite", "emails"),
        *("phones", "addresses", "tags", "expectedVersion"),
    ],
    either(STRINGS),
)
# Each operation's variables, with values that fit their types more often
# than not: IDs, cursors, page sizes, filters, input objects.
HOSTILE_OPERATIONS: dict[str, dict[str, st.SearchStrategy[str]]] = {
    "query($id: ID!) { node(id: $id) { id } contact(id: $id) { id } }": {
        "id": either(STRINGS)
    },
    "query($after: String, $before: String, $first: Int, $last: Int, "
    "$filter: ContactFilter, $orderBy: ContactOrder) { contacts(after: $after, "
    "before: $before, first: $first, last: $last, filter: $filter, "
    "orderBy: $orderBy) { totalCount edges { cursor } } }": {
        "after": either(STRINGS),
        "before": either(STRINGS),
        "first": either(PAGE_SIZES),
        "last": either(PAGE_SIZES),
        "filter": either(
            json_objects(["search", "tag", "favorite", "updatedSince"], STRINGS)
        ),
        "orderBy": either(
            json_objects(
                ["field", "direction"],
                st.sampled_from(['"LAST_NAME"', '"CREATED_AT"', '"ASC"', '"DESC"']),
            )
        ),
    },
    "mutation($input: CreateContactInput!) "
    "{ createContact(input: $input) { contact { id } userErrors { code } } }": {
        "input": either(INPUTS)
    },
    "mutation($input: UpdateContactInput!) "
    "{ updateContact(input: $input) { contact { id } userErrors { code } } }": {
        "input": either(INPUTS)
    },
    "mutation($id: ID!) { deleteContact(id: $id) { deletedId userErrors { code } } }": {
        "id": either(STRINGS)
    },
    "mutation($input: LoginInput!) { login(input: $input) { userErrors { code } } }": {
        "input": either(json_objects(["email", "password"], STRINGS))
    },
}


@st.composite
def variables_of(draw: st.DrawFn, operation: str) -> str:
    """Variables for `operation`: most of its own, or any JSON at all."""
    if not draw(st.integers(0, 4)):
        return draw(json_texts())
    values = HOSTILE_OPERATIONS[operation]
    chosen = [name for name in values if draw(st.integers(0, 3))]
    members = ",".join(f"{json.dumps(name)}:{draw(values[name])}" for name in chosen)
    return "{" + members + "}"


@st.composite
def json_bodies(draw: st.DrawFn) -> str:
    """A body with a query (mostly one of HOSTILE_OPERATIONS, so that its
    variables reach resolvers), usually variables, sometimes the other
    members; each member plausible or hostile."""
    operation = draw(st.sampled_from(list(HOSTILE_OPERATIONS)))
    query = json.dumps(operation) if draw(st.integers(0, 3)) else draw(member_values())
    members = {"query": query}
    if draw(st.integers(0, 4)):
        members["variables"] = draw(variables_of(operation))
    if not draw(st.integers(0, 3)):
        members["operationName"] = draw(member_values())
    if not draw(st.integers(0, 3)):
        members["extensions"] = draw(
            st.one_of(json_objects(["persistedQuery"], member_values()), json_texts())
        )
    return "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in members.items()) + "}"


CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=UTF-16",
    "application/json; charset=latin-1",
    "application/json-patch+json",
    "application/graphql",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "text/plain",
    "",
]
HEADERS = st.fixed_dictionaries(
    {"Content-Type": st.sampled_from(CONTENT_TYPES)},
    optional={
        "Content-Encoding": st.sampled_from(["gzip", "br", "identity", "x"]),
        "Accept": st.sampled_from(["*/*", "text/event-stream", "multipart/mixed"]),
    },
)


def check_hostile(response: Any) -> None:
    """Below 500, JSON, and nothing unexpected."""
    text = response.get_data(as_text=True)
    assert response.status_code < 500, text
    assert response.mimetype == "application/json", text
    body = response.get_json()
    assert isinstance(body, dict), text
    codes = [
        error.get("extensions", {}).get("code") for error in body.get("errors", [])
    ]
    assert "INTERNAL_SERVER_ERROR" not in codes, text
    assert set(codes) <= ALL_CODES, text


def test_arbitrary_bytes_never_fail(client: FlaskClient, hostile_token: str) -> None:
    @HOSTILE_SETTINGS
    @given(body=st.binary(max_size=200), headers=HEADERS)
    def send(body: bytes, headers: dict[str, str]) -> None:
        auth = {"Authorization": f"Bearer {hostile_token}"}
        check_hostile(client.post("/graphql", data=body, headers=headers | auth))

    send()


def test_arbitrary_json_in_every_member_never_fails(
    client: FlaskClient, hostile_token: str
) -> None:
    @HOSTILE_SETTINGS
    @given(body=json_bodies(), content_type=st.sampled_from(CONTENT_TYPES[:2]))
    def send(body: str, content_type: str) -> None:
        headers = {
            "Content-Type": content_type,
            "Authorization": f"Bearer {hostile_token}",
        }
        data = body.encode("utf-8", "surrogatepass")
        check_hostile(client.post("/graphql", data=data, headers=headers))

    send()


def test_arbitrary_query_strings_never_fail(
    client: FlaskClient, hostile_token: str
) -> None:
    """GET: every parameter any text (variables and extensions mostly
    hostile JSON), sent with an Accept that is not a browser's."""
    parameters = st.fixed_dictionaries(
        {},
        optional={
            "query": st.one_of(st.sampled_from(list(HOSTILE_OPERATIONS)), ANY_TEXT),
            "variables": st.sampled_from(list(HOSTILE_OPERATIONS)).flatmap(
                variables_of
            ),
            "operationName": ANY_TEXT,
            "extensions": member_values(),
        },
    )

    @HOSTILE_SETTINGS
    @given(params=parameters)
    def send(params: dict[str, str]) -> None:
        query_string = {
            name: value.encode("utf-8", "surrogatepass")
            for name, value in params.items()
        }
        headers = {
            "Authorization": f"Bearer {hostile_token}",
            "Accept": "application/json",
        }
        check_hostile(
            client.get("/graphql", query_string=query_string, headers=headers)
        )

    send()
