"""The fast executor (graphql_fastpath/) answers exactly as the stock one.

Over HTTP, on SQLite and PostgreSQL: two apps, one per executor, share one
database with a signed-in user's contacts. Random valid queries generated
from the schema (hypothesis-graphql, then rewritten the way clients write
them: aliases, the same field twice, named fragments, variables, @skip and
@include, __typename) and hand-written ones that reach the stock path
(fragments on interfaces through node(id:), errors at the root, payloads of
mutations that change nothing) must get byte-identical response bodies.

graphql_fastpath/tests/test_executor.py looks directly, on a small schema
whose resolvers return odd values on purpose.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Any

import graphql
import pytest
from flask import Flask
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
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes, queries

from app import create_app
from app.config import TestingConfig
from graphql_fastpath import FastExecutor
from tests.support.differential import CONTACTS, Executors
from tests.support.fuzzing import (
    BASE_SETTINGS,
    date_values,
    datetime_values,
    fewer_arguments,
    int_values,
)

EXAMPLES = 200  # on each database: about 5 s each


# --- two apps on one database -----------------------------------------------------


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


SETTINGS = settings(BASE_SETTINGS, max_examples=EXAMPLES)


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
