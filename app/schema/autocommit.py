"""Queries read without a transaction.

PostgreSQL's default isolation, READ COMMITTED, gives every statement its own
snapshot, so a transaction around a read-only operation adds no consistency:
it only costs a BEGIN and a ROLLBACK, two round trips on every request. A
query operation therefore reads on an autocommit connection; mutations keep
their transactions (every write is one transaction, in the services).

The extension only marks the context: the connection is taken when a
resolver first needs the viewer, so that a failure to connect is an error of
that field, masked like any other, and an operation that never reads (a bare
`__typename`) never takes a connection.
"""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from app.schema.context import Context


class AutocommitQueries(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        if isinstance(context, Context):
            context.reads_only = (
                self.execution_context.operation_type is OperationType.QUERY
            )
        yield
