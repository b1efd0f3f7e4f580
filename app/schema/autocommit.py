"""Queries read without a transaction, on one connection (app/db/reads.py
says why); mutations keep their transactions (one per service call)."""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from app.db.reads import reading_a_query


class AutocommitQueries(SchemaExtension):
    """The one place a query operation's read connection is scoped: for
    the whole execution, taken by its first statement, if any."""

    def on_execute(self) -> Iterator[None]:
        if self.execution_context.operation_type is not OperationType.QUERY:
            yield
            return
        with reading_a_query():
            yield
