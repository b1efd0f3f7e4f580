"""The fast executor (app/schema/executor.py) answers exactly as the stock one.

Two ways of looking:

- Over HTTP, on SQLite and PostgreSQL: two apps, one per executor, share one
  database with a signed-in user's contacts. Random valid queries generated
  from the schema (hypothesis-graphql, then rewritten the way clients write
  them: aliases, the same field twice, named fragments, variables, @skip and
  @include, __typename) and hand-written ones that reach the stock path
  (fragments on interfaces through node(id:), errors at the root, payloads of
  mutations that change nothing) must get byte-identical response bodies.
- Directly, on a small schema whose resolvers return odd values on purpose:
  nulls for non-null types in objects and list items, attributes that raise,
  values their scalar or enum refuses, tuples, generators, exceptions as
  values, an object of the wrong type, awaitables, and middleware. Every case
  sends the fast path back to the stock one somewhere; data and errors
  (message, path, locations, extensions) must be equal.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from enum import Enum
from functools import partial
from types import SimpleNamespace
from typing import Any, NewType

import graphql
import pytest
import strawberry
from flask import Flask
from flask.testing import FlaskClient
from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    SelectionNode,
    SelectionSetNode,
    VariableDefinitionNode,
    VariableNode,
)
from graphql.pyutils import Undefined
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes, queries
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.permission import BasePermission
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionResult

from app import create_app
from app.config import GRAPHQL_EXECUTORS, TestingConfig
from app.extensions import db
from app.schema import executor
from app.schema.executor import PLANS_PER_DOCUMENT, DocumentCache, FastExecutor
from tests.conftest import Accounts
from tests.test_fuzz import SETTINGS as FUZZ_SETTINGS
from tests.test_fuzz import (
    date_values,
    datetime_values,
    fewer_arguments,
    fresh_token,
    int_values,
    seed_user,
    user_id,
)

EXAMPLES = 200  # on each database: about 5 s each
EMAIL = "differential@example.com"
# The same id on both requests, so that masked errors read alike.
REQUEST_ID = "differential-test"
CONTACTS: list[dict[str, Any]] = [
    {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "company": "Analytical Engines",
        "jobTitle": "Programmer",
        "birthday": "1815-12-10",
        "notes": "First program",
        "favorite": True,
        "emails": [
            {"value": "ada@example.com", "label": "home", "primary": True},
            {"value": "ada@engines.example"},
        ],
        "phones": [{"value": "+442079460000", "label": "work"}],
        "addresses": [
            {"street": "12 St James's Square", "city": "London", "country": "GB"},
            {"label": "summer", "city": "Ockham"},
        ],
        "tags": ["Friends", "Work"],
    },
    {"firstName": "Grace", "lastName": "Hopper", "tags": ["Work"]},
    {"company": "Nameless Ltd", "phones": [{"value": "+16502530000"}]},
    {"emails": [{"value": "only-email@example.com", "primary": True}]},
    {
        "lastName": "Turing",
        "favorite": True,
        "addresses": [{"country": "GB"}],
        "tags": ["Family"],
    },
]


# --- two apps on one database -----------------------------------------------------


@dataclass
class Executors:
    """One client per executor, all on the same database and viewer."""

    clients: dict[str, FlaskClient]
    token: str
    ids: list[str]
    cursors: list[str]

    def check(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        signed_in: bool = True,
    ) -> dict[str, Any]:
        """The response body, after checking that both executors sent it."""
        headers = {"X-Request-ID": REQUEST_ID}
        if signed_in:
            headers["Authorization"] = f"Bearer {self.token}"
        responses = {
            name: client.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers=headers,
            )
            for name, client in self.clients.items()
        }
        fast, stock = responses["fast"], responses["stock"]
        assert fast.get_json() == stock.get_json(), query
        assert fast.get_data() == stock.get_data(), query
        assert fast.status_code == stock.status_code
        body: dict[str, Any] = stock.get_json()
        return body


@pytest.fixture
def executors(app: Flask, accounts: Accounts) -> Iterator[Executors]:
    ids, cursors = seed_user(accounts, EMAIL, CONTACTS)
    token = fresh_token(app, user_id(app, EMAIL))
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    apps = {
        name: create_app(
            "testing", {"SQLALCHEMY_DATABASE_URI": url, "GRAPHQL_EXECUTOR": name}
        )
        for name in GRAPHQL_EXECUTORS
    }
    yield Executors(
        {name: other.test_client() for name, other in apps.items()},
        token,
        ids,
        cursors,
    )
    for other in apps.values():
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def test_each_app_runs_the_executor_it_is_configured_with(
    executors: Executors,
) -> None:
    def executor(name: str) -> Any:
        app = executors.clients[name].application
        return app.extensions["graphql_schema"].execution_context_class

    assert executor("fast") is FastExecutor
    assert not issubclass(executor("stock"), FastExecutor)


def test_apps_run_the_executor_the_environment_names(app: Flask) -> None:
    """`GRAPHQL_EXECUTOR=stock pytest` reaches the apps the fixtures build."""
    schema = app.extensions["graphql_schema"]
    fast = TestingConfig.GRAPHQL_EXECUTOR == "fast"
    assert (schema.execution_context_class is FastExecutor) is fast


def test_an_unknown_executor_is_refused() -> None:
    with pytest.raises(
        RuntimeError, match="GRAPHQL_EXECUTOR must be one of fast, stock, not 'turbo'"
    ):
        create_app("testing", {"GRAPHQL_EXECUTOR": "turbo"})


PAGE = """
query Page($first: Int!, $withTags: Boolean!) {
  contacts(first: $first) {
    edges {
      cursor
      node {
        __typename id firstName lastName displayName company jobTitle birthday
        notes favorite version createdAt updatedAt
        emails { value label primary }
        phones { value label primary }
        addresses { label street city region postalCode country }
        tags @include(if: $withTags) { id name contactCount }
        again: emails { primary value }
      }
    }
    nodes { id displayName }
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
NODE = """
query Node($id: ID!) {
  ...Viewer
  node(id: $id) { ...Named }
  again: node(id: $id) { __typename id }
}
fragment Viewer on Query { me { __typename id email name createdAt } }
fragment Named on Node {
  __typename id
  ... on Contact { displayName emails { value } tags { name } }
  ... on Tag { name contactCount }
  ... on User { email }
}
"""


@pytest.mark.parametrize("with_tags", [True, False])
def test_a_page_of_contacts(executors: Executors, with_tags: bool) -> None:
    body = executors.check(PAGE, {"first": 10, "withTags": with_tags})
    edges = body["data"]["contacts"]["edges"]
    assert len(edges) == len(CONTACTS)
    assert ("tags" in edges[0]["node"]) is with_tags


def test_nodes_of_every_type_through_their_interface(executors: Executors) -> None:
    for node_id in executors.ids:
        body = executors.check(NODE, {"id": node_id})
        assert body["data"]["node"]["id"] == node_id


@pytest.mark.parametrize(
    ("query", "signed_in"),
    [
        # No token: the root field fails, its sibling does not.
        ("{ me { id } contacts(first: 2) { edges { node { id } } } }", False),
        # A page too large: a resolver error on a non-null root field.
        ("{ tags { name } contacts(first: 1000) { totalCount } }", True),
        # An id of no row, and one that is not an id at all.
        ('{ contact(id: "Q29udGFjdDo5OTk5") { id } node(id: "nope") { id } }', True),
        # Skipped and included fields and fragments.
        (
            "{ tags @skip(if: true) { id } me @include(if: false) { id } "
            "... on Query @include(if: true) { me { id ...U } } } "
            "fragment U on User { email @skip(if: false) }",
            True,
        ),
    ],
)
def test_errors_and_directives(
    executors: Executors, query: str, signed_in: bool
) -> None:
    body = executors.check(query, signed_in=signed_in)
    assert body.get("errors") or "me" in body["data"]


def test_mutation_payloads_that_change_nothing(executors: Executors) -> None:
    body = executors.check(
        """
        mutation {
          createContact(input: {emails: [{value: "not an email"}]}) {
            contact { id } userErrors { __typename field message code }
          }
          deleteContact(id: "Q29udGFjdDo5OTk5") { deletedId userErrors { code } }
        }
        """
    )
    assert body["data"]["createContact"]["userErrors"]


# --- random queries, rewritten as clients write them ------------------------------


class Rewriter:
    """Rewrites a generated query with what hypothesis-graphql leaves out:
    aliases (and the same field twice), named fragments, variables for
    arguments, @skip/@include and __typename."""

    def __init__(self, draw: st.DrawFn, schema: GraphQLSchema) -> None:
        self.draw = draw
        self.schema = schema
        self.variables: dict[str, Any] = {}
        self.definitions: list[VariableDefinitionNode] = []
        self.fragments: list[FragmentDefinitionNode] = []
        self.numbers = itertools.count()

    def sometimes(self, one_in: int) -> bool:
        return self.draw(st.integers(min_value=1, max_value=one_in)) == 1

    def fresh(self, prefix: str) -> NameNode:
        return NameNode(value=f"{prefix}{next(self.numbers)}")

    def selection_set(
        self, selection_set: SelectionSetNode, parent: GraphQLNamedType
    ) -> SelectionSetNode:
        selections: list[SelectionNode] = []
        for selection in selection_set.selections:
            if isinstance(selection, InlineFragmentNode):
                assert selection.type_condition is not None
                inner = self.schema.get_type(selection.type_condition.name.value)
                assert inner is not None
                below = self.selection_set(selection.selection_set, inner)
                if self.sometimes(3):
                    selections.append(self.spread(selection.type_condition, below))
                else:
                    selections.append(replace(selection, selection_set=below))
                continue
            assert isinstance(selection, FieldNode)
            copies = 2 if self.sometimes(8) else 1
            for copy in range(copies):
                alias = copy > 0 or self.sometimes(6)
                selections.append(self.field(selection, parent, alias))
        if self.sometimes(4):
            alias = self.fresh("t") if self.sometimes(2) else None
            selections.append(FieldNode(name=NameNode(value="__typename"), alias=alias))
        return replace(selection_set, selections=tuple(selections))

    def field(
        self, node: FieldNode, parent: GraphQLNamedType, alias: bool
    ) -> FieldNode:
        assert isinstance(
            parent, graphql.GraphQLObjectType | graphql.GraphQLInterfaceType
        )
        field = parent.fields[node.name.value]
        arguments = tuple(
            self.argument(argument, field.args[argument.name.value].type)
            for argument in node.arguments or ()
        )
        selection_set = node.selection_set
        if selection_set is not None:
            named = graphql.get_named_type(field.type)
            selection_set = self.selection_set(selection_set, named)
            if self.sometimes(5):
                condition = NamedTypeNode(name=NameNode(value=named.name))
                spread = self.spread(condition, selection_set)
                selection_set = SelectionSetNode(selections=(spread,))
        return replace(
            node,
            alias=self.fresh("a") if alias else node.alias,
            arguments=arguments,
            directives=self.directives(),
            selection_set=selection_set,
        )

    def argument(
        self, argument: ArgumentNode, type_: graphql.GraphQLInputType
    ) -> ArgumentNode:
        if not self.sometimes(3):
            return argument
        name = self.fresh("v")
        self.variables[name.value] = graphql.value_from_ast_untyped(argument.value)
        self.definitions.append(
            VariableDefinitionNode(
                variable=VariableNode(name=name),
                type=graphql.parse_type(str(type_)),
            )
        )
        return replace(argument, value=VariableNode(name=name))

    def directives(self) -> tuple[DirectiveNode, ...]:
        if not self.sometimes(8):
            return ()
        condition = self.draw(st.booleans())
        value: graphql.ValueNode = BooleanValueNode(value=condition)
        if self.sometimes(2):
            name = self.fresh("b")
            self.variables[name.value] = condition
            self.definitions.append(
                VariableDefinitionNode(
                    variable=VariableNode(name=name),
                    type=graphql.parse_type("Boolean!"),
                )
            )
            value = VariableNode(name=name)
        directive = self.draw(st.sampled_from(["include", "skip"]))
        return (
            DirectiveNode(
                name=NameNode(value=directive),
                arguments=(ArgumentNode(name=NameNode(value="if"), value=value),),
            ),
        )

    def spread(
        self, condition: NamedTypeNode, selection_set: SelectionSetNode
    ) -> FragmentSpreadNode:
        name = self.fresh("F")
        self.fragments.append(
            FragmentDefinitionNode(
                name=name, type_condition=condition, selection_set=selection_set
            )
        )
        return FragmentSpreadNode(name=name, directives=self.directives())


@st.composite
def client_queries(
    draw: st.DrawFn,
    schema: GraphQLSchema,
    documents: st.SearchStrategy[DocumentNode],
) -> tuple[str, dict[str, Any]]:
    """A generated query, some optional arguments left out, rewritten."""
    document = draw(documents)
    (operation,) = document.definitions
    assert isinstance(operation, graphql.OperationDefinitionNode)
    root = schema.query_type
    assert root is not None
    selections = fewer_arguments(draw, schema, operation.selection_set, root)
    rewriter = Rewriter(draw, schema)
    selections = rewriter.selection_set(selections, root)
    operation = replace(
        operation,
        selection_set=selections,
        variable_definitions=tuple(rewriter.definitions),
    )
    rewritten = DocumentNode(definitions=(operation, *rewriter.fragments))
    return graphql.print_ast(rewritten), rewriter.variables


def scalar_values(
    executors: Executors,
) -> dict[str, st.SearchStrategy[graphql.ValueNode]]:
    """Mostly values that reach the resolvers: the viewer's ids and cursors,
    small page sizes, text that matches some contacts."""
    texts = ["", "a", "Ada", "work", "FRIENDS", "London", "%", "_", "+44"]
    return {
        "ID": st.one_of(st.sampled_from(executors.ids), st.text(max_size=6)).map(
            nodes.String
        ),
        "String": st.one_of(
            st.sampled_from(texts + executors.cursors), st.text(max_size=6)
        ).map(nodes.String),
        "Int": int_values().map(nodes.Int),
        "Date": date_values().map(nodes.String),
        "DateTime": datetime_values().map(nodes.String),
    }


SETTINGS = settings(FUZZ_SETTINGS, max_examples=EXAMPLES)


def test_generated_queries_get_the_same_answer(
    app: Flask, executors: Executors
) -> None:
    schema = graphql.build_schema(str(app.extensions["graphql_schema"]))
    assert schema.query_type is not None
    scalars = scalar_values(executors)

    def generated(fields: list[str] | None) -> st.SearchStrategy[DocumentNode]:
        return queries(
            schema, fields=fields, custom_scalars=scalars, print_ast=lambda d: d
        )

    documents = st.one_of(
        *(generated([name]) for name in schema.query_type.fields),
        generated(None),
    )
    answered: list[bool] = []

    @SETTINGS
    @given(case=client_queries(schema, documents))
    def compare(case: tuple[str, dict[str, Any]]) -> None:
        query, variables = case
        body = executors.check(query, variables)
        answered.append(bool(body.get("data")))

    compare()
    # Most examples get past validation and limits to the executor.
    assert sum(answered) > len(answered) // 2


# --- a schema that returns odd values on purpose ----------------------------------


@strawberry.enum
class Mood(Enum):
    CALM = "calm"
    CROSS = "cross"


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Pet(Named):
    name: str
    legs: int | None


Code = NewType("Code", str)
# A scalar whose output coercion gives null for "none", which GraphQL refuses.
CONFIG = StrawberryConfig(
    scalar_map={
        Code: strawberry.scalar(
            name="Code",
            serialize=lambda value: None if value == "none" else value,
            parse_value=str,
        )
    }
)


@strawberry.type
class Stamp:
    """A type with an is_type_of of its own, which reads its info."""

    mark: str

    @classmethod
    def is_type_of(cls, obj: Any, info: strawberry.Info) -> bool:
        return info.field_name == "stamp" and hasattr(obj, "mark")


class Deny(BasePermission):
    message = "Not for you."

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return False


@strawberry.type
class Reading:
    text: str
    note: str | None
    count: int
    ratio: float | None
    on: bool
    mood: Mood
    at: datetime | None
    day: date | None
    ref: strawberry.ID


@strawberry.type
class Box:
    reading: Reading
    maybe_reading: Reading | None
    readings: list[Reading]
    loose_readings: list[Reading | None] | None
    words: list[str] | None
    grid: list[list[int]] | None
    pet: Pet | None
    pets: list[Pet]
    named: Named | None
    inner: Box | None
    code: Code | None
    stamp: Stamp | None
    secret: str | None = strawberry.field(permission_classes=[Deny])

    @strawberry.field
    def doubled(self, times: int = 2) -> int:
        return 21 * times


class Raising:
    """A reading whose text cannot be read."""

    def __getattr__(self, name: str) -> Any:
        if name == "text":
            raise ValueError("the text is unreadable")
        return getattr(reading(), name)


class Source(SimpleNamespace):
    """An object with attributes, standing in for what resolvers return.
    An `OnRead` value is made anew on each read (an awaitable, say)."""

    def __getattribute__(self, name: str) -> Any:
        value = super().__getattribute__(name)
        return value.make() if isinstance(value, OnRead) else value


@dataclass(frozen=True)
class OnRead:
    make: Callable[[], Any]


def reading(**changes: Any) -> Source:
    values: dict[str, Any] = {
        "text": "hello",
        "note": None,
        "count": 3,
        "ratio": 0.5,
        "on": True,
        "mood": Mood.CALM,
        "at": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        "day": date(2024, 2, 29),
        "ref": "r1",
    }
    return Source(**{**values, **changes})


def box(**changes: Any) -> Source:
    values: dict[str, Any] = {
        "reading": reading(),
        "maybe_reading": None,
        "readings": [reading(), reading(note="second")],
        "loose_readings": [None, reading(count=4)],
        "words": ["a", "b"],
        "grid": [[1, 2], [3]],
        "pet": Pet(name="Rex", legs=4),
        "pets": [Pet(name="Tom", legs=None)],
        "named": Pet(name="Nemo", legs=0),
        "inner": None,
        "code": "c1",
        "stamp": Source(mark="m"),
        "secret": "hidden",
    }
    return Source(**{**values, **changes})


CASES: dict[str, Callable[[], Any]] = {
    "ordinary": lambda: box(inner=box()),
    "null in a non-null leaf": lambda: box(reading=reading(text=None)),
    "null in a non-null list item": lambda: box(readings=[reading(), None]),
    "null below a non-null list item": lambda: box(readings=[reading(text=None)]),
    "null below a nullable list item": lambda: box(
        loose_readings=[reading(mood=None), reading()], words=None, grid=None
    ),
    "null for a non-null list": lambda: box(readings=None, pets=None),
    "an attribute that raises": lambda: box(
        readings=[reading(), Raising()], maybe_reading=Raising()
    ),
    "an attribute that is missing": lambda: SimpleNamespace(
        **{k: v for k, v in vars(box()).items() if k not in ("grid", "reading")}
    ),
    "values the scalars refuse": lambda: box(
        maybe_reading=reading(mood="angry", on="yes"),
        loose_readings=[
            reading(at="yesterday"),
            reading(ratio=float("inf")),
            reading(count=2**40),
        ],
        words=["a", ["nested"], 5, True, None],
        grid=[[1, "2", 2.5], [None]],
        code="none",
        stamp=Source(other="m"),
    ),
    "values the scalars convert": lambda: box(
        reading=reading(text=12, count=True, ratio=7, ref=42, note=False),
        words=[1.5, 2],
    ),
    "tuples and generators": lambda: box(
        readings=(reading(), reading()),
        words=(word for word in ["x", "y"]),
        grid=[(1, 2), iter([3])],
        pets=(Pet(name="Tup", legs=2),),
    ),
    "not lists": lambda: box(readings=5, words="abc", grid=[4]),
    "exceptions and undefined as values": lambda: box(
        reading=reading(note=ValueError("a value")),
        maybe_reading=reading(text=Undefined),
        words=[RuntimeError("in a list")],
    ),
    "an object of the wrong type": lambda: box(
        pet=SimpleNamespace(name="Imposter", legs=1),
        pets=[Pet(name="Real", legs=4), SimpleNamespace(name="Fake", legs=3)],
        named=SimpleNamespace(name="Unknown"),
    ),
}


@strawberry.type
class Query:
    @strawberry.field
    def box(self, case: str) -> Box | None:
        return CASES[case]()

    @strawberry.field
    def boxes(self, case: str) -> list[Box | None]:
        return [CASES[case](), box()]

    @strawberry.field
    def required_box(self, case: str) -> Box:
        return CASES[case]()


BOX_QUERY = """
query Boxes($case: String!, $yes: Boolean = true) {
  box(case: $case) { ...Everything }
  boxes(case: $case) { ...Everything again: reading { text } }
  requiredBox(case: $case) { readings { text } pets { name } }
}
fragment Everything on Box {
  __typename
  reading { ...R }
  maybeReading { ...R }
  readings { ...R }
  looseReadings { ...R }
  words grid
  pet { __typename name legs }
  pets { name }
  named { __typename name ... on Pet { legs } }
  inner { doubled secret }
  code
  stamp { mark }
  secret
  doubled(times: 3)
  same: reading { text @include(if: $yes) note @skip(if: true) count }
}
fragment R on Reading { text note count ratio on mood at day ref __typename }
"""


def executed(schema: strawberry.Schema, case: str) -> tuple[Any, list[Any]]:
    result = schema.execute_sync(BOX_QUERY, {"case": case})
    return outcome(result)


def outcome(result: ExecutionResult) -> tuple[Any, list[Any]]:
    """The data, and each error as a client sees it plus its cause's type."""
    errors = [
        (error.formatted, type(error.original_error)) for error in result.errors or ()
    ]
    return result.data, errors


def both() -> dict[str, strawberry.Schema]:
    return {
        "fast": strawberry.Schema(
            query=Query, execution_context_class=FastExecutor, config=CONFIG
        ),
        "stock": strawberry.Schema(query=Query, config=CONFIG),
    }


@pytest.mark.parametrize("case", list(CASES))
def test_odd_values_get_the_same_answer(case: str) -> None:
    schemas = both()
    fast, stock = (executed(schemas[name], case) for name in ("fast", "stock"))
    assert fast == stock
    if case != "ordinary":
        assert stock[1], "the case should make errors"


def test_ordinary_values_take_the_fast_path() -> None:
    data, errors = executed(both()["fast"], "ordinary")
    assert [error["message"] for error, _ in errors] == ["Not for you."] * 5
    assert [error["path"] for error, _ in errors] == [
        ["box", "inner", "secret"],
        ["box", "secret"],
        ["boxes", 0, "inner", "secret"],
        ["boxes", 0, "secret"],
        ["boxes", 1, "secret"],
    ]
    assert data["box"]["reading"] == {
        "text": "hello",
        "note": None,
        "count": 3,
        "ratio": 0.5,
        "on": True,
        "mood": "CALM",
        "at": "2024-01-02T03:04:05+00:00",
        "day": "2024-02-29",
        "ref": "r1",
        "__typename": "Reading",
    }
    assert data["box"]["named"] == {"__typename": "Pet", "name": "Nemo", "legs": 0}


def test_middleware_sees_every_field_with_either_executor() -> None:
    seen: dict[str, list[tuple[str | int, ...]]] = {"fast": [], "stock": []}

    def recorder(paths: list[tuple[str | int, ...]]) -> type[SchemaExtension]:
        class Record(SchemaExtension):
            def resolve(
                self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any
            ) -> Any:
                paths.append(tuple(info.path.as_list()))
                return _next(root, info, *args, **kwargs)

        return Record

    results = {
        name: outcome(
            strawberry.Schema(
                query=Query,
                execution_context_class=FastExecutor if name == "fast" else None,
                extensions=[recorder(paths)],
                config=CONFIG,
            ).execute_sync(BOX_QUERY, {"case": "ordinary"})
        )
        for name, paths in seen.items()
    }
    assert results["fast"] == results["stock"]
    assert seen["fast"] == seen["stock"]
    assert ("box", "reading", "text") in seen["fast"]


# --- awaitables -------------------------------------------------------------------


async def later(value: Any) -> Any:
    await asyncio.sleep(0)
    return value


async def failing() -> Any:
    await asyncio.sleep(0)
    raise ValueError("failed later")


ASYNC_CASES: dict[str, Callable[[], Any]] = {
    "awaitable attributes": lambda: box(
        reading=reading(
            text=OnRead(lambda: later("soon")), count=OnRead(lambda: later(2**40))
        ),
        maybe_reading=OnRead(lambda: later(reading())),
    ),
    "awaitable list items": lambda: box(
        readings=OnRead(lambda: [reading(), later(reading(note="later"))]),
        loose_readings=OnRead(lambda: [later(None), failing()]),
        words=OnRead(lambda: [later("w"), "x"]),
    ),
    "awaitables below list items": lambda: box(
        readings=[reading(text=OnRead(lambda: later("x")))],
        loose_readings=[reading(text=OnRead(failing))],
    ),
    "an awaitable generator": lambda: box(
        words=OnRead(lambda: (word for word in [later("g")]))
    ),
    "an awaitable that fails": lambda: box(
        reading=OnRead(failing), pets=OnRead(failing)
    ),
    "a failing awaitable below a nullable field": lambda: box(
        maybe_reading=reading(text=OnRead(failing))
    ),
    "an awaitable next to a failure": lambda: box(
        maybe_reading=OnRead(lambda: later(reading())), readings=None
    ),
    "a failure after an awaitable list item": lambda: box(
        readings=OnRead(lambda: [later(reading()), reading(text=None)])
    ),
}


@strawberry.type
class AsyncQuery:
    @strawberry.field
    async def box(self, case: str) -> Box | None:
        return ASYNC_CASES[case]()

    @strawberry.field
    async def boxes(self, case: str) -> list[Box | None]:
        return [ASYNC_CASES[case](), box()]

    @strawberry.field
    async def required_box(self, case: str) -> Box:
        return ASYNC_CASES[case]()


@pytest.mark.parametrize("case", list(ASYNC_CASES))
def test_awaitables_get_the_same_answer(case: str) -> None:
    async def run(schema: strawberry.Schema) -> tuple[Any, list[Any]]:
        return outcome(await schema.execute(BOX_QUERY, {"case": case}))

    fast = asyncio.run(
        run(
            strawberry.Schema(
                query=AsyncQuery, execution_context_class=FastExecutor, config=CONFIG
            )
        )
    )
    stock = asyncio.run(run(strawberry.Schema(query=AsyncQuery, config=CONFIG)))
    assert fast == stock
    assert stock[1]


DEFER_QUERIES = [
    """
    query Deferred($case: String!) {
      box(case: $case) {
        words
        reading { text ... @defer { note count } }
        ... @defer(label: "later") { readings { text } pets { name } }
      }
    }
    """,
    """
    query DeferredBelow($case: String!) {
      box(case: $case) { words readings { text ... @defer { note } } }
    }
    """,
]


@pytest.mark.parametrize("query", DEFER_QUERIES)
@pytest.mark.parametrize(
    "case", ["awaitable list items", "awaitables below list items"]
)
def test_deferred_fragments_get_the_same_answer(query: str, case: str) -> None:
    config = StrawberryConfig(
        enable_experimental_incremental_execution=True, scalar_map=CONFIG.scalar_map
    )

    async def run(schema: strawberry.Schema) -> list[Any]:
        result: Any = await schema.execute(query, {"case": case})
        payloads = [result.initial_result.formatted]
        async for subsequent in result.subsequent_results:
            payloads.append(subsequent.formatted)
        return payloads

    fast = asyncio.run(
        run(
            strawberry.Schema(
                query=AsyncQuery, execution_context_class=FastExecutor, config=config
            )
        )
    )
    stock = asyncio.run(run(strawberry.Schema(query=AsyncQuery, config=config)))
    assert fast == stock
    assert len(stock) > 1  # something was deferred


# --- plans shared by the requests of one document ---------------------------------

VARYING_QUERY = """
query Varying($case: String!, $a: Boolean!, $b: Boolean!) {
  box(case: $case) {
    reading { text @include(if: $a) note @skip(if: $b) count }
    readings { ... on Reading @include(if: $b) { text } ...R @skip(if: $a) }
    inner { words @include(if: $a) pets { name ... @include(if: $b) { legs } } }
    pets { name ...Legs }
  }
}
fragment R on Reading { note mood }
fragment Legs on Pet { legs @skip(if: $a) }
"""
VARIABLES = [
    {"a": a, "b": b} for a, b in [(True, True), (True, False), (False, True)]
] + [{"a": False, "b": False}, {"a": True, "b": True}]


def cached_schemas() -> dict[str, strawberry.Schema]:
    """Both executors behind strawberry's ParserCache, as in the app: every
    request with the same text executes the same document."""
    return {
        name: strawberry.Schema(
            query=Query,
            execution_context_class=FastExecutor if name == "fast" else None,
            extensions=[partial(ParserCache, maxsize=8)],
            config=CONFIG,
        )
        for name in ("fast", "stock")
    }


@pytest.mark.parametrize("plans_per_document", [PLANS_PER_DOCUMENT, 3])
def test_shared_plans_answer_each_request_alike(
    plans_per_document: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One document after another with odd values and with @skip and
    @include on variables: what an earlier request planned never answers
    for a later one, whether the document's plans are full or not."""
    monkeypatch.setattr(executor, "PLANS_PER_DOCUMENT", plans_per_document)
    schemas = cached_schemas()
    requests = [(BOX_QUERY, {"case": case}) for case in CASES] + [
        (VARYING_QUERY, {"case": "ordinary", **variables}) for variables in VARIABLES
    ]
    for query, variables in requests * 2:
        fast, stock = (
            outcome(schemas[name].execute_sync(query, variables))
            for name in ("fast", "stock")
        )
        assert fast == stock, (query, variables)


def test_a_document_is_planned_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a later request only the operation's own selection set, which
    graphql-core collects anew, and those with @skip or @include are planned
    again: `same: reading { text @include(if: $yes) ... }` below `box` and
    below `boxes`."""
    planned: list[str] = []
    plan_steps = executor.plan_steps

    def counted(*args: Any) -> Any:
        planned.append(args[1].name)
        return plan_steps(*args)

    monkeypatch.setattr(executor, "plan_steps", counted)
    schema = cached_schemas()["fast"]
    first = outcome(schema.execute_sync(BOX_QUERY, {"case": "ordinary"}))
    assert len(planned) > 1
    planned.clear()
    assert outcome(schema.execute_sync(BOX_QUERY, {"case": "ordinary"})) == first
    assert planned == ["Query", "Reading", "Reading"]


def test_the_document_cache_keeps_the_most_recent_documents() -> None:
    cache = DocumentCache(2)
    operations = [
        graphql.parse(f"{{ box(case: {index}) {{ code }} }}").definitions[0]
        for index in range(3)
    ]
    plans = [cache.get(operation, {}) for operation in operations]  # type: ignore[arg-type]
    assert cache.get(operations[2], {}) is plans[2]  # type: ignore[arg-type]
    assert cache.get(operations[1], {}) is plans[1]  # type: ignore[arg-type]
    assert cache.get(operations[0], {}) is not plans[0]  # type: ignore[arg-type]
