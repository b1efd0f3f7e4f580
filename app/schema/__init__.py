"""The one GraphQL schema: the domains merged, plus the extensions."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import DisableIntrospection, SchemaExtension
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from app.config import DOCUMENT_CACHE_SIZE, check_executor
from app.schema.account import AccountMutation
from app.schema.auth import AuthMutation, AuthQuery
from app.schema.autocommit import AutocommitQueries
from app.schema.batches import BatchMutation
from app.schema.birthdays import BirthdayQuery
from app.schema.contact import Contact, ContactMutation, ContactQuery, Tag
from app.schema.document_cache import ValidQueries
from app.schema.duplicates import DuplicateQuery
from app.schema.errors import ErrorCodes, log_unexpected
from app.schema.imports import ImportMutation
from app.schema.limits import Limits, QueryLimits
from app.schema.literals import LongIntegers
from app.schema.merges import MergeMutation
from app.schema.node import NodeQuery
from app.schema.parsing import CachedParse, OneOperation
from app.schema.password_reset import PasswordResetMutation
from app.schema.sessions import SessionMutation
from app.schema.sync import SyncQuery
from app.schema.tags import TagMutation
from app.schema.trash import TrashMutation, TrashQuery
from graphql_fastpath import FastExecutor

Query = merge_types(
    "Query",
    (
        NodeQuery,
        AuthQuery,
        ContactQuery,
        BirthdayQuery,
        TrashQuery,
        SyncQuery,
        DuplicateQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        AuthMutation,
        AccountMutation,
        SessionMutation,
        PasswordResetMutation,
        ContactMutation,
        TrashMutation,
        BatchMutation,
        TagMutation,
        MergeMutation,
        ImportMutation,
    ),
)


class ContactsSchema(strawberry.Schema):
    def process_errors(
        self,
        errors: list[GraphQLError],
        execution_context: ExecutionContext | None = None,
    ) -> None:
        """Log what went wrong unexpectedly; expected errors are not news."""
        log_unexpected(errors)


def build_schema(settings: Mapping[str, Any] | None = None) -> strawberry.Schema:
    """The schema with the extensions `settings` ask for (a Flask config)."""
    settings = settings or {}
    cache_size = settings.get("GRAPHQL_DOCUMENT_CACHE_SIZE", DOCUMENT_CACHE_SIZE)
    extensions: list[Callable[[], SchemaExtension]] = [
        partial(ErrorCodes, mask=settings.get("MASK_ERRORS", True)),
        LongIntegers,  # before QueryLimits validates
        partial(
            QueryLimits,
            limits=Limits.from_settings(settings),
            valid_queries=ValidQueries(cache_size),
        ),
        partial(CachedParse, maxsize=cache_size),
        OneOperation,
        AutocommitQueries,
    ]
    if not settings.get("INTROSPECTION", True):
        extensions.append(DisableIntrospection)
    return ContactsSchema(
        query=Query,
        mutation=Mutation,
        types=[Contact, Tag],
        extensions=extensions,
        execution_context_class=executor_class(
            settings.get("GRAPHQL_EXECUTOR", "fast")
        ),
    )


def executor_class(name: str) -> type[FastExecutor] | None:
    """The executor GRAPHQL_EXECUTOR names; None leaves strawberry's own
    (graphql-core's stock executor)."""
    check_executor(name)
    return FastExecutor if name == "fast" else None
