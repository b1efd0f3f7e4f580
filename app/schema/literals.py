"""Integer literals longer than Python reads, refused before validation.

graphql-core parses an Int literal with int(), which raises ValueError past
`sys.get_int_max_str_digits()` digits (4,300 by default). Validation reports
that as an error carrying the ValueError, which reads as an unexpected
failure: INTERNAL_SERVER_ERROR and a traceback in the log. Such a literal is
the client's error (BAD_USER_INPUT), so it is refused before any rule parses
it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

from graphql import DocumentNode, GraphQLError, IntValueNode, Visitor, visit
from strawberry.extensions import SchemaExtension


class LongIntegers(SchemaExtension):
    """Must run before QueryLimits, which validates the document."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        limit = sys.get_int_max_str_digits()
        # A query no longer than the limit cannot hold a longer literal: the
        # walk below is for the rare long document only.
        if (
            document is not None
            and context.pre_execution_errors is None
            and len(context.query or "") > limit
        ):
            digits = longest_integer(document)
            if digits > limit:
                context.pre_execution_errors = [
                    GraphQLError(
                        f"An integer in the query has {digits} digits, "
                        f"more than the {limit} the server reads."
                    )
                ]
        yield


class _LongestInteger(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.digits = 0

    def enter_int_value(self, node: IntValueNode, *_: Any) -> None:
        self.digits = max(self.digits, len(node.value.lstrip("-")))


def longest_integer(document: DocumentNode) -> int:
    """The digits of the longest Int literal in `document` (0 if none)."""
    longest = _LongestInteger()
    visit(document, longest)
    return longest.digits
