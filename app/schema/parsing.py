"""Reading a request's document: parsing it (cached) and choosing its operation.

Both answer in `errors[]` like validation does, so that every refusal passes
through `ErrorCodes` and carries a contract code: a syntax error is
`GRAPHQL_PARSE_FAILED`, several operations without an `operationName` are
`GRAPHQL_VALIDATION_FAILED`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from graphql import GraphQLError, GraphQLSyntaxError, OperationDefinitionNode
from strawberry.extensions import ParserCache, SchemaExtension

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"


class CachedParse(ParserCache):
    """strawberry's parser cache, except that a syntax error is left for
    strawberry to raise again.

    strawberry reports a parse error as a result only when it comes from its
    own parse; one raised by an extension's parse hook escapes the operation
    hooks, so `ErrorCodes` never sees it and it goes out without a code.
    A document that fails to parse is therefore parsed twice, which a bad
    document can afford: parsing stops at the first error and at
    `MAX_QUERY_TOKENS`.
    """

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        with contextlib.suppress(GraphQLSyntaxError):
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        yield


class OneOperation(SchemaExtension):
    """Refuses a document of several operations that names none to run.

    The GraphQL spec makes that an error, but strawberry takes the first
    operation's name as the one asked for, and so ran it.
    """

    def on_parse(self) -> Iterator[None]:
        yield
        context = self.execution_context
        document = context.graphql_document
        if document is None or _asked_for_operation(context):
            return
        operations = sum(
            isinstance(definition, OperationDefinitionNode)
            for definition in document.definitions
        )
        if operations > 1:
            context.pre_execution_errors = [
                GraphQLError(
                    "Must provide operation name if query contains multiple "
                    "operations.",
                    extensions={"code": VALIDATION_FAILED},
                )
            ]


def _asked_for_operation(context: object) -> bool:
    """Whether the request gave an `operationName`. strawberry keeps only its
    own guess public (`operation_name` falls back to the first operation), so
    the name as given is read from its private field (COMPAT.md)."""
    return getattr(context, "_provided_operation_name", None) is not None
